"""The generated population: deterministic, realistic mix, Stripe-shaped, fast enough."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

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
        elif sub["status"] == "trialing":
            assert inv["status"] == "paid"
            assert inv["amount_paid"] == 0
            assert inv["lines"]["data"][0]["description"].startswith("Trial period for ")
        else:
            assert inv["status"] == "paid"
            items = sub["items"]["data"]
            assert inv["amount_paid"] == sum(
                i["price"]["unit_amount"] * i["quantity"] for i in items
            )
            assert len(inv["lines"]["data"]) == len(items)


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


def test_the_population_plants_add_ons_trials_pending_cancellations_refunds_and_disputes(
    big: tuple[SandboxState, population.PopulationInfo, float],
) -> None:
    st, info, _ = big
    subs = {s["id"]: s for s in st.all("subscription")}
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for sub in subs.values():
        by_customer.setdefault(sub["customer"], []).append(sub)
    assert 0.08 < len(info.multi_item_customer_ids) / 20_000 < 0.12
    for cid in info.multi_item_customer_ids[:200]:
        (sub,) = by_customer[cid]
        products = [i["price"]["product"] for i in sub["items"]["data"]]
        assert len(products) == 2
        assert products[1] in {"prod_addon_storage", "prod_addon_support"}
        assert len({i["price"]["currency"] for i in sub["items"]["data"]}) == 1
    assert len({p["id"] for p in st.all("product")}) >= 4
    assert len(list(st.all("price"))) > 30
    # about 4 % of the ~80 % active ones
    assert 0.02 < len(info.trialing_customer_ids) / 20_000 < 0.045
    now = st.now()
    for cid in info.trialing_customer_ids:
        (sub,) = by_customer[cid]
        assert sub["status"] == "trialing"
        assert sub["trial_start"] < now < sub["trial_end"]
    assert 0.03 < len(info.cancel_pending_customer_ids) / 20_000 < 0.07
    for cid in info.cancel_pending_customer_ids:
        (sub,) = by_customer[cid]
        item = sub["items"]["data"][0]
        assert sub["status"] == "active"
        assert sub["cancel_at_period_end"] is True
        assert sub["cancel_at"] == item["current_period_end"]
        assert item["current_period_start"] <= sub["canceled_at"] <= now
    refunds = [st.objects["refund"][r] for r in info.refund_ids]
    paid = sum(1 for c in st.all("charge") if c["status"] == "succeeded")
    assert 0.025 < len(refunds) / paid < 0.05
    full = [r for r in refunds if st.objects["charge"][r["charge"]]["refunded"]]
    assert 0.4 < len(full) / len(refunds) < 0.7  # the rest are partial
    for r in refunds:
        charge = st.objects["charge"][r["charge"]]
        assert charge["amount_refunded"] == r["amount"] <= charge["amount"]
        assert charge["created"] < r["created"] <= now
    disputes = [st.objects["dispute"][d] for d in info.dispute_ids]
    assert 0.003 < len(disputes) / paid < 0.012
    assert {"won", "lost"} <= {d["status"] for d in disputes}
    for d in disputes:
        assert st.objects["charge"][d["charge"]]["disputed"] is True
        assert d["created"] <= now


def test_the_extras_do_not_change_what_was_planted_before_them() -> None:
    """The add-ons, trials, refunds and disputes draw from their own generator: the
    duplicate, past-due and churned customers of a seed stay the ones they were (the figures
    the population made before the extras existed)."""
    info = population.populate(_fresh(), 2_000, seed=7)
    assert info.duplicate_customer_ids[:3] == (
        "cus_pop7n000027",
        "cus_pop7n000063",
        "cus_pop7n000077",
    )
    assert (len(info.past_due_customer_ids), len(info.churned_customer_ids)) == (95, 254)
