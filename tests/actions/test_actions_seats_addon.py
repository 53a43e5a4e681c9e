"""Seat changes on a base plan + a per-seat add-on: allowed when the plan targets the one item
that holds the seats (the add-on), still sent to the Dashboard when that is ambiguous."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from billing_tui.core.classify import Answers
from billing_tui.core.model import Subscription
from billing_tui.core.plans import ActionKind, seats_guard
from tests.actions.actions_builders import price, subscription
from tests.demo import demo_session
from tests.truth.truth_scenarios import MORE_DIR

SCENARIO = str(MORE_DIR / "base-plus-addon.json")


def two_items(base_qty: int, addon_qty: int) -> Subscription:
    base = subscription("sub_two1", quantity=base_qty)
    addon = subscription(
        "sub_two1", p=price(900, pid="price_seat", name="Seat"), quantity=addon_qty
    )
    (item,) = addon.items
    return replace(base, items=(*base.items, replace(item, id="si_two1seat")))


async def test_the_addon_seats_change_end_to_end(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=(SCENARIO,))
    try:
        view = await session.load((await session.lookup("cus_baseaddon1")).customer_ids)
        case = await session.open_case("cus_baseaddon1", view)
        decided = session.suggest(view, Answers().with_answer("seats", "2")).confirm()
        decided = decided.confirm_contract() if decided.contract is not None else decided
        await session.record_classification(case.id, decided)
        plan = next(
            p
            for p in session.plans(view, decided)
            if p.kind == ActionKind.UPDATE_QUANTITY and p.param("proration_behavior") == "none"
        )
        assert plan.param("item") == "si_baseaddon12"
        assert plan.blocked_reason is None
        assert "Dashboard" not in (plan.blocked_reason or "")
        outcome = await session.execute(case.id, view, plan)
        assert outcome.status == "succeeded", outcome.message
        after = await session.refresh(view)
        (sub,) = after.snapshot.live_subscriptions
        assert {i.id: i.quantity for i in sub.items} == {
            "si_baseaddon11": 1,  # the base plan is untouched
            "si_baseaddon12": 2,
        }
    finally:
        await session.aclose()


def test_the_seat_item_may_change_and_anything_ambiguous_may_not() -> None:
    sub = two_items(1, 4)
    base, addon = sub.items
    assert seats_guard(sub, 2, addon) is None
    assert seats_guard(sub, 4, addon) == "sub_two1 already has 4 seats"
    dashboard = "sub_two1 has 2 items: change seats in the Dashboard"
    assert seats_guard(sub, 2, base) == dashboard  # the base plan is not the seat item
    assert seats_guard(sub, 2) == dashboard  # no item named
    tied = two_items(3, 3)  # both items hold seats: which one?
    assert seats_guard(tied, 2, tied.items[1]) == dashboard
    flat = two_items(1, 1)  # no item holds seats
    assert seats_guard(flat, 2, flat.items[1]) == dashboard
    single = subscription("sub_one1", quantity=5)
    assert seats_guard(single, 3, single.items[0]) is None
    assert seats_guard(single, 3) is None
