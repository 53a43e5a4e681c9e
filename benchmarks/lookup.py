"""How fast one case loads: requests, sequential rounds and wall time of a lookup, against the
loopback sandbox with injected latency, next to the same lookup done serially (the naive way).

    python -m benchmarks.lookup [--latency-ms 150] [--repeat 3]

Targets (issue 3): an email lookup in ≤ 2 rounds; ≤ 1 round once the customer id is known;
wall time ≤ 2.5 × latency + 100 ms for a normal customer; the large account in ≤ 5 rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from billing_tui.core.model import RequestStats
from billing_tui.core.settings import Settings
from billing_tui.desk.connection import allow_key
from billing_tui.gateway import Gateway, build_client, close_client
from billing_tui.gateway.client import Operation
from billing_tui.gateway.errors import GatewayError

T = TypeVar("T")

SETTINGS = Settings(max_network_retries=0)
KEY = "sk_test_benchmark"
NORMAL_SCENARIO = "duplicate-checkout"
LARGE_SCENARIO = "large-account"
WARM_UP_SCENARIO = "healthy"


class SerialOperation(Operation):
    """The naive way: the same requests, one after another (every request is a round)."""

    async def round(self, tasks: Mapping[str, Awaitable[T]]) -> dict[str, T | GatewayError]:
        out: dict[str, T | GatewayError] = {}
        for name, awaitable in tasks.items():
            try:
                out[name] = await awaitable
            except GatewayError as exc:
                out[name] = exc
        return out


class NaiveGateway(Gateway):
    def _op(self) -> Operation:
        return SerialOperation(self._settings)


@dataclass(frozen=True)
class Row:
    label: str
    stats: RequestStats
    wall: float  # seconds, median of the repeats


async def _measure(
    label: str, make: Callable[[], Gateway], run: Callable[[Gateway], Awaitable[RequestStats]],
    repeat: int, warm_up: str | None,
) -> Row:  # fmt: skip
    """``repeat`` runs on one session (as an operator's open workstation is): the session is
    first warmed with a lookup of another customer, so the account's portal configurations
    and product names are cached, as they are after the first ticket of the day."""
    gateway = make()
    if warm_up is not None:
        await gateway.lookup(warm_up)
    walls: list[float] = []
    stats = RequestStats()
    for _ in range(repeat):
        started = time.perf_counter()
        stats = await run(gateway)
        walls.append(time.perf_counter() - started)
    await close_client(gateway._client)
    return Row(label, stats, statistics.median(walls))


async def _lookup(gateway: Gateway, text: str) -> RequestStats:
    found = await gateway.lookup(text)
    return found.stats


async def _resolve_then_snapshot(gateway: Gateway, text: str) -> RequestStats:
    resolution = await gateway.resolve(text)
    snapshot = await gateway.snapshot(resolution.customer_ids)
    r, s = resolution.stats, snapshot.stats
    if s == r:  # the snapshot was prefetched by resolve(): the same requests, counted once
        return r
    return RequestStats(r.requests + s.requests, r.rounds + s.rounds, r.seconds + s.seconds)


async def _snapshot_only(gateway: Gateway, customer_id: str) -> RequestStats:
    return (await gateway.snapshot([customer_id])).stats


def _scenario_identifier(name: str) -> str | None:
    from billing_tui.sandbox import catalog

    for info in catalog.list_scenarios():
        if info.name == name:
            return str(info.identifier)
    return None


async def _run(url: str, latency_ms: float, repeat: int) -> int:
    def fast() -> Gateway:
        return Gateway(build_client(KEY, settings=SETTINGS, api_base=url), settings=SETTINGS)

    def naive() -> Gateway:
        client = build_client(KEY, settings=SETTINGS, api_base=url)
        return NaiveGateway(client, settings=SETTINGS, prefetch=False)

    email = _scenario_identifier(NORMAL_SCENARIO)
    if email is None:
        print(f"scenario {NORMAL_SCENARIO!r} is missing from the catalog", file=sys.stderr)
        return 2
    warm = _scenario_identifier(WARM_UP_SCENARIO)
    first = fast()
    customer_id = (await first.resolve(email)).customer_ids[0]
    await close_client(first._client)
    rows = [
        await _measure(f"email {email}", fast, lambda g: _lookup(g, email), repeat, warm),
        await _measure("  same, resolve() then snapshot()", fast,
                       lambda g: _resolve_then_snapshot(g, email), repeat, warm),
        await _measure("  same, serial (naive)", naive,
                       lambda g: _resolve_then_snapshot(g, email), repeat, warm),
        await _measure(f"customer id {customer_id}", fast,
                       lambda g: _lookup(g, customer_id), repeat, warm),
        await _measure("  same, resolve() then snapshot()", fast,
                       lambda g: _resolve_then_snapshot(g, customer_id), repeat, warm),
        await _measure("  same, serial (naive)", naive,
                       lambda g: _resolve_then_snapshot(g, customer_id), repeat, warm),
        await _measure("  snapshot only (id known)", fast,
                       lambda g: _snapshot_only(g, customer_id), repeat, warm),
    ]  # fmt: skip
    large = _scenario_identifier(LARGE_SCENARIO)
    if large is not None:
        rows.append(
            await _measure(
                f"large account {large}", fast, lambda g: _lookup(g, large), repeat, warm
            )
        )
        rows.append(
            await _measure(
                "  same, serial (naive)",
                naive,
                lambda g: _resolve_then_snapshot(g, large),
                1,
                warm,
            )
        )

    # One cheap request alone: the latency plus whatever the loopback transport adds.
    probe = fast()
    single: list[float] = []
    for _ in range(5):
        started = time.perf_counter()
        await probe.v1.customers.retrieve_async(customer_id)
        single.append(time.perf_counter() - started)
    await close_client(probe._client)
    one_request = statistics.median(single) * 1000

    budget = 2.5 * latency_ms + 100
    print(
        f"loopback sandbox, {latency_ms:.0f} ms latency per request; median of {repeat} on a "
        "warmed session (portal configurations and product names cached)"
    )
    print(
        f"one lone request takes {one_request:.0f} ms ({one_request - latency_ms:.0f} ms over the "
        "injected latency: loopback transport and server time)"
    )
    print(f"{'lookup':<52} {'requests':>8} {'rounds':>7} {'wall ms':>9}")
    for row in rows:
        print(
            f"{row.label:<52} {row.stats.requests:>8} {row.stats.rounds:>7} {row.wall * 1000:>9.0f}"
        )
    email_row, _, _, id_row, _, _, snap_row = rows[:7]
    checks = [
        (f"email lookup ≤ 2 rounds ({email_row.stats.rounds})", email_row.stats.rounds <= 2),
        (f"id known: snapshot ≤ 1 round ({snap_row.stats.rounds})", snap_row.stats.rounds <= 1),
        (
            f"email lookup wall ≤ {budget:.0f} ms ({email_row.wall * 1000:.0f})",
            email_row.wall * 1000 <= budget,
        ),
        (
            f"id lookup wall ≤ {budget:.0f} ms ({id_row.wall * 1000:.0f})",
            id_row.wall * 1000 <= budget,
        ),
    ]
    if large is not None:
        large_rounds = rows[7].stats.rounds
        checks.append((f"large account ≤ 5 rounds ({large_rounds})", large_rounds <= 5))
    print()
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {text}")
    return 0 if all(ok for _, ok in checks) else 1


def _serve(latency_ms: float, urls: Any, stop: Any) -> None:
    """Child process: the loopback sandbox with every catalog scenario, until ``stop``."""
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    sandbox = Sandbox.demo(scenarios=("all",))
    allow_key(sandbox, KEY)
    with SandboxServer(sandbox, latency_ms=latency_ms) as server:
        urls.put(server.url)
        stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    # The sandbox runs in its own process, as Stripe would be remote: sharing this process's
    # GIL with the client would charge the server's work to the lookup.
    ctx = multiprocessing.get_context("spawn")
    urls = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(target=_serve, args=(args.latency_ms, urls, stop), daemon=True)
    server.start()
    try:
        url = urls.get(timeout=120)
        return asyncio.run(_run(url, args.latency_ms, args.repeat))
    finally:
        stop.set()
        server.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
