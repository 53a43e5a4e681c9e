"""The flow screens on the demo sandbox: real sessions, real plans, real Stripe-shaped state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.handoff import SECTION_TITLES
from billing_tui.core.plans import ActionKind
from billing_tui.desk.connection import Connection
from billing_tui.desk.session import CaseView, Session
from billing_tui.sandbox import catalog
from billing_tui.store.caselog import CaseLog
from screens.actions import ActionScreen, PlanState
from screens.cases import CasesScreen, actions_summary
from screens.confirm import ConfirmScreen
from screens.handoff import HandoffScreen
from screens.wizard import WizardScreen
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import widget_text


class Flow(App[None]):
    """An empty host: each test pushes the flow's screens in turn and collects their results."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    async def show(self, pilot: Pilot[None], screen: Screen[Any]) -> None:
        self.push_screen(screen, self.results.append)
        await settle(pilot)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@dataclass
class Ticket:
    session: Session
    case_id: str
    view: CaseView

    def sandbox_objects(self, kind: str) -> list[dict[str, Any]]:
        sandbox = self.session.connection.sandbox
        assert sandbox is not None
        return list(sandbox.state.all(kind))


def identifier(scenario: str) -> str:
    return next(s.identifier for s in catalog.list_scenarios() if s.name == scenario)


async def open_ticket(tmp_path: Path, scenario: str, *, live: bool = False) -> Ticket:
    session = demo_session(tmp_path / "cases", scenarios=(scenario,))
    if live:
        base = session.connection
        connection = Connection(base.client, replace(base.info, mode="live"), base.sandbox)
        session = Session(connection, CaseLog(tmp_path / "cases"), operator="live-operator")
        assert session.info.live
    query = identifier(scenario)
    view = await session.load((await session.lookup(query)).customer_ids)
    case = await session.open_case(query, view)
    return Ticket(session, case.id, view)


async def confirmed(ticket: Ticket) -> Classification:
    classification = ticket.session.suggest(ticket.view).confirm().confirm_contract()
    await ticket.session.record_classification(ticket.case_id, classification)
    return classification


def plan_index(screen: ActionScreen, kind: ActionKind, title_part: str = "") -> int:
    return next(
        i for i, plan in enumerate(screen.plans) if plan.kind == kind and title_part in plan.title
    )


async def run_plan(pilot: Pilot[Any], screen: ActionScreen, index: int) -> None:
    screen.query_one("#plans").move_cursor(row=index)
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await pilot.press("y")
    await settle(pilot)


# ---------------------------------------------------------------------------- duplicate


