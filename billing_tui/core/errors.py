"""Failures of a Stripe call as values: what went wrong, in a sentence an operator can act on.

Pure (no SDK): the gateway raises these (``billing_tui.gateway.errors.translate`` maps each
``stripe.StripeError`` to one), the desk turns them into a typed ``Failure``, and the screens
catch them without importing the gateway. No message or repr ever contains an API key, a full
email address or a card number (:func:`billing_tui.core.text.redact`).
"""

from __future__ import annotations

from billing_tui.core.text import redact


class GatewayError(Exception):
    """A Stripe call failed; ``str()`` is an operator-actionable sentence."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        self.message = redact(message)
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
