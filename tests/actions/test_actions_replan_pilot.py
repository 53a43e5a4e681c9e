"""Pilot: the action pane re-plans after each outcome on the sandbox demo.

Cancel the duplicate now: the pane lists the cancel as done above the plans, "cancel at period
end" turns superseded (and a press on it sends nothing), the refund stays ready; refund it: both
are listed done and nothing money-moving is left to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from billing_tui.core.plans import ActionKind
from screens.actions import ActionScreen, PlanState
from screens.confirm import ConfirmScreen
from tests.actions.test_actions_replan import DUPE, DUPE_CHARGE, open_case
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import widget_text


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("host")


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def row(screen: ActionScreen, kind: ActionKind, part: str = "") -> int:
    return next(i for i, p in enumerate(screen.plans) if p.kind == kind and part in p.title)


async def run_row(pilot: Pilot[Any], screen: ActionScreen, index: int) -> None:
    screen.query_one("#plans").move_cursor(row=index)
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press("y")
    await settle(pilot)


async def test_the_pane_replans_after_each_outcome(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    case = await open_case(session, "duplicate-checkout")
    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = ActionScreen(session, case.case_id, case.view, case.decided)
        app.push_screen(screen)
        await settle(pilot)
        assert not screen.query_one("#case-actions").display  # nothing done yet

        await run_row(pilot, screen, row(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately"))
        done = widget_text(screen.query_one("#case-actions"))
        assert "Done in this case" in done
        assert f"Cancel {DUPE}" in done
        assert "· done" in done
        at_end = row(screen, ActionKind.CANCEL_SUBSCRIPTION, "end of the period")
        now = row(screen, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        assert screen.states[now] == PlanState.SUCCEEDED
        assert screen.states[at_end] == PlanState.SUPERSEDED
        refund = row(screen, ActionKind.REFUND)
        assert screen.states[refund] == PlanState.READY
        assert screen.plans[refund].target_id == DUPE_CHARGE

        # the superseded alternative cannot be started: no confirmation, nothing sent
        screen.query_one("#plans").move_cursor(row=at_end)
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        assert "superseded" in widget_text(screen.query_one("#diff"))

        await run_row(pilot, screen, refund)
        listed = widget_text(screen.query_one("#case-actions"))
        assert listed.count("✓") == 2  # the cancel, then the refund
        assert listed.index(f"Cancel {DUPE}") < listed.index(f"Refund $19.00 of {DUPE_CHARGE}")
        assert screen.states[row(screen, ActionKind.REFUND)] == PlanState.SUCCEEDED
        ready_money = [
            p for p, s in zip(screen.plans, screen.states, strict=True)
            if p.moves_money and s == PlanState.READY
        ]  # fmt: skip
        assert ready_money == []
    sandbox = session.connection.sandbox
    assert sandbox is not None
    assert [r["charge"] for r in sandbox.state.all("refund")] == [DUPE_CHARGE]
    await session.aclose()
