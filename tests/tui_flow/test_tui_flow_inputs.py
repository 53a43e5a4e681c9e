"""The operator's own inputs in the confirmation, on the demo sandbox: a typed partial refund
and its reason code, a typed seat count, a cancel on a date, and values that are refused
inline with nothing sent. The sandbox state after each run is the proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Button, Input, RadioSet

from billing_tui.app import BillingApp
from billing_tui.core.classify import Bucket
from billing_tui.core.plans import ActionKind
from billing_tui.sandbox import DEFAULT_TEST_NOW
from screens.actions import ActionScreen, PlanState
from screens.confirm import ConfirmScreen
from screens.customer import CustomerScreen
from screens.handoff import HandoffScreen
from screens.wizard import WizardScreen
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import widget_text
from tests.tui_flow.test_tui_flow_sandbox import (
    Flow,
    confirmed,
    open_ticket,
    plan_index,
    settle,
)


async def open_confirmation(pilot: Pilot[Any], actions: ActionScreen, index: int) -> ConfirmScreen:
    actions.query_one("#plans").move_cursor(row=index)
    await pilot.press("x")
    # not settle(): the run worker waits on this very modal until it is answered
    for _ in range(50):
        await pilot.pause()
        if isinstance(pilot.app.screen, ConfirmScreen):
            break
    modal = pilot.app.screen
    assert isinstance(modal, ConfirmScreen)
    return modal


async def type_into(pilot: Pilot[Any], box: Input, text: str) -> None:
    """Focus ``box``, clear it and type ``text`` key by key."""
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *text)
    await pilot.pause()


def diff_text(modal: ConfirmScreen) -> str:
    return widget_text(modal.query_one("#diff"))


def message(modal: ConfirmScreen) -> str:
    return widget_text(modal.query_one("#message"))


# ---------------------------------------------------------------------------- refund


async def test_a_typed_partial_refund_with_its_reason_is_what_stripe_refunds(
    tmp_path: Path,
) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout")
    app = Flow()
    async with app.run_test(size=(100, 34)) as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        refund = plan_index(actions, ActionKind.REFUND)
        modal = await open_confirmation(pilot, actions, refund)
        hint = widget_text(modal.query_one("#amount-hint"))
        assert "refundable $19.00" in hint
        assert "this case refunded nothing" in hint
        assert modal.query_one("#amount", Input).value == "19.00"

        await type_into(pilot, modal.query_one("#amount", Input), "7.50")
        assert "ch_dupcheckoutB001.amount_refunded $0.00 → $7.50" in diff_text(modal)
        assert "refund $7.50" in widget_text(modal.query_one("#summary"))
        assert "amount=750" in diff_text(modal)
        # the reason code: from duplicate two along to requested_by_customer
        modal.query_one("#reason", RadioSet).focus()
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert "reason: requested_by_customer" in diff_text(modal)
        await pilot.press("y")
        await settle(pilot)

        assert app.screen is actions
        refunds = ticket.sandbox_objects("refund")
        assert [(r["charge"], r["amount"], r["reason"]) for r in refunds] == [
            ("ch_dupcheckoutB001", 750, "requested_by_customer")
        ]
        done = widget_text(actions.query_one("#case-actions"))
        assert "$7.50" in done  # the case's done actions name what ran
        # re-planned: the refund now offered is what is left on the charge
        left = actions.plans[plan_index(actions, ActionKind.REFUND)]
        assert left.amount is not None
        assert left.amount.amount == 1150

    # a new look at the case: the charge has $11.50 left, the case refunded $7.50 of it
    view = await ticket.session.refresh(ticket.view)
    async with Flow().run_test(size=(100, 34)) as pilot:
        app2 = pilot.app
        assert isinstance(app2, Flow)
        again = ActionScreen(ticket.session, ticket.case_id, view, await confirmed(ticket))
        await app2.show(pilot, again)
        modal = await open_confirmation(pilot, again, plan_index(again, ActionKind.REFUND))
        hint = widget_text(modal.query_one("#amount-hint"))
        assert "refundable $11.50" in hint
        assert "this case refunded $7.50" in hint


async def test_refund_values_that_cannot_run_are_refused_and_nothing_is_sent(
    tmp_path: Path,
) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout")
    app = Flow()
    async with app.run_test(size=(100, 34)) as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        refund = plan_index(actions, ActionKind.REFUND)
        modal = await open_confirmation(pilot, actions, refund)
        amount = modal.query_one("#amount", Input)
        run = modal.query_one("#confirm", Button)
        for typed, said in (
            ("25.00", "more than the $19.00 left to refund"),
            ("abc", "is not an amount"),
            ("1.999", "at most 2 decimals"),
            ("0", "more than zero"),
            ("", "type the amount to refund"),
        ):
            await type_into(pilot, amount, typed)
            assert said in message(modal), typed
            assert run.disabled, typed
            assert amount.has_class("-invalid") or "left to refund" in said
        modal.query_one("#cancel", Button).focus()
        await pilot.press("y")  # the run key refuses while a value is wrong
        await pilot.pause()
        assert app.screen is modal
        assert "Not run:" in message(modal)
        await type_into(pilot, amount, "5")
        assert message(modal) == ""
        assert not run.disabled
        await pilot.press("escape")
        await settle(pilot)
        assert ticket.sandbox_objects("refund") == []
        assert actions.states[refund] == PlanState.READY


async def test_live_phrase_follows_the_typed_amount(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout", live=True)
    app = Flow()
    async with app.run_test(size=(100, 34)) as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        modal = await open_confirmation(pilot, actions, plan_index(actions, ActionKind.REFUND))
        phrase = modal.query_one("#phrase", Input)
        assert app.focused is phrase  # LIVE: the typed box has the focus
        await type_into(pilot, modal.query_one("#amount", Input), "5.00")
        assert "Type 5.00 in the box" in widget_text(modal.query_one("#live-banner"))
        await type_into(pilot, phrase, "19.00")  # the plan's old amount no longer confirms
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal
        assert "type 5.00 exactly" in message(modal)
        await type_into(pilot, phrase, "5.00")
        await pilot.press("enter")
        await settle(pilot)
        assert [r["amount"] for r in ticket.sandbox_objects("refund")] == [500]


# ---------------------------------------------------------------------------- cancel


async def test_cancel_on_a_typed_date_sets_stripes_cancel_at(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout")
    app = Flow()
    async with app.run_test(size=(100, 34)) as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        cancel = plan_index(actions, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        modal = await open_confirmation(pilot, actions, cancel)
        date_box = modal.query_one("#cancel-date", Input)
        date_row = modal.query_one("#cancel-date-row")
        assert not date_row.display  # shown once "on a date" is chosen
        modal.query_one("#cancel-when", RadioSet).focus()
        await pilot.press("down", "down", "enter")  # now → at period end → on a date
        await pilot.pause()
        assert date_row.display
        assert "type the cancel date" in message(modal)

        past = (DEFAULT_TEST_NOW - timedelta(days=1)).date().isoformat()
        await type_into(pilot, date_box, past)
        assert "must be in the future" in message(modal)
        assert modal.query_one("#confirm", Button).disabled

        day = (DEFAULT_TEST_NOW + timedelta(days=10)).date()
        await type_into(pilot, date_box, day.isoformat())
        assert message(modal) == ""
        assert f"sub_dupcheckoutB.cancel_at — → {day.isoformat()}" in diff_text(modal)
        assert f"from {day.isoformat()}" in widget_text(modal.query_one("#summary"))
        modal.query_one("#cancel", Button).focus()
        await pilot.press("y")
        await settle(pilot)

        assert f"on {day.isoformat()}" in widget_text(actions.query_one("#case-actions"))
        sub = next(
            s for s in ticket.sandbox_objects("subscription") if s["id"] == "sub_dupcheckoutB"
        )
        assert sub["status"] == "active"
        assert sub["cancel_at"] == int(
            datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        )
        assert ticket.sandbox_objects("refund") == []


# ---------------------------------------------------------------------------- seats


async def test_seat_reduction_ticket_end_to_end_in_the_tui(tmp_path: Path) -> None:
    """finance.helios@example.com: search → customer → classify → act with 3 seats → handoff."""
    session = demo_session(tmp_path / "data", now=DEFAULT_TEST_NOW, scenarios=("seat-reduction",))
    app = BillingApp(session)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.pause()
        app.screen.query_one("#query", Input).value = "finance.helios@example.com"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)

        await pilot.press("c")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, WizardScreen)
        assert "contract" in wizard.steps
        while wizard.current_step != "contract":  # the questions keep the suggestion
            await pilot.press("ctrl+n")
            await pilot.pause()
        await pilot.press("space", "ctrl+f", "ctrl+f")
        await settle(pilot)
        assert app.screen is customer
        assert customer.classification is not None
        assert customer.classification.final == Bucket.TEAM_INTENT

        await pilot.press("a")
        await settle(pilot)
        actions = app.screen
        assert isinstance(actions, ActionScreen)
        seats = plan_index(actions, ActionKind.UPDATE_QUANTITY, "no proration")
        modal = await open_confirmation(pilot, actions, seats)
        box = modal.query_one("#seats", Input)
        for typed, said in (("10", "already has 10 seats"), ("0", "at least 1 seat")):
            await type_into(pilot, box, typed)
            assert said in message(modal)
            assert modal.query_one("#confirm", Button).disabled
        await type_into(pilot, box, "3")
        assert message(modal) == ""
        assert "si_seatreduce11.quantity 10 → 3" in diff_text(modal)
        assert "to 3 seats" in diff_text(modal)
        assert "MRR -$70.00" in widget_text(modal.query_one("#summary"))
        modal.query_one("#cancel", Button).focus()
        await pilot.press("y")
        await settle(pilot)
        assert "3 seats" in widget_text(actions.query_one("#case-actions"))
        sandbox = session.connection.sandbox
        assert sandbox is not None
        sub = sandbox.state.get("subscription", "sub_seatreduce1")
        assert sub["items"]["data"][0]["quantity"] == 3
        assert list(sandbox.state.all("refund")) == []

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is customer
        await pilot.press("h")
        await settle(pilot)
        handoff = app.screen
        assert isinstance(handoff, HandoffScreen)
        assert handoff.doc is not None
        assert "3 seats" in handoff.doc.section("ACTION TAKEN")
