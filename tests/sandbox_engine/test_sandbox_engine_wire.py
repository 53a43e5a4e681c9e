"""Wire-format details: nested form params, key masking, expand depth, response headers."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_tui.sandbox import Sandbox, router
from billing_tui.sandbox.wire import ApiError, decode_form, mask_key

JSON = dict[str, Any]
AUTH = {"Authorization": "Bearer sk_test_engine1234"}


def test_decode_nested_form_params() -> None:
    body = (
        "items[0][id]=si_1&items[0][quantity]=3&metadata[ticket]=T-1&metadata[empty]="
        "&expand[]=customer&expand[]=latest_invoice.payments&payment[type]=payment_intent"
    )
    assert decode_form(body) == {
        "items": [{"id": "si_1", "quantity": "3"}],
        "metadata": {"ticket": "T-1", "empty": ""},
        "expand": ["customer", "latest_invoice.payments"],
        "payment": {"type": "payment_intent"},
    }
    assert decode_form("expand[1]=b&expand[0]=a") == {"expand": ["a", "b"]}
    assert decode_form("") == {}


@pytest.mark.parametrize("body", ["a]=1", "a[b=1", "metadata=x&metadata[k]=v"])
def test_malformed_form_params_are_400(body: str) -> None:
    with pytest.raises(ApiError) as info:
        decode_form(body)
    assert info.value.status == 400


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789", min_size=4, max_size=40))
def test_masked_keys_never_contain_the_secret(body: str) -> None:
    key = "sk_live_" + body
    masked = mask_key(key)
    assert masked.startswith("sk_live_****")
    assert body not in masked or len(body) <= 4
    assert len(masked) <= len("sk_live_****") + 4


def test_expand_more_than_four_levels_is_400(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.invoice_payments.list(
            {"expand": ["data.invoice.customer.invoice_settings.default_payment_method.customer"]}
        )
    assert "more than 4 levels" in str(info.value)
    ok = client.v1.invoice_payments.list(
        {"invoice": acme["inv"]["id"], "expand": ["data.invoice.customer"]}
    )
    assert ok.data[0].invoice.customer.email == "jane@example.com"


def test_every_response_has_a_request_id_and_errors_say_do_not_retry(sandbox: Sandbox) -> None:
    ok = sandbox.handle("GET", "https://api.stripe.com/v1/customers", AUTH, None)
    missing = sandbox.handle("GET", "https://api.stripe.com/v1/customers/cus_x", AUTH, None)
    assert ok[0] == 200
    assert missing[0] == 404
    assert ok[2]["Request-Id"] != missing[2]["Request-Id"]
    assert missing[2]["Stripe-Should-Retry"] == "false"
    assert missing[1] == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": "No such customer: 'cus_x'",
            "param": "id",
        }
    }


def test_engine_crash_is_a_500_that_the_key_replays(
    sandbox: Sandbox,
    acme: dict[str, JSON],
    caplog: pytest.LogCaptureFixture,
) -> None:
    index, route = next(
        (i, r)
        for i, r in enumerate(router.ROUTES)
        if r.method == "POST" and "refunds" in r.pattern.pattern
    )

    def crash(ctx: Any) -> JSON:
        raise RuntimeError("boom")

    headers = {**AUTH, "Idempotency-Key": "crash-1"}
    body = f"charge={acme['ch']['id']}"
    router.ROUTES[index] = dataclasses.replace(route, handler=crash)
    try:
        status, payload, _ = sandbox.handle("POST", "/v1/refunds", headers, body)
    finally:
        router.ROUTES[index] = route
    assert status == 500
    assert payload["error"]["type"] == "api_error"
    assert "boom" in caplog.text
    again = sandbox.handle("POST", "/v1/refunds", headers, body)
    assert again[0] == 500  # Stripe saves 500s under the key too
    assert again[2]["Idempotent-Replayed"] == "true"
    fresh = sandbox.handle("POST", "/v1/refunds", {**AUTH, "Idempotency-Key": "crash-2"}, body)
    assert fresh[0] == 200


_PATHS = [
    "/v1/customers",
    "/v1/customers/{id}",
    "/v1/customers/search",
    "/v1/subscriptions",
    "/v1/subscriptions/{id}",
    "/v1/invoices/{id}/lines",
    "/v1/invoice_payments",
    "/v1/refunds",
    "/v1/charges/search",
    "/v1/billing_portal/sessions",
    "/v1/billing_portal/configurations/{id}",
    "/v1/invoices/{id}/pay",
    "/v1/customers/{id}/payment_methods",
    "/v1/nowhere",
]
_PARAM_NAMES = [
    "limit",
    "expand[]",
    "expand[0]",
    "created[gte]",
    "created",
    "status",
    "email",
    "query",
    "page",
    "charge",
    "amount",
    "reason",
    "metadata[k]",
    "items[0][id]",
    "items[0][quantity]",
    "starting_after",
    "customer",
    "flow_data[type]",
    "features[invoice_history][enabled]",
    "cancel_at_period_end",
    "payment[type]",
    "a[b",
    "x]",
]
_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "101",
            "true",
            "all",
            "data.customer",
            "cus_x",
            "email~'ab'",
            "email:'x' OR name:'y' AND phone:'z'",
            "customer.nope",
            "1e9",
            "[]",
        ]
    ),
    st.text(max_size=12),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    path=st.sampled_from(_PATHS),
    params=st.lists(st.tuples(st.sampled_from(_PARAM_NAMES), _VALUES), max_size=5),
    obj=st.sampled_from(["jane", "sub", "inv", "config", "missing"]),
)
def test_malformed_requests_get_a_clear_4xx_never_a_crash(
    sandbox: Sandbox,
    acme: dict[str, JSON],
    method: str,
    path: str,
    params: list[tuple[str, str]],
    obj: str,
) -> None:
    obj_id = acme[obj]["id"] if obj in acme else "xx_missing"
    encoded = urlencode(params)
    url = path.replace("{id}", obj_id)
    if method != "POST" and encoded:
        url += "?" + encoded
    status, payload, headers = sandbox.handle(
        method,
        url,
        {**AUTH, "Idempotency-Key": encoded[:40] or "k"},
        encoded if method == "POST" else None,
    )
    assert status != 500, payload
    assert headers["Request-Id"].startswith("req_")
    if status >= 400:
        assert payload["error"]["message"]
        assert payload["error"]["type"] in (
            "invalid_request_error",
            "idempotency_error",
            "card_error",
        )
