"""The loopback server with the real SDK's own HTTP clients (requests sync, httpx async)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from billing_tui.sandbox import Sandbox
from billing_tui.sandbox.server import SandboxServer

JSON = dict[str, Any]


_OPEN: list[stripe.HTTPClient] = []


def loopback_client(
    server: SandboxServer, retries: int = 0, *, asynchronous: bool = False
) -> stripe.StripeClient:
    """An SDK client on the SDK's own HTTP stack: requests (sync) or httpx (async)."""
    http: stripe.HTTPClient = stripe.HTTPXClient() if asynchronous else stripe.RequestsClient()
    _OPEN.append(http)
    return stripe.StripeClient(
        "sk_test_loopback1",
        base_addresses={"api": server.url},
        max_network_retries=retries,
        http_client=http,
    )


@pytest.fixture(autouse=True)
async def _close_clients() -> Any:
    yield
    while _OPEN:
        http = _OPEN.pop()
        if isinstance(http, stripe.HTTPXClient):
            await http.close_async()
        else:
            http.close()


@pytest.fixture
def server(sandbox: Sandbox) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox) as running:
        yield running


def test_sync_and_async_sdk_over_loopback(server: SandboxServer, acme: dict[str, JSON]) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    client = loopback_client(server)
    found = client.v1.customers.list(
        {"email": "jane@example.com", "expand": ["data.subscriptions"]}
    )
    assert [c.id for c in found.data] == [acme["jane"]["id"]]
    assert found.data[0].subscriptions.data[0].id == acme["sub"]["id"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.retrieve("ch_missing")
    assert info.value.http_status == 404
    assert info.value.request_id
    assert info.value.request_id.startswith("req_")


async def test_async_paging_over_loopback(
    server: SandboxServer, many_customers: list[JSON]
) -> None:
    client = loopback_client(server, asynchronous=True)
    page = await client.v1.customers.list_async({"limit": 10})
    ids = [c.id async for c in page.auto_paging_iter()]
    assert ids == [c["id"] for c in many_customers]


def test_injected_429_reaches_the_caller_unretried(sandbox: Sandbox, acme: dict[str, JSON]) -> None:
    with SandboxServer(sandbox, fail={429: 1.0}) as server:
        sandbox.request_log.clear()
        with pytest.raises(stripe.RateLimitError) as info:
            loopback_client(server, retries=2).v1.customers.list()
        assert info.value.error is not None
        assert info.value.error.code == "rate_limit"
        assert server.injected == {429: 1}  # the SDK never retries a plain 429
        assert len(sandbox.request_log) == 0


def test_500s_are_retried_by_the_sdk(sandbox: Sandbox, no_sleep: None) -> None:
    with SandboxServer(sandbox, fail={500: 1.0}) as server:
        with pytest.raises(stripe.APIError):
            loopback_client(server, retries=2).v1.customers.list()
        assert server.injected == {500: 3}
        server.set_faults(fail={503: 0.5})
        client = loopback_client(server, retries=8)
        for _ in range(6):
            assert client.v1.customers.list().object == "list"
        assert server.injected.get(503, 0) >= 1


def _seed_dropping_first_post_only(probability: float) -> int:
    """A seed whose first request is dropped and whose second is answered."""
    for seed in range(1000):
        rng = random.Random(seed)
        draws = [(rng.random(), rng.random()) for _ in range(2)]
        if draws[0][1] < probability <= draws[1][1]:
            return seed
    raise AssertionError("no seed found")


def test_dropped_answer_then_sdk_retry_refunds_exactly_once(
    sandbox: Sandbox, acme: dict[str, JSON], no_sleep: None
) -> None:
    seed = _seed_dropping_first_post_only(0.5)
    with SandboxServer(sandbox, drop_after_commit=0.5, seed=seed) as server:
        client = loopback_client(server, retries=2)
        refund = client.v1.refunds.create(
            {"charge": acme["ch"]["id"], "amount": 500}, {"idempotency_key": "refund:T-77"}
        )
        assert server.injected == {"dropped": 1}
        assert refund.last_response is not None
        assert refund.last_response.headers["Idempotent-Replayed"] == "true"
    refunds = [
        r for r in sandbox.state.objects["refund"].values() if r["charge"] == acme["ch"]["id"]
    ]
    assert [r["id"] for r in refunds] == [refund.id]
    assert acme["ch"]["amount_refunded"] == 500


def test_dropped_cancel_retried_gets_404(
    sandbox: Sandbox, acme: dict[str, JSON], no_sleep: None
) -> None:
    seed = _seed_dropping_first_post_only(0.5)
    with SandboxServer(sandbox, drop_after_commit=0.5, seed=seed) as server:
        with pytest.raises(stripe.InvalidRequestError) as info:
            loopback_client(server, retries=2).v1.subscriptions.cancel(acme["sub"]["id"])
        assert info.value.http_status == 404
    assert acme["sub"]["status"] == "canceled"


def test_concurrent_use_of_one_key_is_409(sandbox: Sandbox, acme: dict[str, JSON]) -> None:
    outcomes: list[str] = []

    def attempt(client: stripe.StripeClient) -> None:
        try:
            client.v1.refunds.create({"charge": acme["ch"]["id"]}, {"idempotency_key": "same"})
            outcomes.append("ok")
        except stripe.APIError as error:
            outcomes.append(str(error.http_status))

    with SandboxServer(sandbox, latency_ms=300) as server:
        threads = [
            threading.Thread(target=attempt, args=(loopback_client(server),)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["409", "ok"]
    assert acme["ch"]["amount_refunded"] == 2000


def test_parallel_partial_refunds_never_overdraw_the_charge(
    sandbox: Sandbox, acme: dict[str, JSON]
) -> None:
    """Twelve operators refund $2.00 each at once from a $20.00 charge over the threaded
    server: exactly ten succeed and the charge ends fully refunded."""
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(n: int, client: stripe.StripeClient) -> None:
        try:
            client.v1.refunds.create(
                {"charge": acme["ch"]["id"], "amount": 200}, {"idempotency_key": f"part-{n}"}
            )
            result = "ok"
        except stripe.InvalidRequestError as error:
            result = error.code or error.param or "error"
        with lock:
            outcomes.append(result)

    with SandboxServer(sandbox, latency_ms=20) as server:
        threads = [
            threading.Thread(target=attempt, args=(n, loopback_client(server))) for n in range(12)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outcomes.count("ok") == 10
    assert sorted(o for o in outcomes if o != "ok") == ["charge_already_refunded"] * 2
    assert acme["ch"]["amount_refunded"] == 2000
    assert acme["ch"]["refunded"] is True


def test_latency_applies_to_every_answer(sandbox: Sandbox, acme: dict[str, JSON]) -> None:
    with SandboxServer(sandbox, latency_ms=150) as server:
        client = loopback_client(server)
        client.v1.customers.list()  # connect once
        for call in (
            lambda: client.v1.customers.retrieve(acme["jane"]["id"]),
            lambda: client.v1.customers.retrieve("cus_missing"),
        ):
            started = time.perf_counter()
            with contextlib.suppress(stripe.InvalidRequestError):
                call()
            assert time.perf_counter() - started >= 0.15


def test_refuses_non_loopback_hosts(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="not a loopback address"):
        SandboxServer(sandbox, host="0.0.0.0")  # noqa: S104
    with pytest.raises(ValueError, match="can't inject status 404"):
        SandboxServer(sandbox, fail={404: 0.1})
