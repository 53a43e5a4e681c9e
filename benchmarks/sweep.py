"""The account sweep: requests, wall time next to a serial pagination, and peak memory.

    python -m benchmarks.sweep [--population 20000] [--latency-ms 100]

Against the loopback sandbox (its own process, as Stripe is remote) with injected latency.
Targets (issue 7): requests ≤ ceil(N/100) plus 10 % shard overhead; wall time ≤ 0.35 of a
serial pagination; peak memory for N = 20,000 ≤ 300 MB (this process: the client side).
The sweep is rate-limited like Stripe (25 req/s test mode, 100 live): both rates are shown.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import resource
import time
from datetime import UTC, datetime
from typing import Any

from billing_tui.core.settings import Settings
from billing_tui.desk.connection import allow_key
from billing_tui.gateway import Gateway, build_client, close_client
from billing_tui.gateway.sweep import sweep

KEY = "sk_test_benchmark"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _serve(population: int, latency_ms: float, urls: Any, stop: Any) -> None:
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    sandbox = Sandbox.demo(scenarios=(), population=population, now=NOW)
    allow_key(sandbox, KEY)
    with SandboxServer(sandbox, latency_ms=latency_ms) as server:
        urls.put(server.url)
        stop.wait()


async def _sweep(url: str, *, sharded: bool, rate: float) -> tuple[int, int, float]:
    client = build_client(KEY, api_base=url, settings=Settings(max_network_retries=0))
    gateway = Gateway(client, settings=Settings(max_network_retries=0))
    started = time.perf_counter()
    try:
        result = await sweep(
            gateway.page_fetcher("subscriptions"),
            since=int(datetime(2010, 1, 1, tzinfo=UTC).timestamp()),
            until=int(NOW.timestamp()) + 1,
            shards=16 if sharded else 1,
            concurrency=8 if sharded else 1,
            rate=rate,
            created_of=(lambda s: int(s.created.timestamp())) if sharded else None,
            key_of=(lambda s: str(s.id)) if sharded else None,
        )
    finally:
        await close_client(client)
    return len(result.items), result.requests, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--population", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    ctx = multiprocessing.get_context("spawn")
    urls = ctx.Queue()
    stop = ctx.Event()
    server = ctx.Process(
        target=_serve, args=(args.population, args.latency_ms, urls, stop), daemon=True
    )
    server.start()
    try:
        url = urls.get(timeout=600)
        print(f"sandbox: {args.population} customers, {args.latency_ms:.0f} ms latency, {url}")
        n, serial_requests, serial_wall = asyncio.run(_sweep(url, sharded=False, rate=1e6))
        ideal = math.ceil(n / 100)
        print(
            f"serial pagination   {n} subscriptions  {serial_requests:4d} requests  "
            f"{serial_wall:7.2f} s"
        )
        for label, rate in (("sharded @ 25 req/s ", 25.0), ("sharded @ 100 req/s", 100.0)):
            m, requests, wall = asyncio.run(_sweep(url, sharded=True, rate=rate))
            assert m == n, f"sharded sweep found {m} subscriptions, serial {n}"
            overhead = requests / ideal - 1
            print(
                f"{label} {m} subscriptions  {requests:4d} requests "
                f"(ideal {ideal}, overhead {overhead:+.0%}, target ≤ +10%)  {wall:7.2f} s  "
                f"= {wall / serial_wall:.2f} of serial (target ≤ 0.35)"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (client process): {peak:.0f} MB (target ≤ 300 MB)")
    finally:
        stop.set()
        server.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
