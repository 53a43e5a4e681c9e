"""The only code that talks to Stripe: ``StripeClient`` calls in, :mod:`billing_tui.core.model`
objects out (no ``StripeObject`` leaves this package)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from billing_tui.core.identify import detect_kind
    from billing_tui.core.results import (
        Candidate,
        MutationResult,
        PortalSession,
        Resolution,
    )
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

#: Where each public name lives: loaded on first use, so importing ``billing_tui.gateway.errors``
#: (the CLI does, before it connects) does not load the Stripe SDK with ``.client``.
_HOME = {
    "detect_kind": "billing_tui.core.identify",
    "build_client": "billing_tui.gateway.client",
    "close_client": "billing_tui.gateway.client",
    "Gateway": "billing_tui.gateway.core",
    "Lookup": "billing_tui.gateway.lookup",
    "Candidate": "billing_tui.core.results",
    "MutationResult": "billing_tui.core.results",
    "PortalSession": "billing_tui.core.results",
    "Resolution": "billing_tui.core.results",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name, "billing_tui.gateway.errors" if name in __all__ else None)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
