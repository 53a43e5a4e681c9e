"""ONE definition of a duplicate subscription: the detectors and the planner see the same groups.

``queries.duplicate_groups`` is the definition; the ``duplicate_subscription`` and
``cross_customer_duplicate`` detectors phrase its groups, and the planner cancels the extras of
``queries.cancellable`` of the very same groups. On every catalog scenario (through the real
path: sandbox → gateway → snapshot) the three agree exactly; the builder cases pin down where
the planner narrows a cross-customer group (seats, different people, already counted).
"""

from __future__ import annotations

import pytest

from billing_tui.core.anomalies import CROSS_CUSTOMER_DUPLICATE, DUPLICATE_SUBSCRIPTION, detect
from billing_tui.core.model import CustomerSnapshot
from billing_tui.core.plans import cancellable_duplicates as planned_groups
from billing_tui.core.queries import DuplicateGroup, cancellable, duplicate_groups
from billing_tui.sandbox.catalog import ScenarioInfo
from tests.domain import domain_builders as b
from tests.domain.test_domain_catalog import SCENARIOS, load

Ids = tuple[str, ...]


def detected(snap: CustomerSnapshot) -> set[Ids]:
    """The subscription groups the two duplicate detectors raise."""
    codes = (DUPLICATE_SUBSCRIPTION, CROSS_CUSTOMER_DUPLICATE)
    return {a.refs for a in detect(snap) if a.code in codes}


def defined(snap: CustomerSnapshot) -> list[DuplicateGroup]:
    return duplicate_groups(snap, across_customers=True)


def planned(snap: CustomerSnapshot) -> list[Ids]:
    return [tuple(s.id for s in group) for group in planned_groups(snap)]


@pytest.mark.parametrize("info", SCENARIOS, ids=lambda s: s.name)
async def test_detector_definition_and_planner_agree_on_every_scenario(info: ScenarioInfo) -> None:
    snap = await load(info)
    groups = defined(snap)
    assert detected(snap) == {g.ids for g in groups}
    assert planned(snap) == [g.ids for g in cancellable(groups)]
    assert planned(snap) == [g.ids for g in groups]  # nothing in the catalog is narrowed


def test_the_catalog_covers_both_kinds_of_duplicate() -> None:
    kinds = {code for info in SCENARIOS for code in info.anomalies}
    assert {DUPLICATE_SUBSCRIPTION, CROSS_CUSTOMER_DUPLICATE} <= kinds


def test_without_across_customers_only_a_customers_own_groups() -> None:
    a, c = b.customer("cus_a"), b.customer("cus_b")
    mine = b.subscription("cus_a", created=b.ago(days=5))
    twin = b.subscription("cus_a", created=b.ago(days=5, seconds=-90))
    theirs = b.subscription("cus_b", created=b.ago(days=3))
    snap = b.snapshot(customers=[a, c], subscriptions=[mine, twin, theirs])
    own = duplicate_groups(snap)
    assert [g.ids for g in own] == [(mine.id, twin.id)]
    assert not own[0].across_customers
    both = defined(snap)
    assert [g.across_customers for g in both] == [False, True]
    assert both[1].ids == (mine.id, twin.id, theirs.id)
    assert both[1].owners == {"cus_a", "cus_b"}
    assert detected(snap) == {g.ids for g in both}
    # the planner keeps the customer's own group and has nothing left to cancel across
    assert planned(snap) == [(mine.id, twin.id)]


def test_the_planner_does_not_cancel_a_team_seat_or_another_persons_plan() -> None:
    a, c, d = b.customer("cus_a"), b.customer("cus_b"), b.customer("cus_c")
    first = b.subscription("cus_a", created=b.ago(days=40), metadata={"for": "Ann"})
    seats = b.subscription("cus_b", created=b.ago(days=30), quantity=3)
    bob = b.subscription("cus_c", created=b.ago(days=20), metadata={"for": "Bob"})
    ann = b.subscription("cus_c", created=b.ago(days=5), metadata={"for": "ann"})
    snap = b.snapshot(customers=[a, c, d], subscriptions=[ann, bob, seats, first])
    groups = defined(snap)
    assert [g.ids for g in groups] == [(first.id, seats.id, bob.id, ann.id)]
    assert detected(snap) == {g.ids for g in groups}
    # the 3 seats and Bob's plan stay; Ann's second plan (names compare case-folded) goes
    assert planned(snap) == [(first.id, ann.id)]


def test_a_group_of_one_seat_holders_for_different_people_is_not_cancelled() -> None:
    a, c = b.customer("cus_a"), b.customer("cus_b")
    ann = b.subscription("cus_a", created=b.ago(days=9), metadata={"for": "Ann"})
    bob = b.subscription("cus_b", created=b.ago(days=8), metadata={"for": "Bob"})
    snap = b.snapshot(customers=[a, c], subscriptions=[ann, bob])
    assert detected(snap) == {(ann.id, bob.id)}
    assert planned(snap) == []


def test_emails_are_compared_normalised_and_order_does_not_matter() -> None:
    a = b.customer("cus_a", email="Jane.Doe@Example.com ")
    c = b.customer("cus_b", email="jane.doe@example.com")
    one = b.subscription("cus_a", created=b.ago(days=9))
    two = b.subscription("cus_b", created=b.ago(days=2))
    forward = b.snapshot(customers=[a, c], subscriptions=[one, two])
    backward = b.snapshot(customers=[c, a], subscriptions=[two, one])
    assert planned(forward) == planned(backward) == [(one.id, two.id)]
    assert [g.ids for g in defined(forward)] == [g.ids for g in defined(backward)]
    assert defined(forward)[0].email == "jane.doe@example.com"
