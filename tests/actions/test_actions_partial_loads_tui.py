"""The TUI on a partly loaded customer (the loopback sandbox with GET /v1/disputes failing):
the customer screen says which part failed and that no money moves, the refund plan is greyed
with the reason and cannot be confirmed, and a reload once disputes answer again shows the
dispute itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from billing_tui.app import BillingApp
from billing_tui.core.plans import ActionKind
from billing_tui.desk.connection import ConnectionOptions, connect
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer
from billing_tui.store.caselog import CaseLog
from screens.actions import ActionScreen, PlanState
from screens.confirm import ConfirmScreen
from screens.customer import CustomerScreen
from tests.tui_flow.flow_fixtures import widget_text

VICTOR = "victor.almeida@example.com"
HELD = "disputes could not be loaded: HTTP 500 — a refund could pay twice; reload (r) first"


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def refund_index(screen: ActionScreen) -> int:
    return next(i for i, p in enumerate(screen.plans) if p.kind == ActionKind.REFUND)


async def open_actions(pilot: Pilot[Any], customer: CustomerScreen) -> ActionScreen:
    await pilot.press("a")
    await pilot.pause()
    actions = pilot.app.screen
    assert isinstance(actions, ActionScreen)
    return actions


async def test_a_refund_plan_is_blocked_with_the_reason_after_a_partial_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "Ab3dEf6hIj9lMn2pQr5tUv8x")
    sandbox = Sandbox.demo(scenarios=("disputed-charge",), now=DEFAULT_TEST_NOW)
    with SandboxServer(sandbox, fail_paths={"/v1/disputes": 500}) as server:
        connection = connect(ConnectionOptions(api_base=server.url))
        session = Session(connection, CaseLog(tmp_path / "cases"), operator="ops-partial")
        app = BillingApp(session)
        async with app.run_test(size=(110, 34)) as pilot:
            await pilot.pause()
            app.screen.query_one("#query", Input).value = VICTOR
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            customer = app.screen
            assert isinstance(customer, CustomerScreen)
            status = widget_text(customer.query_one("#case-status", Static))
            assert f"No money moves on this load: {HELD}" in status

            await pilot.press("c")
            await pilot.pause()
            await pilot.press("ctrl+f", "ctrl+f")
            await settle(pilot)
            assert app.screen is customer
            assert customer.classification is not None
            assert customer.classification.ready_for_money
            assert "Actions that move no money are open" in widget_text(
                customer.query_one("#case-status", Static)
            )

            actions = await open_actions(pilot, customer)
            banner = widget_text(actions.query_one("#actions-banner"))
            assert f"Money-moving actions are disabled: {HELD}" in banner
            index = refund_index(actions)
            assert actions.states[index] == PlanState.BLOCKED
            actions.query_one("#plans").move_cursor(row=index)
            await pilot.pause()
            assert f"Not possible: {HELD}" in widget_text(actions.query_one("#diff"))
            await pilot.press("x")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmScreen)
            assert app.screen is actions
            assert list(sandbox.state.all("refund")) == []

            # disputes answer again; a reload (r) brings the whole customer back
            server.set_faults(fail_paths={})
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is customer
            await pilot.press("r")
            await settle(pilot)
            status = widget_text(customer.query_one("#case-status", Static))
            assert "No money moves on this load" not in status
            actions = await open_actions(pilot, customer)
            refund = actions.plans[refund_index(actions)]
            assert refund.blocked_reason is not None
            assert "is disputed (dp_disputed1" in refund.blocked_reason
            assert list(sandbox.state.all("refund")) == []
