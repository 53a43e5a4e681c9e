"""API keys: well-formed test keys, declared live/restricted keys, revocation, livemode."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import stripe

from billing_tui.sandbox import Sandbox

JSON = dict[str, Any]


@pytest.mark.parametrize("key", ["sk_test_", "pk_test_abcdefgh12", "sk_live_abcdefgh12", "nope"])
def test_malformed_or_undeclared_keys_get_401_without_echoing_the_key(
    sandbox: Sandbox, key: str
) -> None:
    client = sandbox.stripe_client(key)
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    message = str(info.value)
    assert "Invalid API Key provided" in message
    if len(key) > 12:
        assert key not in message


def test_declared_keys_add_live_and_restricted_keys(
    sandbox: Sandbox, acme: dict[str, JSON]
) -> None:
    sandbox.state.keys.declared = {
        "sk_live_demo_key_0001": None,
        "rk_test_support00000001": frozenset({"rak_customer_read", "rak_charge_write"}),
    }
    sandbox.state.keys.revoked = {"sk_live_oldKey000000001", "sk_test_revoked_0001"}
    assert sandbox.stripe_client("sk_test_engine1234").v1.customers.list().object == "list"
    for refused in ("sk_test_revoked_0001", "sk_live_undeclared0001", "rk_test_undeclared01"):
        with pytest.raises(stripe.AuthenticationError):
            sandbox.stripe_client(refused).v1.customers.list()
    with pytest.raises(stripe.AuthenticationError) as revoked:
        sandbox.stripe_client("sk_live_oldKey000000001").v1.customers.list()
    assert "sk_live_oldKey000000001" not in str(revoked.value)
    assert str(revoked.value).endswith("sk_live_****0001")
    sandbox.state.keys.strict = True
    with pytest.raises(stripe.AuthenticationError):
        sandbox.stripe_client("sk_test_engine1234").v1.customers.list()

    live = sandbox.stripe_client("sk_live_demo_key_0001")
    customer = live.v1.customers.retrieve(acme["jane"]["id"], {"expand": ["subscriptions"]})
    assert customer.livemode is True
    assert customer.subscriptions.data[0].livemode is True


def test_restricted_key_missing_permission_is_403_naming_it(
    sandbox: Sandbox, acme: dict[str, JSON]
) -> None:
    key = "rk_test_support00000001"
    sandbox.state.keys.declared = {key: frozenset({"rak_customer_read", "rak_charge_write"})}
    client = sandbox.stripe_client(key)
    assert client.v1.customers.retrieve(acme["jane"]["id"]).id == acme["jane"]["id"]
    assert client.v1.charges.retrieve(acme["ch"]["id"]).id == acme["ch"]["id"]  # write ⊃ read
    with pytest.raises(stripe.PermissionError) as info:
        client.v1.subscriptions.list()
    message = str(info.value)
    assert "'rak_subscription_read'" in message
    assert key not in message
    assert info.value.http_status == 403
    with pytest.raises(stripe.PermissionError) as write:
        client.v1.subscriptions.cancel(acme["sub"]["id"])
    assert "'rak_subscription_write'" in str(write.value)


def test_missing_authorization_header_is_401(sandbox: Sandbox) -> None:
    status, payload, headers = sandbox.handle(
        "GET", "https://api.stripe.com/v1/customers", {}, None
    )
    assert status == 401
    assert payload["error"]["type"] == "invalid_request_error"
    assert headers["Request-Id"].startswith("req_")


def test_unknown_url_is_404(sandbox: Sandbox) -> None:
    status, payload, _ = sandbox.handle(
        "GET", "/v1/widgets", {"Authorization": "Bearer sk_test_engine1234"}, None
    )
    assert status == 404
    assert "Unrecognized request URL (GET: /v1/widgets)" in payload["error"]["message"]


def _basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


def test_http_basic_auth_takes_the_key_as_the_user_name(
    sandbox: Sandbox, acme: dict[str, JSON]
) -> None:
    status, body, _ = sandbox.handle("GET", "/v1/customers", _basic("sk_test_x"), None)
    assert status == 200
    assert body["object"] == "list"
    assert acme["jane"]["id"] in {c["id"] for c in body["data"]}


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + base64.b64encode(b":").decode(),
        "Basic not-base64!",
        "Digest sk_test_basic1234",
    ],
    ids=["empty-user", "not-base64", "other-scheme"],
)
def test_a_malformed_authorization_header_is_a_401_naming_both_schemes(
    sandbox: Sandbox, header: str
) -> None:
    status, body, _ = sandbox.handle("GET", "/v1/customers", {"Authorization": header}, None)
    assert status == 401
    assert "Bearer" in body["error"]["message"]
    assert "Basic" in body["error"]["message"]


def test_basic_auth_keys_obey_the_same_key_policy(sandbox: Sandbox) -> None:
    sandbox.state.keys.revoked = {"sk_test_revoked_0001"}
    status, body, _ = sandbox.handle("GET", "/v1/customers", _basic("sk_test_revoked_0001"), None)
    assert status == 401
    assert "sk_test_revoked_0001" not in body["error"]["message"]
