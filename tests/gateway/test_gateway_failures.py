"""Every failure an operator can meet becomes a clear domain error (real sandbox, real SDK)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests.structures
import stripe

from billing_tui.core.model import SnapshotPart
from billing_tui.core.plans import completeness_guard
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


# ------------------------------------------------------------------ partial snapshots


class _Failing(stripe.HTTPClient):
    """The in-process sandbox, with the requests ``fails(method, url)`` picks answered 500, and
    each answer passed through ``rewrite`` (a server that truncates an embedded list)."""

    name = "failing"

    def __init__(
        self,
        sandbox: Any,
        fails: Callable[[str, str], bool],
        rewrite: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        super().__init__()
        self._sandbox = sandbox
        self._fails = fails
        self._rewrite = rewrite
        self.failed = 0

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        if self._fails(method, url):
            self.failed += 1
            body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            out = requests.structures.CaseInsensitiveDict({"Request-Id": "req_500"})
            return json.dumps(body).encode(), 500, out
        status, payload, extra_headers = self._sandbox.handle(method, url, headers, post_data)
        if self._rewrite is not None:
            self._rewrite(url, payload)
        out = requests.structures.CaseInsensitiveDict({"Request-Id": "req_ok", **extra_headers})
        return json.dumps(payload).encode(), status, out

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return self.request(method, url, headers, post_data)

    async def close_async(self) -> None:
        return None


async def test_one_failing_endpoint_leaves_only_that_part_incomplete(
    over_loopback: Any,
) -> None:
    server, gateway = over_loopback(
        sandbox_for("disputed-charge"), fail_paths={"/v1/disputes": 500}
    )
    snap = await gateway.snapshot(["cus_disputed1"])
    completeness = snap.completeness
    assert not completeness.complete
    assert [p.part for p in completeness.incomplete] == [SnapshotPart.DISPUTES]
    assert completeness.part(SnapshotPart.DISPUTES).reason == "HTTP 500"
    assert completeness.part(SnapshotPart.CHARGES).complete
    assert snap.charges  # the other parts loaded
    assert snap.disputes == ()
    assert server.injected[500] >= 1
    assert completeness_guard(snap) == (
        "disputes could not be loaded: HTTP 500 — a refund could pay twice; reload (r) first"
    )


async def test_a_list_whose_next_page_fails_is_incomplete_not_short() -> None:
    sandbox = sandbox_for("large-account")

    def later_invoice_pages(method: str, url: str) -> bool:
        path, _, query = url.partition("?")
        return path.endswith("/v1/invoices") and ("created" in query or "starting_after" in query)

    transport = _Failing(sandbox, later_invoice_pages)
    gateway = gateway_for(sandbox, http_client=transport, prefetch=False)
    snap = await gateway.snapshot(["cus_largeacct1"])
    assert transport.failed >= 1  # the first page answered, a later one did not
    invoices = snap.completeness.part(SnapshotPart.INVOICES)
    assert not invoices.complete
    assert invoices.reason == "HTTP 500"
    # invoice payments come with the invoices: unknown as well
    assert not snap.completeness.part(SnapshotPart.INVOICE_PAYMENTS).complete
    assert snap.completeness.part(SnapshotPart.SUBSCRIPTIONS).complete
    reason = completeness_guard(snap)
    assert reason is not None
    assert reason.startswith("invoices could not be loaded: HTTP 500")


async def test_an_embedded_list_that_stopped_early_makes_refunds_incomplete() -> None:
    sandbox = sandbox_for("duplicate-already-refunded")

    def more_refunds(url: str, payload: dict[str, Any]) -> None:
        if url.partition("?")[0].endswith("/v1/charges"):
            for charge in payload.get("data", []):
                if (charge.get("refunds") or {}).get("data"):
                    charge["refunds"]["has_more"] = True

    transport = _Failing(sandbox, lambda method, url: False, more_refunds)
    gateway = gateway_for(sandbox, http_client=transport, prefetch=False)
    snap = await gateway.snapshot((await gateway.resolve("lena.fischer@example.com")).customer_ids)
    refunds = snap.completeness.part(SnapshotPart.REFUNDS)
    assert not refunds.complete
    assert refunds.reason == "only the first page was loaded"
    assert "has more refunds than one page" in refunds.failures[0].message
    assert snap.completeness.part(SnapshotPart.CHARGES).complete


async def test_a_complete_snapshot_is_complete(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    snap = await gateway.snapshot(["cus_dupcheckout1"])
    assert snap.completeness.complete
    assert completeness_guard(snap) is None


# ------------------------------------------------------------------ `plans` on a failing server


def _plans(capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, str, str]:
    from billing_tui.cli.main import main

    code = main(["plans", "--api-base", url, "--refresh", "--json"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fault", ["500", "refused"])
def test_plans_on_a_failing_server_is_one_sentence_and_a_json_document(
    fault: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from billing_tui.sandbox.server import SandboxServer

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "Ab3dEf6hIj9lMn2pQr5tUv8x")
    sandbox = sandbox_for("healthy")
    with SandboxServer(sandbox, fail={500: 1.0} if fault == "500" else None) as server:
        url = server.url
        if fault == "500":
            code, out, err = _plans(capsys, url)
    if fault == "refused":
        code, out, err = _plans(capsys, url)  # nothing listens there any more
    assert code == 2
    assert "Traceback" not in err
    assert "ExceptionGroup" not in err
    (sentence,) = [line for line in err.splitlines() if "stopped" in line]
    assert sentence.startswith("billing-tui plans: the account sweep stopped, nothing was cached")
    expected = "HTTP 500" if fault == "500" else "Could not reach Stripe"
    assert expected in sentence
    document = json.loads(out)
    assert document["exit_code"] == 2
    assert expected in document["error"]
