"""Sandbox throughput and memory.

Prints requests/second for a customer list and a subscription list, through the real SDK
in-process and over the loopback server, and the resident memory after building
``Sandbox.demo(population=20000)``.

    /work/venv/bin/python benchmarks/sandbox.py [--seconds 2] [--population 20000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import stripe

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer


def rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def rate(call: Callable[[], object], seconds: float) -> float:
    call()  # warm up (imports, caches)
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        call()
        count += 1
    return count / elapsed


def fallback_sandbox(customers: int) -> Sandbox:
    """A plain sandbox of ``customers`` customers with one subscription each (no catalog)."""
    sandbox = Sandbox(now=DEFAULT_TEST_NOW)
    state = sandbox.state
    now = state.now()
    for i in range(customers):
        cus = f"cus_bench{i:07d}"
        state.add(
            {
                "id": cus,
                "object": "customer",
                "email": f"user{i}@example.com",
                "name": f"User {i}",
                "created": now - i * 60,
                "livemode": False,
                "metadata": {},
                "balance": 0,
                "invoice_settings": {},
            }
        )
        sub = f"sub_bench{i:07d}"
        item = {
            "id": f"si_bench{i:07d}",
            "object": "subscription_item",
            "quantity": 1,
            "subscription": sub,
            "current_period_start": now - 86_400,
            "current_period_end": now + 29 * 86_400,
            "price": {
                "id": "price_bench",
                "object": "price",
                "unit_amount": 2000,
                "currency": "usd",
                "product": "prod_bench",
                "recurring": {"interval": "month", "interval_count": 1},
            },
        }
        state.add(
            {
                "id": sub,
                "object": "subscription",
                "customer": cus,
                "status": "active",
                "created": now - i * 60,
                "livemode": False,
                "metadata": {},
                "items": {
                    "object": "list",
                    "data": [item],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sub}",
                },
            }
        )
    return sandbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--population", type=int, default=20_000)
    args = parser.parse_args()

    before = rss_mb()
    started = time.perf_counter()
    try:
        sandbox = Sandbox.demo(population=args.population, now=DEFAULT_TEST_NOW)
        built = time.perf_counter() - started
        counts = {k: len(v) for k, v in sandbox.state.objects.items() if v}
        print(f"Sandbox.demo(population={args.population}) built in {built:.1f} s: {counts}")
        print(
            f"resident memory: {rss_mb():.0f} MiB peak ({rss_mb() - before:.0f} MiB for the "
            "sandbox)"
        )
    except ImportError as error:
        print(
            f"skipping the population figures: {error} (the catalog/population modules are "
            "not available yet); measuring a plain 2,000-customer sandbox instead"
        )
        sandbox = fallback_sandbox(2_000)

    customer = next(iter(sandbox.state.objects["customer"].values()))["id"]
    calls: dict[str, Callable[[stripe.StripeClient], object]] = {
        "customers.list(limit=10)": lambda c: c.v1.customers.list({"limit": 10}),
        "subscriptions.list(customer=…)": lambda c: c.v1.subscriptions.list({"customer": customer}),
        "subscriptions.list(limit=100)": lambda c: c.v1.subscriptions.list({"limit": 100}),
    }
    raw = {
        "customers.list(limit=10)": "/v1/customers?limit=10",
        "subscriptions.list(customer=…)": f"/v1/subscriptions?customer={customer}",
        "subscriptions.list(limit=100)": "/v1/subscriptions?limit=100",
    }
    auth = {"Authorization": "Bearer sk_test_benchmark"}
    for name, url in raw.items():
        figure = rate(lambda url=url: sandbox.handle("GET", url, auth, None), args.seconds)
        print(f"engine only {name:32s} {figure:8.0f} req/s  (Sandbox.handle, no SDK)")
    inproc = sandbox.stripe_client("sk_test_benchmark")
    for name, call in calls.items():
        figure = rate(lambda call=call: call(inproc), args.seconds)
        print(f"in-process  {name:32s} {figure:8.0f} req/s  (real SDK, in-process client)")
    with SandboxServer(sandbox) as server:
        http = stripe.RequestsClient()
        loop = stripe.StripeClient(
            "sk_test_benchmark", base_addresses={"api": server.url}, http_client=http
        )
        for name, call in calls.items():
            figure = rate(lambda call=call: call(loop), args.seconds)
            print(f"loopback    {name:32s} {figure:8.0f} req/s  (real SDK, requests, HTTP)")
        http.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
