"""Domain errors: every ``stripe.StripeError`` becomes one of these, with a sentence an operator
can act on. No message or repr ever contains an API key (Stripe's own messages are redacted)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from billing_tui.core.text import redact_keys

if TYPE_CHECKING:  # the errors themselves load without the SDK (the UI imports them early)
    import stripe

_PERMISSION_RE = re.compile(r"\brak_[a-z0-9_]+\b")


class GatewayError(Exception):
    """A Stripe call failed; ``str()`` is an operator-actionable sentence."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        self.message = redact_keys(message)
        self.request_id = request_id
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, request_id={self.request_id!r})"


class NotFound(GatewayError):
    """The identifier matched nothing (unknown id, or no customer for an email/name)."""


class MalformedId(GatewayError):
    """The text looks like a Stripe id but is not a well-formed one (no request was sent)."""


class InvalidQuery(GatewayError):
    """The text cannot be searched (empty, or too short for a name search)."""


class AuthFailed(GatewayError):
    """401: the key is revoked, expired or mistyped."""

    def __init__(self, message: str | None = None, *, request_id: str | None = None) -> None:
        super().__init__(
            message
            or (
                "The Stripe key was rejected (revoked or mistyped). "
                "Log in again with `billing-tui login`."
            ),
            request_id=request_id,
        )


class PermissionDenied(GatewayError):
    """403: a restricted key lacks a permission (``permission`` is the ``rak_…`` name)."""

    def __init__(
        self, permission: str | None, message: str | None = None, *, request_id: str | None = None
    ) -> None:
        self.permission = permission
        if message is None:
            if permission:
                message = (
                    f"This key lacks permission {permission} — ask an admin for a key with it, "
                    "or use the Dashboard."
                )
            else:
                message = (
                    "This key is not allowed to make this request (a restricted key) — ask an "
                    "admin for a key with the needed permission, or use the Dashboard."
                )
        super().__init__(message, request_id=request_id)


class RateLimited(GatewayError):
    """429 after our own bounded backoff (or Stripe said not to retry)."""

    def __init__(self, message: str | None = None, *, request_id: str | None = None) -> None:
        super().__init__(
            message
            or (
                "Stripe is rate-limiting this account right now (HTTP 429, retried with backoff). "
                "Wait a few seconds and try again."
            ),
            request_id=request_id,
        )


class StripeUnavailable(GatewayError):
    """5xx (or another server-side failure) after the SDK's retries."""


class NetworkDown(GatewayError):
    """The request never got an answer: no network, DNS, TLS or a timeout."""

    def __init__(self, message: str | None = None, *, request_id: str | None = None) -> None:
        super().__init__(
            message
            or (
                "Could not reach Stripe (network error or timeout, retried). Check the "
                "connection and try again."
            ),
            request_id=request_id,
        )


class InvalidRequest(GatewayError):
    """400: Stripe refused the request; keeps Stripe's message, ``param`` and ``code``.

    Examples: over-refund (``param == "amount"``), ``charge_already_refunded``,
    ``charge_disputed``, updating a canceled subscription.
    """

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.param = param
        self.code = code
        super().__init__(message, request_id=request_id)

    @property
    def over_refund(self) -> bool:
        return self.param == "amount" or self.code == "amount_too_large"


class CardDeclined(InvalidRequest):
    """402: the card was declined (paying an invoice)."""


class IdempotencyConflict(GatewayError):
    """The idempotency key was already used with different parameters or endpoint."""


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