async def test_duplicate_checkout_from_wizard_to_copied_follow_up(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout")
    app = Flow()
    async with app.run_test() as pilot:
        # classify: the suggestion and its evidence, then Finish on the decide step
        wizard = WizardScreen(ticket.session, ticket.case_id, ticket.view)
        await app.show(pilot, wizard)
        assert "Suggested: duplicate personal" in widget_text(
            wizard.query_one("#wizard-suggestion")
        )
        assert "92 s apart" in widget_text(wizard.query_one("#evidence"))
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+f")
        await settle(pilot)
        classification = app.results.pop()
        assert classification.final == Bucket.DUPLICATE_PERSONAL
        await ticket.session.record_classification(ticket.case_id, classification)

        # act: cancel the extra subscription now, then refund its charge
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, actions)
        cancel = plan_index(actions, ActionKind.CANCEL_SUBSCRIPTION, "immediately")
        refund = plan_index(actions, ActionKind.REFUND)
        assert actions.plans[cancel].target_id == "sub_dupcheckoutB"
        await run_plan(pilot, actions, cancel)
        await run_plan(pilot, actions, refund)
        assert actions.states[cancel] == PlanState.SUCCEEDED
        assert actions.states[refund] == PlanState.SUCCEEDED
        assert "re_" in widget_text(actions.query_one("#outcome"))

        # a second press on the refund opens nothing and sends nothing
        await pilot.press("x", "enter")
        await pilot.pause()
        assert app.screen is actions
        subscriptions = {s["id"]: s["status"] for s in ticket.sandbox_objects("subscription")}
        assert subscriptions == {"sub_dupcheckoutA": "active", "sub_dupcheckoutB": "canceled"}
        refunds = ticket.sandbox_objects("refund")
        assert [r["charge"] for r in refunds] == ["ch_dupcheckoutB001"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.results.pop() is True

        # the operator reopens the action pane: the session's idempotency replays, no 2nd refund
        again = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, again)
        await run_plan(pilot, again, plan_index(again, ActionKind.REFUND))
        assert again.states[plan_index(again, ActionKind.REFUND)] == PlanState.SUCCEEDED
        assert len(ticket.sandbox_objects("refund")) == 1
        await pilot.press("escape")
        await pilot.pause()
        app.results.clear()

        # hand off: six sections, the follow-up goes to the clipboard
        handoff = HandoffScreen(ticket.session, ticket.case_id, ticket.view)
        await app.show(pilot, handoff)
        titles = [widget_text(w) for w in handoff.query(".section-title")]
        assert titles == list(SECTION_TITLES)
        await pilot.press("c")
        assert handoff.doc is not None
        assert app.clipboard == handoff.doc.follow_up
        assert app.clipboard.strip()
        await pilot.press("r")
        await settle(pilot)
        assert (await ticket.session.case(ticket.case_id)).status == "resolved"
        await pilot.press("escape")
        await pilot.pause()

        # the case log lists the case; Enter returns it
        cases = CasesScreen(ticket.session)
        await app.show(pilot, cases)
        assert [r.id for r in cases.shown] == [ticket.case_id]
        await pilot.press("enter")
        await pilot.pause()
        assert app.results[-1].id == ticket.case_id


async def test_live_mode_confirm_without_the_amount_does_nothing(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout", live=True)
    app = Flow()
    async with app.run_test() as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        refund = plan_index(actions, ActionKind.REFUND)
        phrase = actions.plans[refund].confirm_phrase
        assert phrase == "19.00"
        actions.query_one("#plans").move_cursor(row=refund)
        await pilot.press("x")
        await pilot.pause()
        await pilot.pause()
        await pilot.press("enter")  # the phrase box has the focus: an empty phrase
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)  # still asking
        assert "type 19.00 exactly" in widget_text(modal.query_one("#message"))
        await pilot.press("escape")  # nothing runs
        await settle(pilot)
        assert ticket.sandbox_objects("refund") == []
        assert actions.states[refund] == PlanState.READY

        await pilot.press("x")
        await pilot.pause()
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert app.focused is modal.query_one("#phrase", Input)
        await pilot.press(*phrase, "enter")
        await settle(pilot)
        assert [r["amount"] for r in ticket.sandbox_objects("refund")] == [1900]


# ---------------------------------------------------------------------------- other tickets


async def test_failed_renewal_offers_the_portal_link_first_and_no_refund(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "failed-renewal")
    app = Flow()
    async with app.run_test() as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        assert actions.plans[0].kind == ActionKind.PORTAL_SESSION
        assert all(plan.kind != ActionKind.REFUND for plan in actions.plans)
        await run_plan(pilot, actions, 0)
        assert actions.states[0] == PlanState.SUCCEEDED
        assert "link: https://" in widget_text(actions.query_one("#outcome"))
        assert ticket.sandbox_objects("refund") == []


