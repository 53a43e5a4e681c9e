"""Every SDK error becomes a domain error whose message an operator can act on."""

from __future__ import annotations

from typing import Any

import pytest
import requests.structures
import stripe

from billing_tui.core.settings import Settings
from billing_tui.core.text import redact_keys
from billing_tui.gateway import Gateway, build_client, errors
from tests.gateway.conftest import KEY


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


class _Answers(stripe.HTTPClient):
    """Answers every request with one fixed body and status (a wrong ``--api-base``, a proxy)."""

    name = "fixed-answer"

    def __init__(self, body: bytes, status: int) -> None:
        super().__init__()
        self._body, self._status = body, status
        self.sent = 0

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        self.sent += 1
        return self._body, self._status, requests.structures.CaseInsensitiveDict({})

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return self.request(method, url, headers, post_data)

    async def sleep_async(self, secs: float) -> None:
        return None  # the SDK's retry backoff, skipped

    async def close_async(self) -> None:
        return None


def _gateway(transport: stripe.HTTPClient, retries: int = 0) -> Gateway:
    settings = Settings(max_network_retries=retries, rate_limit_retries=0)
    client = build_client(KEY, settings=settings, http_client=transport)
    return Gateway(client, settings=settings, prefetch=False)


HTML_404 = b"<html><body><h1>404 Not Found</h1>nginx</body></html>"


async def test_a_non_json_404_says_the_address_is_wrong_not_that_stripe_has_trouble() -> None:
    transport = _Answers(HTML_404, 404)
    with pytest.raises(errors.NotFound) as err:
        await _gateway(transport, retries=2).resolve("cus_zh1")
    message = str(err.value)
    assert message.startswith("Not found at this address")
    assert "is --api-base right?" in message
    assert "retried" not in message
    assert "Stripe is having trouble" not in message
    assert transport.sent == 1  # a 404 is not retried, and nothing pretends it was


async def test_a_json_404_that_is_no_stripe_error_body_is_also_a_wrong_address() -> None:
    transport = _Answers(b'{"message": "no route"}', 404)
    with pytest.raises(errors.NotFound, match="is --api-base right"):
        await _gateway(transport).resolve("cus_zh1")


@pytest.mark.parametrize(
    ("status", "cls", "says"),
    [
        (401, errors.GatewayError, "did not answer like Stripe (HTTP 401"),
        (403, errors.GatewayError, "did not answer like Stripe (HTTP 403"),
        (405, errors.GatewayError, "did not answer like Stripe (HTTP 405"),
        (200, errors.GatewayError, "did not answer like Stripe (HTTP 200"),
        (429, errors.RateLimited, "HTTP 429 without a Stripe answer"),
        (502, errors.StripeUnavailable, "HTTP 502) without a Stripe answer"),
    ],
)
async def test_other_non_json_answers_are_named_by_what_happened(
    status: int, cls: type[errors.GatewayError], says: str
) -> None:
    transport = _Answers(b"<html>Bad Gateway</html>", status)
    with pytest.raises(errors.GatewayError) as err:
        await _gateway(transport).resolve("cus_zh1")
    assert type(err.value) is cls
    assert says in str(err.value)
    assert "retried" not in str(err.value)  # no retries configured: none claimed
    assert "Stripe is having trouble" not in str(err.value)


async def test_retried_is_said_only_when_the_sdk_retried() -> None:
    transport = _Answers(b"<html>Bad Gateway</html>", 502)
    with pytest.raises(errors.StripeUnavailable) as err:
        await _gateway(transport, retries=1).resolve("cus_zh1")
    assert "HTTP 502, retried" in str(err.value)
    assert transport.sent == 2


async def test_a_stripe_api_error_body_is_still_stripe_having_trouble() -> None:
    body = b'{"error": {"type": "api_error", "message": "An unknown error occurred"}}'
    with pytest.raises(errors.StripeUnavailable) as err:
        await _gateway(_Answers(body, 500)).resolve("cus_zh1")
    assert "Stripe is having trouble (HTTP 500)" in str(err.value)
