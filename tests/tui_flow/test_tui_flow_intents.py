"""The actions screen and issue 11 (items 1 and 2) on the demo sandbox: a further refund is an
explicit new intent whose confirmation shows what was refunded; a customer another terminal
holds is named with who and since when, and is taken over only deliberately."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from billing_tui.core.model import Charge, Money
from billing_tui.core.plans import ActionKind, DiffRow, Plan, PriorIntent, RevenueImpact
from billing_tui.desk.session import Session
from screens.actions import ActionScreen, PlanState
from screens.actions_intent import NewIntent, NewIntentConfirmScreen
from screens.confirm import ConfirmScreen
from screens.take_over import TakeOverScreen
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import REFUND_PLAN, Host, widget_text
from tests.tui_flow.test_tui_flow_sandbox import Flow, Ticket, confirmed, settle

DANA = "dana.whitfield@example.com"
CUSTOMER = "cus_dupcheckout1"
CHARGE = "ch_dupcheckoutB001"


async def open_dana(session: Session) -> Ticket:
    view = await session.load((await session.lookup(DANA)).customer_ids)
    case = await session.open_case(DANA, view)
    return Ticket(session, case.id, view)


def refunds(ticket: Ticket) -> list[int]:
    """The amounts refunded on the duplicate's charge, as the sandbox holds them."""
    return [r["amount"] for r in ticket.sandbox_objects("refund") if r["charge"] == CHARGE]


def subscription_status(ticket: Ticket) -> str:
    (sub,) = [s for s in ticket.sandbox_objects("subscription") if s["id"] == "sub_dupcheckoutB"]
    return str(sub["status"])


def row_of(screen: ActionScreen, kind: ActionKind, title_part: str = "") -> int:
    return next(i for i, p in enumerate(screen.plans) if p.kind == kind and title_part in p.title)


async def press_on(pilot: Pilot[Any], screen: ActionScreen, row: int, key: str) -> None:
    """Press ``key`` on plan ``row``; return once a modal is up or the screen is idle again."""
    screen.query_one("#plans").move_cursor(row=row)
    await pilot.press(key)
    for _ in range(200):
        await pilot.pause(0.02)
        if pilot.app.screen is not screen or not screen.busy:
            break
    await pilot.pause()


async def partial_refund(ticket: Ticket, amount: str) -> Plan:
    """A partial refund made earlier in this case (as `triage --refund-amount` makes it)."""
    classification = await confirmed(ticket)
    refund = next(
        p for p in ticket.session.plans(ticket.view, classification) if p.kind == ActionKind.REFUND
    )
    partial = ticket.session.refund_amount(ticket.view, classification, refund, amount)
    outcome = await ticket.session.execute(ticket.case_id, ticket.view, partial)
    assert outcome.status == "succeeded"
    ticket.view = await ticket.session.refresh(ticket.view)  # the screen opens on Stripe now
    return partial


# ---------------------------------------------------------------------------- new intent


