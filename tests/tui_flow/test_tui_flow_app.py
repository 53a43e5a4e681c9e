"""A whole ticket through the real App, keys only: search → customer → classify → act → handoff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from billing_tui.app import BillingApp
from billing_tui.core.classify import Bucket
from billing_tui.core.plans import ActionKind
from billing_tui.sandbox import DEFAULT_TEST_NOW
from screens.actions import ActionScreen
from screens.confirm import ConfirmScreen
from screens.customer import CustomerScreen
from screens.handoff import HandoffScreen
from screens.wizard import WizardScreen
from tests.demo import demo_session


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_duplicate_checkout_ticket_start_to_finish(tmp_path: Path) -> None:
    session = demo_session(
        tmp_path / "data", now=DEFAULT_TEST_NOW, scenarios=("duplicate-checkout",)
    )
    app = BillingApp(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#query", Input).value = "dana.whitfield@example.com"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        customer = app.screen
        assert isinstance(customer, CustomerScreen)

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, WizardScreen)
        await pilot.press("ctrl+f", "ctrl+f")  # to the decision, then confirm the suggestion
        await settle(pilot)
        assert app.screen is customer
        assert customer.classification is not None
        assert customer.classification.final == Bucket.DUPLICATE_PERSONAL

        await pilot.press("a")
        await pilot.pause()
        actions = app.screen
        assert isinstance(actions, ActionScreen)
        steps = ((ActionKind.CANCEL_SUBSCRIPTION, "immediately"), (ActionKind.REFUND, ""))
        for kind, part in steps:
            index = next(
                i for i, p in enumerate(actions.plans) if p.kind == kind and part in p.title
            )
            actions.query_one("#plans").move_cursor(row=index)
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
        sandbox = session.connection.sandbox
        assert sandbox is not None
        assert [r["charge"] for r in sandbox.state.all("refund")] == ["ch_dupcheckoutB001"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is customer

        await pilot.press("h")
        await settle(pilot)
        handoff = app.screen
        assert isinstance(handoff, HandoffScreen)
        assert handoff.doc is not None
        # the handoff reads the customer again: the state after the actions, not before
        assert "1 live subscription · MRR $19.00" in handoff.doc.section("BILLING STATE")
        assert "sub_dupcheckoutB · Pro monthly USD ($19.00/month) · canceled" in (
            handoff.doc.section("BILLING STATE")
        )
        await pilot.press("c")
        await settle(pilot)  # the checker runs before the copy
        assert app.clipboard == handoff.doc.follow_up
