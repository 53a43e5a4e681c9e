"""Every SDK error becomes a domain error whose message an operator can act on."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billing_tui.core.text import redact_keys
from billing_tui.gateway import errors


def _body(message: str, *, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        err["code"] = code
    if param:
        err["param"] = param
    return {"error": err}


def _exc(cls: type[stripe.StripeError], status: int, message: str, **kw: Any) -> Any:
    body = _body(message, code=kw.pop("code", None), param=kw.get("param"))
    headers = {"request-id": "req_123", **kw.pop("headers", {})}
    if cls in (stripe.InvalidRequestError, stripe.CardError):
        return cls(
            message,
            kw.get("param"),
            body["error"].get("code"),
            http_status=status,
            json_body=body,
            headers=headers,
        )
    return cls(message, http_status=status, json_body=body, headers=headers)


def test_revoked_key_tells_operator_to_log_in_again_without_the_key() -> None:
    exc = _exc(stripe.AuthenticationError, 401, "Invalid API Key provided: sk_test_****wxyz")
    err = errors.translate(exc)
    assert isinstance(err, errors.AuthFailed)
    assert "billing-tui login" in str(err)
    assert "sk_test" not in str(err)
    assert "sk_test" not in repr(err)
    assert err.request_id == "req_123"


def test_restricted_key_names_the_missing_permission() -> None:
    message = (
        "The provided key 'rk_test_******************************abcd' does not have the required "
        "permissions for this endpoint on account 'acct_1'. Having the 'rak_refund_write' "
        "permission would allow this request to continue."
    )
    err = errors.translate(_exc(stripe.PermissionError, 403, message))
    assert isinstance(err, errors.PermissionDenied)
    assert err.permission == "rak_refund_write"
    assert str(err).startswith("This key lacks permission rak_refund_write")


def test_unknown_id_uses_the_callers_wording() -> None:
    exc = _exc(
        stripe.InvalidRequestError, 404, "No such charge: 'ch_nope'", code="resource_missing"
    )
    err = errors.translate(exc, not_found="No such charge: ch_nope")
    assert isinstance(err, errors.NotFound)
    assert str(err) == "No such charge: ch_nope"


def test_over_refund_keeps_stripes_message_and_param() -> None:
    message = "Refund amount ($60.00) is greater than unrefunded amount on charge ($50.00)"
    err = errors.translate(_exc(stripe.InvalidRequestError, 400, message, param="amount"))
    assert isinstance(err, errors.InvalidRequest)
    assert err.param == "amount"
    assert err.over_refund
    assert str(err) == message


def test_already_refunded_keeps_code() -> None:
    exc = _exc(
        stripe.InvalidRequestError, 400, "Charge ch_1 has already been refunded.",
        code="charge_already_refunded",
    )  # fmt: skip
    err = errors.translate(exc)
    assert isinstance(err, errors.InvalidRequest)
    assert err.code == "charge_already_refunded"
    assert not err.over_refund


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (stripe.RateLimitError("Too many requests", http_status=429), errors.RateLimited),
        (stripe.APIError("boom", http_status=503), errors.StripeUnavailable),
        (stripe.APIError("conflict", http_status=409), errors.StripeUnavailable),
        (stripe.APIConnectionError("connection refused"), errors.NetworkDown),
        (stripe.IdempotencyError("Keys for idempotent requests…", http_status=400),
         errors.IdempotencyConflict),
    ],
)  # fmt: skip
def test_error_classes(exc: stripe.StripeError, expected: type[errors.GatewayError]) -> None:
    err = errors.translate(exc)
    assert type(err) is expected
    assert str(err)  # a sentence, never empty


def test_unavailable_mentions_the_status() -> None:
    err = errors.translate(stripe.APIError("boom", http_status=502))
    assert "502" in str(err)


def test_card_declined_is_an_invalid_request_with_code() -> None:
    exc = _exc(stripe.CardError, 402, "Your card was declined.", code="card_declined")
    err = errors.translate(exc)
    assert isinstance(err, errors.CardDeclined)
    assert isinstance(err, errors.InvalidRequest)
    assert err.code == "card_declined"


def test_key_shaped_text_is_redacted_everywhere() -> None:
    secret = "sk_live_" + "A1b2C3d4E5f6G7h8"
    err = errors.InvalidRequest(f"weird message quoting {secret}")
    assert secret not in str(err)
    assert secret not in repr(err)
    assert "sk_live_…G7h8" in str(err)
    assert redact_keys("rk_test_abc") == "rk_test_…"


def test_should_retry_header_is_case_insensitive() -> None:
    no = stripe.RateLimitError("x", http_status=429, headers={"Stripe-Should-Retry": "false"})
    yes = stripe.RateLimitError("x", http_status=429, headers={"stripe-should-retry": "true"})
    assert errors.should_retry_header(no) is False
    assert errors.should_retry_header(yes) is True
    assert errors.should_retry_header(stripe.RateLimitError("x")) is None