async def test_a_further_refund_is_a_new_intent_that_shows_the_first(tmp_path: Path) -> None:
    ticket = await open_dana(demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",)))
    await partial_refund(ticket, "5.00")
    (first_refund,) = [r["id"] for r in ticket.sandbox_objects("refund")]
    classification = await ticket.session.classification(ticket.case_id)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, screen)
        refund = row_of(screen, ActionKind.REFUND)
        assert "$14.00" in screen.plans[refund].title  # the rest of the charge

        # pressed again without a new intent: the case's intent #1 is done, nothing is sent
        await press_on(pilot, screen, refund, "x")
        assert isinstance(app.screen, ConfirmScreen)
        assert not isinstance(app.screen, NewIntentConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert refunds(ticket) == [500]
        refund = row_of(screen, ActionKind.REFUND)
        assert screen.states[refund] != PlanState.SUCCEEDED
        assert "Not run" in screen.outcomes[refund]
        assert "already done: intent #1 ($5.00" in screen.outcomes[refund]
        assert "as a new intent in the actions screen" in screen.outcomes[refund]

        # n: the confirmation first says what was refunded on the charge and what is left
        await press_on(pilot, screen, refund, "n")
        modal = app.screen
        assert isinstance(modal, NewIntentConfirmScreen)
        assert widget_text(modal.query_one("#title")) == "Refund again, as intent #2?"
        shown = widget_text(modal.query_one("#new-intent"))
        assert f"A further refund: intent #2 on {CHARGE}" in shown
        assert f"intent #1 ($5.00; {first_refund}; succeeded, case log)" in shown
        assert "Charge $19.00 · refunded $5.00 · remaining refundable $14.00" in shown
        await pilot.press("y")
        await settle(pilot)
        assert refunds(ticket) == [500, 1400]

        # the charge is refunded in full now: no third refund is offered as a new intent
        rows = [i for i, p in enumerate(screen.plans) if p.kind == ActionKind.REFUND]
        for row in rows:
            await press_on(pilot, screen, row, "n")
            assert not isinstance(app.screen, NewIntentConfirmScreen)
        assert refunds(ticket) == [500, 1400]
    await ticket.session.aclose()


async def test_cancelling_the_new_intent_confirmation_sends_nothing(tmp_path: Path) -> None:
    ticket = await open_dana(demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",)))
    await partial_refund(ticket, "5.00")
    classification = await ticket.session.classification(ticket.case_id)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, screen)
        await press_on(pilot, screen, row_of(screen, ActionKind.REFUND), "n")
        assert isinstance(app.screen, NewIntentConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert refunds(ticket) == [500]
        # n on something that is not a refund says so and opens nothing
        await press_on(pilot, screen, row_of(screen, ActionKind.CANCEL_SUBSCRIPTION), "n")
        assert app.screen is screen
    await ticket.session.aclose()


async def test_new_intent_on_an_unrefunded_charge_points_to_x(tmp_path: Path) -> None:
    ticket = await open_dana(demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",)))
    classification = await confirmed(ticket)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, screen)
        await press_on(pilot, screen, row_of(screen, ActionKind.REFUND), "n")
        assert app.screen is screen
        assert refunds(ticket) == []
        assert any("x runs this refund as intent #1" in str(n.message) for n in app._notifications)
    await ticket.session.aclose()


# ---------------------------------------------------------------------------- two terminals


async def test_a_held_customer_names_the_holder_and_is_taken_over_deliberately(
    tmp_path: Path,
) -> None:
    """Two sessions on one case-log directory: two terminals on the same customer."""
    alice = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="alice")
    )
    bob = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="bob")
    )
    await alice.session.claim(alice.view.customer_ids)
    classification = await confirmed(bob)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(bob.session, bob.case_id, bob.view, classification)
        await app.show(pilot, screen)
        banner = screen.query_one("#holder-banner", Static)
        assert banner.has_class("-shown")
        shown = widget_text(banner)
        assert f"{CUSTOMER} is being worked on by alice (pid {os.getpid()} on " in shown
        assert " since 20" in shown
        assert " UTC." in shown
        assert "Press t to take it over" in shown

        # while alice holds the customer, no money moves from bob's terminal
        cancel = row_of(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        await press_on(pilot, screen, cancel, "x")
        assert app.screen is screen
        assert subscription_status(bob) == "active"

        # t asks first; n leaves the customer with alice
        await pilot.press("t")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, TakeOverScreen)
        assert widget_text(modal.query_one("#take-over-title")).startswith(
            f"Take over {CUSTOMER} from alice? They will be refused before their next money call"
        )
        await pilot.press("n")
        await settle(pilot)
        assert screen.holder is not None
        assert banner.has_class("-shown")

        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert screen.holder is None
        assert not banner.has_class("-shown")
        await press_on(pilot, screen, cancel, "x")
        await pilot.press("y")
        await settle(pilot)
        assert subscription_status(bob) == "canceled"

    # alice is refused before her next money call, and nothing is sent
    alice_classification = await confirmed(alice)
    refund = next(
        p for p in alice.session.plans(alice.view, alice_classification) if p.kind == "refund"
    )
    lost = await alice.session.execute(alice.case_id, alice.view, refund)
    assert lost.status == "skipped"
    assert f"{CUSTOMER} was taken over by bob" in lost.message
    assert refunds(alice) == []
    await alice.session.aclose()
    await bob.session.aclose()


