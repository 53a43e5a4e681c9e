"""The snapshot questions of ``core.queries``, each asked directly (the detectors, the classifier
and the planner all read these answers)."""

from __future__ import annotations

from dataclasses import replace

from billing_tui.core import queries as q
from billing_tui.core.settings import DEFAULT_SETTINGS
from tests.domain import domain_builders as b


def test_plan_and_subscription_names() -> None:
    assert q.plan_name(b.PRO_MONTHLY) == "Pro Monthly"
    assert q.plan_name(replace(b.PRO_MONTHLY, nickname=None)) == "Pro"
    sub = b.subscription(prices=[b.PRO_MONTHLY, b.PRO_MONTHLY, b.TEAM_MONTHLY])
    assert q.subscription_name(sub) == f"Pro Monthly, {q.plan_name(b.TEAM_MONTHLY)}"
    empty = replace(sub, items=())
    assert q.subscription_name(empty) == sub.id
    assert q.max_quantity(empty) == 0


def test_person_seats_and_shared_plans() -> None:
    ann = b.subscription(metadata={"seat_holder": "  Ann "})
    other = b.subscription(metadata={"for": "Bob"}, quantity=4)
    unnamed = b.subscription()
    assert q.person(ann, DEFAULT_SETTINGS) == "ann"
    assert q.person(unnamed, DEFAULT_SETTINGS) is None
    assert q.different_people(ann, other, DEFAULT_SETTINGS)
    assert not q.different_people(ann, unnamed, DEFAULT_SETTINGS)
    assert q.single_seat(ann)
    assert not q.single_seat(other)
    assert q.max_quantity(other) == 4
    assert q.shared_plans(ann, other) == [b.PRO_MONTHLY]
    assert q.shared_plans(ann, b.subscription(price=b.PRO_ANNUAL)) == []  # other interval


def test_customers_by_email_normalises_and_skips_blank() -> None:
    a = b.customer("cus_a", email=" Jane@Example.com")
    c = b.customer("cus_b", email="jane@example.com")
    none = b.customer("cus_c", email="  ")
    groups = q.customers_by_email([a, c, none])
    assert list(groups) == ["jane@example.com"]
    assert [x.id for x in groups["jane@example.com"]] == ["cus_a", "cus_b"]


def test_paying_card_charge_subscriptions_and_default_card() -> None:
    sub, inv, ch = b.paid_subscription(details=b.card(fingerprint="fpA"))
    snap = b.world((sub, inv, ch))
    ref = q.paying_card(snap, sub)
    assert ref is not None
    assert ref.key == "fp:fpA"
    assert q.first_invoice(snap, sub) == inv
    assert q.charge_subscriptions(snap) == {ch.id: sub.id}
    cust = snap.primary
    assert q.default_card(snap, cust) is None  # no default set on customer or subscription
    pm = snap.payment_methods[0]
    with_default = replace(snap, customers=(replace(cust, default_payment_method_id=pm.id),))
    assert q.default_card(with_default, with_default.primary) == (pm.id, pm.card)
    assert q.has_payment_method(snap, cust)


def test_live_by_customer_is_oldest_first() -> None:
    new = b.subscription("cus_1", created=b.ago(days=1))
    old = b.subscription("cus_1", created=b.ago(days=9))
    gone = b.subscription("cus_1", status="canceled")
    snap = b.snapshot(subscriptions=[new, gone, old])
    assert q.live_by_customer(snap) == {"cus_1": [old, new]}
    assert q.oldest_first([new, old]) == [old, new]


def test_components_keeps_node_order_and_drops_singletons() -> None:
    assert q.components(["a", "b", "c", "d"], [("c", "a"), ("b", "d")]) == [["a", "c"], ["b", "d"]]
    assert q.components(["a", "b"], []) == []
