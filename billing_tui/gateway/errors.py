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


def translate(
    exc: stripe.StripeError, *, not_found: str | None = None, retries: int = 0
) -> GatewayError:
    """Map one SDK exception to the domain error an operator can act on, by what happened.

    ``not_found`` replaces Stripe's wording for a 404 ``resource_missing`` (e.g.
    ``"No such charge: ch_…"`` when the caller knows what it was looking for). ``retries`` is
    the client's ``max_network_retries``: a message says "retried" only when the SDK did.
    An answer that is not a Stripe error body (an HTML 404 from a wrong ``--api-base``, a proxy's
    502) is classified by its status and says so, never as Stripe having trouble.
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
        return _server_error(exc, retries=retries)
    return GatewayError(f"Stripe request failed: {_stripe_message(exc)}", request_id=rid)


def _retried(exc: stripe.StripeError, retries: int) -> bool:
    """Whether the SDK will have retried this answer (it retries 409 and 5xx only, unless the
    server said not to)."""
    status = exc.http_status or 0
    retryable = status == 409 or status >= 500
    return retries > 0 and retryable and should_retry_header(exc) is not False


def _server_error(exc: stripe.APIError, *, retries: int) -> GatewayError:
    """An ``APIError``: a real Stripe ``api_error`` body, or an answer that is no Stripe answer at
    all (not JSON, or JSON without an ``error`` object: a proxy, a wrong ``--api-base``)."""
    rid = exc.request_id
    status = exc.http_status
    tried = ", retried" if _retried(exc, retries) else ""
    if status == 409:
        return StripeUnavailable(
            f"Stripe reported a conflicting concurrent request (HTTP 409{tried}). "
            "Try again in a moment.",
            request_id=rid,
        )
    if exc.error is None:  # the body was not a Stripe error body
        return _not_stripe(status, tried, rid)
    return StripeUnavailable(
        f"Stripe is having trouble (HTTP {status or 'error'}{tried}). Try again in a "
        "minute; check https://status.stripe.com if it persists.",
        request_id=rid,
    )


def _not_stripe(status: int | None, tried: str, rid: str | None) -> GatewayError:
    """What an answer without a Stripe error body means, by its HTTP status."""
    where = "is --api-base right?"
    if status == 404:
        return NotFound(
            f"Not found at this address (HTTP 404 without a Stripe answer): {where}",
            request_id=rid,
        )
    if status == 429:
        return RateLimited(
            "The server at this address is rate-limiting (HTTP 429 without a Stripe answer). "
            "Wait a few seconds and try again.",
            request_id=rid,
        )
    if status is not None and status >= 500:
        return StripeUnavailable(
            f"The server at this address failed (HTTP {status}{tried}) without a Stripe "
            f"answer: Stripe or a proxy in between is having trouble; {where} "
            "Check https://status.stripe.com if it persists.",
            request_id=rid,
        )
    label = f"HTTP {status}" if status else "an unreadable answer"
    return GatewayError(
        f"The server at this address did not answer like Stripe ({label}, not a Stripe "
        f"response body): {where}",
        request_id=rid,
    )
