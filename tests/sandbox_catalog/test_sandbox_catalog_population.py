"""The generated population: deterministic, realistic mix, Stripe-shaped, fast enough."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from billing_tui.sandbox import catalog, population
from billing_tui.sandbox.state import Clock, SandboxState
from tests.sandbox_catalog.conftest import DEFAULT_NOW
from tests.sandbox_catalog.sandbox_catalog_oracle import detect
from tests.sandbox_catalog.sandbox_catalog_shapes import unknown_keys


def _fresh() -> SandboxState:
    return SandboxState(Clock(DEFAULT_NOW))


@pytest.fixture(scope="module")
def big() -> tuple[SandboxState, population.PopulationInfo, float]:
    st = _fresh()
    started = time.process_time()
    info = population.populate(st, 20_000)
    return st, info, time.process_time() - started


def test_same_seed_gives_the_same_population() -> None:
    a, b = _fresh(), _fresh()
    info_a = population.populate(a, 400, seed=11)
    info_b = population.populate(b, 400, seed=11)
    assert info_a == info_b
    dump_a = json.dumps(a.objects, sort_keys=True)
    assert dump_a == json.dumps(b.objects, sort_keys=True)
    c = _fresh()
    population.populate(c, 400, seed=12)
    assert set(c.objects["customer"]).isdisjoint(a.objects["customer"])


def test_twenty_thousand_customers_build_quickly_with_a_realistic_mix(
    big: tuple[SandboxState, population.PopulationInfo, float],
) -> None:
    st, info, seconds = big
    # CPU seconds, so a busy CI box does not make it flaky; a few seconds on a laptop.
    assert seconds < 15
    assert info.count == 20_000
    assert len(st.objects["customer"]) == 20_000
    assert len(info.customer_ids) == len(set(info.customer_ids)) == 20_000
    assert 0.02 < len(info.duplicate_customer_ids) / 20_000 < 0.04
    assert 0.04 < len(info.past_due_customer_ids) / 20_000 < 0.06
    assert 0.09 < len(info.churned_customer_ids) / 20_000 < 0.15
    assert st.scenarios["population"] == info
    subs = list(st.all("subscription"))
    currencies = Counter(s["currency"] for s in subs)
    assert set(currencies) == {"usd", "eur", "gbp", "jpy"}
    intervals = Counter(s["items"]["data"][0]["price"]["recurring"]["interval"] for s in subs)
    assert intervals["month"] > intervals["year"] > 0
    seats = [s["items"]["data"][0]["quantity"] for s in subs]
    assert min(seats) == 1
    assert max(seats) <= 50
    assert sum(1 for q in seats if q > 1) > 0.15 * len(subs)
    reasons = Counter(
        s["cancellation_details"]["reason"] for s in subs if s["status"] == "canceled"
    )
    assert {"cancellation_requested", "payment_failed"} <= set(reasons)
    emails = [c["email"] for c in st.all("customer")]
    assert len({e.lower() for e in emails}) == len(emails)


def test_every_subscription_has_its_latest_invoice_settled_or_failing(
    big: tuple[SandboxState, population.PopulationInfo, float],
) -> None:
    st, info, _ = big
    past_due = set(info.past_due_customer_ids)
    for sub in list(st.all("subscription"))[:3000]:
        inv = st.get("invoice", sub["latest_invoice"])
        assert inv is not None
        item = sub["items"]["data"][0]
        assert inv["lines"]["data"][0]["period"]["start"] == item["current_period_start"]
        if sub["customer"] in past_due:
            assert sub["status"] == "past_due"
            assert inv["status"] == "open"
            assert inv["attempt_count"] >= 1
        else:
            assert inv["status"] == "paid"
            assert inv["amount_paid"] == item["price"]["unit_amount"] * item["quantity"]


def test_planted_duplicates_are_exactly_the_duplicate_subscriptions(
    big: tuple[SandboxState, population.PopulationInfo, float],
) -> None:
    st, info, _ = big
    planted = set(info.duplicate_customer_ids)
    sample = list(info.customer_ids[:400]) + list(info.duplicate_customer_ids)
    portal = st.objects["billing_portal.configuration"]["bpc_default"]
    index = {}
    for kind in ("subscription", "invoice", "charge", "payment_method"):
        for obj in st.all(kind):
            index.setdefault(obj["customer"], []).append(obj)
    for cid in sample:
        small = _fresh()
        small.add(st.objects["customer"][cid])
        for obj in index[cid]:
            small.add(obj)
        invoices = [o for o in index[cid] if o["object"] == "invoice"]
        for inv in invoices:
            inpay = st.get("invoice_payment", "inpay_" + inv["id"][3:])
            if inpay is not None:
                small.add(inpay)
                small.add(st.objects["payment_intent"][inpay["payment"]["payment_intent"]])
        small.add(portal)
        raised = detect(small, [cid])
        assert ("duplicate_subscription" in raised) == (cid in planted), cid
        assert "double_charge" not in raised, cid


def test_population_objects_have_stripes_shape(
    big: tuple[SandboxState, population.PopulationInfo, float],
) -> None:
    st, _, _ = big
    problems: set[str] = set()
    for kind, bucket in st.objects.items():
        for obj in list(bucket.values())[:300]:
            problems.update(unknown_keys(kind, obj))
    assert sorted(problems) == []


def test_population_lives_alongside_the_scenarios() -> None:
    st = _fresh()
    catalog.load(st, ["all"])
    before = {k: len(v) for k, v in st.objects.items()}
    population.populate(st, 300)
    assert len(st.objects["customer"]) == before["customer"] + 300
    for name, info in st.scenarios.items():
        if isinstance(info, catalog.ScenarioInfo):
            assert sorted(detect(st, info.customer_ids)) == sorted(info.anomalies), name


def test_a_second_population_with_the_same_seed_is_refused() -> None:
    st = _fresh()
    population.populate(st, 10)
    with pytest.raises(ValueError, match="seed 7 is already loaded"):
        population.populate(st, 10)
    other = population.populate(st, 10, seed=8)
    assert st.scenarios["population-8"] == other