async def test_team_purchase_needs_the_contract_check_and_keeps_the_seats(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "team-purchase")
    app = Flow()
    async with app.run_test() as pilot:
        wizard = WizardScreen(ticket.session, ticket.case_id, ticket.view)
        await app.show(pilot, wizard)
        assert "contract" in wizard.steps
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n", "ctrl+f")
        await pilot.pause()
        assert app.results == []  # refused: contract not confirmed
        assert wizard.current_step == "contract"
        await pilot.press("space", "ctrl+f", "ctrl+f")
        await pilot.pause()
        classification = app.results.pop()
        assert classification.final == Bucket.TEAM_INTENT
        assert classification.ready_for_money

        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, classification)
        await app.show(pilot, actions)
        assert all(plan.kind != ActionKind.REFUND for plan in actions.plans)
        keep = plan_index(actions, ActionKind.NO_OP, "keep the seats")
        await run_plan(pilot, actions, keep)
        assert actions.states[keep] == PlanState.SUCCEEDED
        team = next(
            s for s in ticket.sandbox_objects("subscription") if s["id"] == "sub_teampurchaseT"
        )
        assert team["items"]["data"][0]["quantity"] == 5
        assert ticket.sandbox_objects("refund") == []


async def test_disputed_charge_wizard_points_at_the_dispute(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "disputed-charge")
    app = Flow()
    async with app.run_test() as pilot:
        wizard = WizardScreen(ticket.session, ticket.case_id, ticket.view)
        await app.show(pilot, wizard)
        assert "ch_disputed1003" in widget_text(wizard.query_one("#evidence"))


async def test_disputed_charge_refund_is_shown_impossible_with_the_reason(
    tmp_path: Path,
) -> None:
    ticket = await open_ticket(tmp_path, "disputed-charge")
    app = Flow()
    async with app.run_test() as pilot:
        actions = ActionScreen(ticket.session, ticket.case_id, ticket.view, await confirmed(ticket))
        await app.show(pilot, actions)
        refunds = [i for i, p in enumerate(actions.plans) if p.kind == ActionKind.REFUND]
        assert all(actions.states[i] == PlanState.BLOCKED for i in refunds)
        disputed = next(i for i in refunds if actions.plans[i].target_id == "ch_disputed1003")
        actions.query_one("#plans").move_cursor(row=disputed)
        await pilot.pause()
        assert "is disputed" in widget_text(actions.query_one("#diff"))


async def test_cases_screen_warns_about_an_action_left_in_flight(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "duplicate-checkout")
    caselog = ticket.session.caselog
    action = caselog.plan_action(
        ticket.case_id,
        kind="refund",
        params={"charge": "ch_dupcheckoutB001", "amount": "1900"},
        idempotency_key="btui-test-in-flight",
        operator="demo-operator",
    )
    caselog.mark_in_flight(ticket.case_id, action.id)  # then the workstation "crashed"
    app = Flow()
    async with app.run_test() as pilot:
        cases = CasesScreen(ticket.session)
        await app.show(pilot, cases)
        banner = widget_text(cases.query_one("#cases-banner"))
        assert "1 action(s) were in flight" in banner
        assert ticket.case_id in banner
        assert "refund" in banner
        assert actions_summary(cases.shown[0]) == "1 pending"


async def test_nothing_suggested_needs_a_chosen_bucket_and_a_reason(tmp_path: Path) -> None:
    ticket = await open_ticket(tmp_path, "healthy")
    app = Flow()
    async with app.run_test() as pilot:
        wizard = WizardScreen(ticket.session, ticket.case_id, ticket.view)
        await app.show(pilot, wizard)
        assert wizard.classification.suggested is None
        assert "No suggestion" in widget_text(wizard.query_one("#wizard-suggestion"))
        await pilot.press("ctrl+f", "ctrl+f")
        await pilot.pause()
        assert app.results == []
        assert "choose a bucket" in widget_text(wizard.query_one("#wizard-message"))
        await pilot.press("down", "enter")  # the second bucket: team intent
        wizard.query_one("#decide-reason", Input).value = "customer bought seats for a team"
        await pilot.press("ctrl+f")
        await pilot.pause()
        (result,) = app.results
        assert result.final == Bucket.TEAM_INTENT
        assert result.override_reason == "customer bought seats for a team"
