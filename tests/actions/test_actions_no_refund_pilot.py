"""Pilot: on the action pane, w on the owed refund asks why it is not made and records it.

After the duplicate is canceled its refund is owed; escape in the modal records nothing, an
empty reason is refused, a reason is recorded (no refund sent): the refund turns superseded,
the decision is listed with the case's actions, and the handoff's DECISION gives the reason.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from billing_tui.core.plans import ActionKind
from screens.actions import ActionScreen, PlanState
from screens.no_refund import NoRefundScreen
from tests.actions.test_actions_replan import DUPE_CHARGE, open_case
from tests.actions.test_actions_replan_pilot import Host, row, run_row, settle
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import widget_text


async def test_w_on_the_owed_refund_records_why_not(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    case = await open_case(session, "duplicate-checkout")
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(session, case.case_id, case.view, case.decided)
        app.push_screen(screen)
        await settle(pilot)
        await run_row(pilot, screen, row(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately"))

        # not a refund: nothing opens
        screen.query_one("#plans").move_cursor(row=row(screen, ActionKind.CANCEL_SUBSCRIPTION))
        await pilot.press("w")
        await pilot.pause()
        assert app.screen is screen

        refund = row(screen, ActionKind.REFUND)
        assert screen.states[refund] == PlanState.READY
        screen.query_one("#plans").move_cursor(row=refund)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, NoRefundScreen)
        await pilot.press("escape")  # back: nothing recorded
        await settle(pilot)
        assert app.screen is screen
        assert len((await session.ledger(case.case_id)).entries) == 1

        await pilot.press("w")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, NoRefundScreen)
        assert DUPE_CHARGE in widget_text(modal.query_one("#no-refund-title"))
        await pilot.press("enter")  # no reason: refused, the modal stays
        await pilot.pause()
        assert app.screen is modal
        assert "Say why" in widget_text(modal.query_one("#no-refund-message"))
        modal.query_one("#no-refund-reason", Input).value = "customer took a credit note"
        await pilot.press("enter")
        await settle(pilot)

        assert app.screen is screen
        refund = row(screen, ActionKind.REFUND)
        assert screen.states[refund] == PlanState.SUPERSEDED
        assert "customer took a credit note" in str(screen.plans[refund].blocked_reason)
        listed = widget_text(screen.query_one("#case-actions"))
        assert f"Not refunding {DUPE_CHARGE}: customer took a credit note" in listed
    sandbox = session.connection.sandbox
    assert sandbox is not None
    assert not list(sandbox.state.all("refund"))
    doc = await session.handoff(case.case_id, screen.view)
    assert f"- not refunding {DUPE_CHARGE}: customer took a credit note" in doc.section("DECISION")
    await session.aclose()
