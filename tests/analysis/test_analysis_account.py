"""The account sweep over the sandbox: figures match the sandbox's own state, every planted
duplicate is found, and the on-disk cache round-trips."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from billing_tui.core.model import Money, monthly_amount
from billing_tui.desk.account import SweepCache, build_report, load_account
from billing_tui.gateway import Gateway
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.catalog import list_scenarios


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox.demo(now=DEFAULT_TEST_NOW)


def direct_mrr(sandbox: Sandbox) -> dict[str, Money]:
    """MRR computed straight from the sandbox's wire-shaped subscriptions."""
    totals: dict[str, Money] = {}
    for sub in sandbox.state.all("subscription"):
        if sub["status"] not in {"active", "past_due", "unpaid"}:
            continue
        for item in sub["items"]["data"]:
            price = item["price"]
            amount = Money(price["unit_amount"] * (item["quantity"] or 1), price["currency"])
            recurring = price["recurring"]
            mrr = monthly_amount(amount, recurring["interval"], recurring["interval_count"])
            totals[mrr.currency] = totals.get(mrr.currency, Money.zero(mrr.currency)) + mrr
    return dict(sorted(totals.items()))


def test_sweep_figures_equal_the_sandbox_state(sandbox: Sandbox) -> None:
    account = asyncio.run(
        load_account(Gateway(sandbox.stripe_client()), now=DEFAULT_TEST_NOW, rate=1000)
    )
    assert {c.id for c in account.customers} == {c["id"] for c in sandbox.state.all("customer")}
    assert {s.id for s in account.subscriptions} == {
        s["id"] for s in sandbox.state.all("subscription")
    }
    report = build_report(account)
    assert {m.currency: m for m in report.mrr if m} == {
        cur: m for cur, m in direct_mrr(sandbox).items() if m
    }
    names = {row.product_name for row in report.plan_mix}
    assert not any(name.startswith("prod_") for name in names)


def test_the_audit_finds_every_duplicate_the_catalog_planted(sandbox: Sandbox) -> None:
    account = asyncio.run(
        load_account(Gateway(sandbox.stripe_client()), now=DEFAULT_TEST_NOW, rate=1000)
    )
    report = build_report(account)
    found = {(d.code, c) for d in report.duplicates for c in d.customer_ids}
    for scenario in list_scenarios():
        for code in {"duplicate_subscription", "duplicate_customer", "cross_customer_duplicate"}:
            if code in scenario.anomalies:
                assert any((code, c) in found for c in scenario.customer_ids), (
                    scenario.name,
                    code,
                )
    dup = next(d for d in report.duplicates if d.code == "duplicate_subscription")
    assert dup.at_stake is not None
    assert dup.at_stake.amount > 0


def test_the_cache_round_trips_and_expires(sandbox: Sandbox, tmp_path: Path) -> None:
    account = asyncio.run(
        load_account(Gateway(sandbox.stripe_client()), now=DEFAULT_TEST_NOW, rate=1000)
    )
    cache = SweepCache(tmp_path / "sweep.json", max_age=timedelta(minutes=30))
    cache.save(account, DEFAULT_TEST_NOW)
    assert (tmp_path / "sweep.json").stat().st_mode & 0o777 == 0o600
    later = DEFAULT_TEST_NOW + timedelta(minutes=10)
    cached = cache.load(later)
    assert cached is not None
    assert cached.from_cache
    assert cache.age(later) == timedelta(minutes=10)
    assert build_report(cached).plan_mix == build_report(account).plan_mix
    assert build_report(cached).duplicates == build_report(account).duplicates
    assert cache.load(DEFAULT_TEST_NOW + timedelta(minutes=31)) is None


def test_plans_cli_sweeps_then_reads_its_cache(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from billing_tui.cli.main import main

    args = ["plans", "--json", "--demo", "--now", "2026-11-26T12:00:00Z"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["source"]["from_cache"] is False
    assert first["source"]["requests"] >= 3
    assert any(d["code"] == "duplicate_subscription" for d in first["duplicates"])
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["source"]["from_cache"] is True
    assert second["plan_mix"] == first["plan_mix"]
    assert main([*args, "--refresh"]) == 0
    assert json.loads(capsys.readouterr().out)["source"]["from_cache"] is False


def test_sweep_of_a_20000_customer_population_finds_every_planted_duplicate() -> None:
    """Issue 7's scale check: the sharded sweep over the generated population reproduces the
    sandbox's own figures, and the audit finds every duplicate the generator planted."""
    from billing_tui.sandbox.population import PopulationInfo

    big = Sandbox.demo(scenarios=(), population=20_000, now=DEFAULT_TEST_NOW)
    account = asyncio.run(
        load_account(Gateway(big.stripe_client()), now=DEFAULT_TEST_NOW, rate=10_000)
    )
    assert len(account.customers) == 20_000
    assert len(account.subscriptions) == sum(1 for _ in big.state.all("subscription"))
    report = build_report(account)
    assert {m.currency: m for m in report.mrr if m} == {
        cur: m for cur, m in direct_mrr(big).items() if m
    }
    info = big.state.scenarios["population"]
    assert isinstance(info, PopulationInfo)
    found = {
        c for d in report.duplicates if d.code == "duplicate_subscription" for c in d.customer_ids
    }
    assert set(info.duplicate_customer_ids) <= found
    assert len(info.duplicate_customer_ids) >= 400  # ~3 % of 20,000
