"""Every failure an operator can meet becomes a clear domain error (real sandbox, real SDK)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests.structures
import stripe

from billing_tui.core.settings import Settings
from billing_tui.gateway import (
    AuthFailed,
    NetworkDown,
    PermissionDenied,
    RateLimited,
    StripeUnavailable,
)
from tests.gateway.conftest import FAST, KEY, GatewayFactory, gateway_for, sandbox_for


async def test_revoked_key_is_auth_failed(make: GatewayFactory) -> None:
    sandbox, _ = make("healthy")
    revoked = "sk_test_revokedkey1"
    sandbox.state.keys.revoked.add(revoked)
    gateway = gateway_for(sandbox, key=revoked)
    with pytest.raises(AuthFailed) as err:
        await gateway.resolve("priya.raman@example.com")
    assert "billing-tui login" in str(err.value)
    assert revoked not in str(err.value)


async def test_restricted_key_names_the_missing_permission(make: GatewayFactory) -> None:
    sandbox, _ = make("duplicate-checkout")
    readonly = "rk_test_readonlykey1"
    sandbox.state.keys.declared[readonly] = frozenset({"rak_charge_read", "rak_customer_read"})
    sandbox.state.keys.declared.setdefault(KEY, None)
    gateway = gateway_for(sandbox, key=readonly)
    with pytest.raises(PermissionDenied) as err:
        await gateway.create_refund(
            "ch_dupcheckoutB001", amount=None, reason="duplicate", idempotency_key="case-1:r"
        )
    assert err.value.permission == "rak_refund_write"
    assert "rak_refund_write" in str(err.value)
    assert sandbox.state.get("charge", "ch_dupcheckoutB001")["amount_refunded"] == 0


class _RateLimitedFirst(stripe.HTTPClient):
    """The in-process sandbox, behind ``n`` HTTP 429 answers (optionally saying not to retry)."""

    name = "rate-limited-first"

    def __init__(self, sandbox: Any, n: int, *, should_retry: str | None = None) -> None:
        super().__init__()
        self._sandbox = sandbox
        self._left = n
        self._retry_header = should_retry
        self.limited = 0

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        if self._left > 0:
            self._left -= 1
            self.limited += 1
            extra = {"Stripe-Should-Retry": self._retry_header} if self._retry_header else {}
            body = {"error": {"type": "invalid_request_error", "code": "rate_limit",
                              "message": "Request rate limit exceeded."}}  # fmt: skip
            headers_out = requests.structures.CaseInsensitiveDict({"Request-Id": "req_rl", **extra})
            return json.dumps(body).encode(), 429, headers_out
        status, payload, extra_headers = self._sandbox.handle(method, url, headers, post_data)
        out = requests.structures.CaseInsensitiveDict({"Request-Id": "req_ok", **extra_headers})
        return json.dumps(payload).encode(), status, out

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return self.request(method, url, headers, post_data)

    async def close_async(self) -> None:
        return None


async def test_429_is_retried_with_backoff_and_the_lookup_succeeds() -> None:
    sandbox = sandbox_for("healthy")
    transport = _RateLimitedFirst(sandbox, 2)
    gateway = gateway_for(sandbox, http_client=transport, prefetch=False)
    res = await gateway.resolve("priya.raman@example.com")
    assert len(res.customer_ids) == 1
    assert transport.limited == 2


async def test_429_that_persists_becomes_rate_limited() -> None:
    sandbox = sandbox_for("healthy")
    transport = _RateLimitedFirst(sandbox, 1000)
    gateway = gateway_for(sandbox, http_client=transport, prefetch=False)
    with pytest.raises(RateLimited) as err:
        await gateway.resolve("cus_anything1")
    assert "try again" in str(err.value)
    assert transport.limited == FAST.rate_limit_retries + 1


async def test_429_with_should_retry_false_is_not_retried() -> None:
    sandbox = sandbox_for("healthy")
    transport = _RateLimitedFirst(sandbox, 1000, should_retry="false")
    gateway = gateway_for(sandbox, http_client=transport, prefetch=False)
    with pytest.raises(RateLimited):
        await gateway.resolve("cus_anything1")
    assert transport.limited == 1


async def test_loopback_429s_become_rate_limited(over_loopback: Any) -> None:
    server, gateway = over_loopback(sandbox_for("healthy"), prefetch=False, fail={429: 1.0})
    with pytest.raises(RateLimited):
        await gateway.resolve("cus_anything1")
    assert server.injected[429] == FAST.rate_limit_retries + 1


async def test_5xx_is_retried_by_the_sdk_then_stripe_unavailable(over_loopback: Any) -> None:
    server, gateway = over_loopback(
        sandbox_for("healthy"),
        settings=Settings(max_network_retries=1),
        prefetch=False,
        fail={500: 1.0},
    )
    with pytest.raises(StripeUnavailable) as err:
        await gateway.resolve("cus_anything1")
    assert "500" in str(err.value)
    assert server.injected[500] == 2  # the SDK retried once


async def test_network_down_when_the_server_is_gone(over_loopback: Any) -> None:
    server, gateway = over_loopback(sandbox_for("healthy"))
    server.__exit__(None, None, None)
    with pytest.raises(NetworkDown) as err:
        await gateway.resolve("priya.raman@example.com")
    assert "network" in str(err.value).lower()
