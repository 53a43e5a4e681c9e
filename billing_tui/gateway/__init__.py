"""The only code that talks to Stripe: ``StripeClient`` calls in, :mod:`billing_tui.core.model`
objects out (no ``StripeObject`` leaves this package)."""

from billing_tui.core.identify import detect_kind
from billing_tui.gateway.client import build_client, close_client
from billing_tui.gateway.core import Gateway
from billing_tui.gateway.errors import (
    AuthFailed,
    CardDeclined,
    GatewayError,
    IdempotencyConflict,
    InvalidQuery,
    InvalidRequest,
    MalformedId,
    NetworkDown,
    NotFound,
    PermissionDenied,
    RateLimited,
    StripeUnavailable,
)
from billing_tui.gateway.lookup import Lookup
from billing_tui.gateway.results import (
    Candidate,
    MutationResult,
    PortalSession,
    Resolution,
)

__all__ = [
    "AuthFailed",
    "Candidate",
    "CardDeclined",
    "Gateway",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidQuery",
    "InvalidRequest",
    "Lookup",
    "MalformedId",
    "MutationResult",
    "NetworkDown",
    "NotFound",
    "PermissionDenied",
    "PortalSession",
    "RateLimited",
    "Resolution",
    "StripeUnavailable",
    "build_client",
    "close_client",
    "detect_kind",
]