async def test_a_terminal_taken_over_mid_case_shows_the_new_holder(tmp_path: Path) -> None:
    bob = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="bob")
    )
    alice = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="alice")
    )
    classification = await confirmed(bob)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(bob.session, bob.case_id, bob.view, classification)
        await app.show(pilot, screen)
        banner = screen.query_one("#holder-banner", Static)
        assert screen.holder is None
        assert not banner.has_class("-shown")

        await alice.session.take_over(alice.view.customer_ids)
        cancel = row_of(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        await press_on(pilot, screen, cancel, "x")
        await pilot.press("y")
        await settle(pilot)
        assert subscription_status(bob) == "active"
        cancel = row_of(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        assert f"{CUSTOMER} was taken over by alice" in screen.outcomes[cancel]
        assert "being worked on by alice" in widget_text(banner)

        # leaving the screen gives nothing back that bob no longer holds
        await pilot.press("escape")
        await settle(pilot)
    assert (await alice.session.claim(alice.view.customer_ids)).notes == ()
    await alice.session.aclose()
    await bob.session.aclose()


async def test_leaving_the_actions_screen_lets_another_terminal_claim(tmp_path: Path) -> None:
    bob = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="bob")
    )
    alice = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="alice")
    classification = await confirmed(bob)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.show(pilot, ActionScreen(bob.session, bob.case_id, bob.view, classification))
        holder, _ = await alice.claim_or_holder(bob.view.customer_ids)
        assert holder is not None
        assert holder.operator == "bob"
        await pilot.press("escape")
        await settle(pilot)
        assert await alice.claim_or_holder(bob.view.customer_ids) == (None, ())
    await alice.aclose()
    await bob.session.aclose()


# ---------------------------------------------------------------------------- snapshots

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SnapCompare = Callable[..., bool]

#: A lease another machine's terminal holds (another host: never taken for a stale one).
ALICE_LEASE = {
    "operator": "alice",
    "pid": 4242,
    "host": "desk-2",
    "since": "2026-11-23T09:30:00+00:00",
    "token": "0123456789abcdef",
}


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_holder_notice(
    snap_compare: SnapCompare, size: tuple[int, int], tmp_path: Path
) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    locks = tmp_path / "cases" / "locks"
    locks.mkdir(parents=True)
    (locks / f"{CUSTOMER}.json").write_text(json.dumps(ALICE_LEASE))

    async def open_actions(pilot: Pilot[Any]) -> None:
        view = await session.load((await session.lookup(DANA)).customer_ids)
        classification = session.suggest(view).confirm()
        pilot.app.push_screen(ActionScreen(session, "case_7", view, classification))
        await settle(pilot)

    assert snap_compare(Flow(), terminal_size=size, run_before=open_actions)


FIRST_REFUND = PriorIntent(
    ordinal=1,
    source="case log",
    done=True,
    key="btui-refund-ch_B-1-0123456789abcdef01234567",
    stripe_ids=("re_1",),
    amount=Money(500, "usd"),
    status="succeeded",
)
CHARGE_B = Charge(
    id="ch_B",
    customer_id="cus_A",
    amount=Money(1900, "usd"),
    amount_captured=Money(1900, "usd"),
    amount_refunded=Money(500, "usd"),
    status="succeeded",
    created=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    paid=True,
)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_new_intent_confirmation(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    plan = replace(
        REFUND_PLAN,
        title="Refund $14.00 of ch_B (the rest)",
        params=(("charge", "ch_B"), ("amount", "1400"), ("requested", "rest")),
        diff=(
            DiffRow("ch_B", "amount_refunded", "$5.00", "$19.00"),
            DiffRow("ch_B", "refunded", "false", "true"),
        ),
        api_calls=("POST /v1/refunds charge=ch_B amount=1400",),
        impact=RevenueImpact(refund=Money(1400, "usd")),
        amount=Money(1400, "usd"),
        new_intent=True,
    )
    intent = NewIntent(plan, (FIRST_REFUND,), CHARGE_B)
    app = Host(NewIntentConfirmScreen(intent, live=False))
    assert snap_compare(app, terminal_size=size, run_before=settle)


async def test_a_holder_who_lets_go_frees_the_screen_on_the_next_press(tmp_path: Path) -> None:
    alice = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="alice")
    bob = await open_dana(
        demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",), operator="bob")
    )
    await alice.claim(bob.view.customer_ids)
    classification = await confirmed(bob)
    app = Flow()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(bob.session, bob.case_id, bob.view, classification)
        await app.show(pilot, screen)
        assert screen.holder is not None
        await alice.aclose()  # alice's terminal is closed: her lease is given back
        cancel = row_of(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        await press_on(pilot, screen, cancel, "x")
        await settle(pilot)
        assert app.screen is screen  # refused (nothing sent), and the holder is asked again
        assert subscription_status(bob) == "active"
        assert screen.holder is None
        assert not screen.query_one("#holder-banner").has_class("-shown")
        await press_on(pilot, screen, cancel, "x")
        await pilot.press("y")
        await settle(pilot)
        assert subscription_status(bob) == "canceled"
    await bob.session.aclose()
