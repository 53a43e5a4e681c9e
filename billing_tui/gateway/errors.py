"""Stripe's errors → the domain's: :func:`translate` maps every ``stripe.StripeError`` to one of
the :mod:`billing_tui.core.errors` values (re-exported here, the gateway's public API), with a
sentence an operator can act on. Stripe's own messages are redacted."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from billing_tui.core.errors import (
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

if TYPE_CHECKING:  # translate() gets its exception from the SDK; this module loads without it
    import stripe

__all__ = [
    "AuthFailed",
    "CardDeclined",
    "GatewayError",
    "IdempotencyConflict",
    "InvalidQuery",
    "InvalidRequest",
    "MalformedId",
    "NetworkDown",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "StripeUnavailable",
    "should_retry_header",
    "translate",
]

_PERMISSION_RE = re.compile(r"\brak_[a-z0-9_]+\b")


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def should_retry_header(exc: stripe.StripeError) -> bool | None:
    """Stripe's ``Stripe-Should-Retry`` answer, if it gave one."""
    value = _header(exc.headers, "stripe-should-retry")
    if value is None:
        return None
    return value.strip().lower() == "true"


def _stripe_message(exc: stripe.StripeError) -> str:
    err = exc.error
    message = (err.message if err is not None else None) or exc.user_message
    return str(message) if message else type(exc).__name__


def _code(exc: stripe.StripeError) -> str | None:
    err = exc.error
    return (err.code if err is not None else None) or exc.code or None


def _param(exc: stripe.StripeError) -> str | None:
    err = exc.error
    value = err.param if err is not None else None
    return value or getattr(exc, "param", None) or None


def translate(exc: stripe.StripeError, *, not_found: str | None = None) -> GatewayError:
    """Map one SDK exception to the domain error an operator can act on.

    ``not_found`` replaces Stripe's wording for a 404 ``resource_missing`` (e.g.
    ``"No such charge: ch_…"`` when the caller knows what it was looking for).
    """
    import stripe  # loaded already: ``exc`` came from it

    rid = exc.request_id
    if isinstance(exc, stripe.AuthenticationError):
        return AuthFailed(request_id=rid)
    if isinstance(exc, stripe.PermissionError):
        found = _PERMISSION_RE.search(_stripe_message(exc))
        return PermissionDenied(found.group(0) if found else None, request_id=rid)
    if isinstance(exc, stripe.RateLimitError):
        return RateLimited(request_id=rid)
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(
            "This action's idempotency key was already used for a different request "
            f"({_stripe_message(exc)}). Nothing was changed; start the action again.",
            request_id=rid,
        )
    if isinstance(exc, stripe.CardError):
        return CardDeclined(
            _stripe_message(exc), param=_param(exc), code=_code(exc), request_id=rid
        )
    if isinstance(exc, stripe.InvalidRequestError):
        code = _code(exc)
        if exc.http_status == 404 or code == "resource_missing":
            return NotFound(not_found or _stripe_message(exc), request_id=rid)
        return InvalidRequest(_stripe_message(exc), param=_param(exc), code=code, request_id=rid)
    if isinstance(exc, stripe.APIConnectionError):
        return NetworkDown(request_id=rid)
    if isinstance(exc, stripe.APIError):
        status = exc.http_status
        if status == 409:
            return StripeUnavailable(
                "Stripe reported a conflicting concurrent request (HTTP 409, retried). "
                "Try again in a moment.",
                request_id=rid,
            )
        return StripeUnavailable(
            f"Stripe is having trouble (HTTP {status or 'error'}, retried). Try again in a "
            "minute; check https://status.stripe.com if it persists.",
            request_id=rid,
        )
    return GatewayError(f"Stripe request failed: {_stripe_message(exc)}", request_id=rid)
