"""Pilot tests of the flow screens' own behaviour on fixed data (the sandbox runs are elsewhere)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.binding import Binding
from textual.message import Message
from textual.notifications import Notify
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.handoff import SECTION_TITLES
from billing_tui.core.plans import Plan
from screens.actions import ActionScreen, PlanState
from screens.cases import CasesScreen
from screens.confirm import ConfirmScreen
from screens.handoff import HandoffScreen
from screens.wizard import WizardScreen
from tests.tui_flow.flow_fixtures import (
    CANCEL_PLAN,
    FIXED_CASES,
    FOLLOW_UP,
    PORTAL_PLAN,
    REFUND_PLAN,
    FixedCasesSession,
    FixedHandoffSession,
    FixedOutcome,
    FixedSession,
    Host,
    fixed_classification,
    widget_text,
)

# ---------------------------------------------------------------------------- wizard


async def test_wizard_shows_the_suggestion_with_evidence_for_and_against() -> None:
    app = Host(WizardScreen(FixedSession(), "case_1", None))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        suggestion = widget_text(app.screen.query_one("#wizard-suggestion"))
        evidence = widget_text(app.screen.query_one("#evidence"))
        assert "Suggested: duplicate personal" in suggestion
        assert "+ Two Pro Monthly subscriptions created 92 s apart" in evidence
        assert "- No metadata names a different person" in evidence
        assert "No evidence for: missing self serve, product failure" in evidence


async def test_answering_a_question_changes_the_suggestion_visibly() -> None:
    app = Host(WizardScreen(FixedSession(), "case_1", None))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.current_step == "questions"
        await pilot.press("down", "enter")  # "A teammate"
        await pilot.pause()
        assert screen.answers.get("who_uses") == "teammate"
        assert screen.classification.suggested == Bucket.TEAM_INTENT
        assert "Suggested: team intent" in widget_text(screen.query_one("#wizard-suggestion"))


async def test_contract_step_must_be_confirmed_before_finish() -> None:
    app = Host(WizardScreen(FixedSession(contract=True), "case_1", None))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        assert screen.steps == ("suggest", "questions", "contract", "decide")
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        assert "Team Annual ($240.00/year)" in widget_text(screen.query_one("#contract-table"))
        await pilot.press("ctrl+n", "ctrl+f")
        await pilot.pause()
        assert app.results == []  # refused
        assert screen.current_step == "contract"  # sent back to the check
        assert "Confirm the contract shape first" in widget_text(
            screen.query_one("#wizard-message")
        )
        await pilot.press("space", "ctrl+n", "ctrl+f")
        await pilot.pause()
        (result,) = app.results
        assert isinstance(result, Classification)
        assert result.final == Bucket.DUPLICATE_PERSONAL
        assert result.contract is not None
        assert result.contract.confirmed
        assert result.ready_for_money


async def test_override_without_a_reason_is_refused() -> None:
    app = Host(WizardScreen(FixedSession(), "case_1", None))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        await pilot.press("down", "enter")  # team intent instead of the suggestion
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.results == []
        assert "needs a reason" in widget_text(screen.query_one("#wizard-message"))
        assert isinstance(app.focused, Input)  # sent to the reason box
        app.focused.value = "teammate uses it"
        await pilot.press("enter")
        await pilot.pause()
        (result,) = app.results
        assert result.final == Bucket.TEAM_INTENT
        assert result.overridden
        assert result.override_reason == "teammate uses it"


async def test_escape_leaves_the_wizard_without_a_classification() -> None:
    app = Host(WizardScreen(FixedSession(), "case_1", None))
    async with app.run_test() as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_wizard_back_and_next_are_greyed_at_the_ends() -> None:
    app = Host(WizardScreen(FixedSession(), "case_1", None))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        assert screen.check_action("back", ()) is None
        await pilot.press("ctrl+f")  # Finish from an early step shows the decision first
        await pilot.pause()
        assert screen.current_step == "decide"
        assert app.results == []
        assert screen.check_action("next", ()) is None


# ---------------------------------------------------------------------------- confirm


async def test_confirm_starts_on_cancel_and_enter_cancels() -> None:
    app = Host(ConfirmScreen(REFUND_PLAN, live=False))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is not None
        assert app.focused.id == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [False]


async def test_confirm_y_runs_in_test_mode() -> None:
    app = Host(ConfirmScreen(REFUND_PLAN, live=False))
    async with app.run_test() as pilot:
        await pilot.press("y")
        await pilot.pause()
        assert app.results == [True]


async def test_live_confirm_needs_the_phrase() -> None:
    app = Host(ConfirmScreen(REFUND_PLAN, live=True))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#phrase", Input)  # LIVE: the typed box
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert "type 19.00 exactly" in widget_text(app.screen.query_one("#message", Static))
        await pilot.press(*"19", "enter")
        await pilot.pause()
        assert app.results == []  # a wrong phrase does nothing either
        await pilot.press(*".00", "enter")
        await pilot.pause()
        assert app.results == [True]


# ---------------------------------------------------------------------------- actions


async def test_a_plan_runs_once_and_a_second_press_is_refused() -> None:
    session = FixedSession()
    app = Host(ActionScreen(session, "case_1", None, fixed_classification().confirm()))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, ActionScreen)
        await pilot.press("j", "j", "x")  # the refund
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [plan for plan, _ in session.executed] == [REFUND_PLAN]
        assert screen.states[2] == PlanState.SUCCEEDED
        assert "re_1" in widget_text(screen.query_one("#outcome"))
        await pilot.press("x")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen  # no second confirmation
        assert len(session.executed) == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [True]


@dataclass
class SlowSession(FixedSession):
    release: asyncio.Event = field(default_factory=asyncio.Event)
    finished: list[Plan] = field(default_factory=list)

    async def execute(
        self, case_id: str, view: Any, plan: Plan, confirmation: str | None = None
    ) -> FixedOutcome:
        self.executed.append((plan, confirmation))
        await self.release.wait()
        self.finished.append(plan)
        return FixedOutcome(plan, "succeeded", "done")


async def test_presses_while_running_do_not_start_anything() -> None:
    session = SlowSession()
    app = Host(ActionScreen(session, "case_1", None, fixed_classification().confirm()))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, ActionScreen)
        await pilot.press("j", "x", "y")
        await pilot.pause()
        assert screen.states[1] == PlanState.RUNNING
        assert "Running: DELETE /v1/subscriptions/sub_B" in widget_text(
            screen.query_one("#outcome")
        )
        await pilot.press("x", "j", "x", "escape")
        await pilot.pause()
        assert app.screen is screen
        assert app.results == []
        session.release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [plan for plan, _ in session.executed] == [CANCEL_PLAN]
        assert screen.states[1] == PlanState.SUCCEEDED


async def test_closing_the_pane_mid_call_does_not_cancel_the_call() -> None:
    session = SlowSession()
    app = Host(ActionScreen(session, "case_1", None, fixed_classification().confirm()))
    messages: list[Message] = []
    async with app.run_test(message_hook=messages.append) as pilot:
        await pilot.press("j", "j", "x", "y")
        await pilot.pause()
        assert [plan for plan, _ in session.executed] == [REFUND_PLAN]
        app.pop_screen()  # e.g. a global "back to search" key
        await pilot.pause()
        session.release.set()
        await app.workers.wait_for_complete()
        assert session.finished == [REFUND_PLAN]
        toasts = [m.notification.message for m in messages if isinstance(m, Notify)]
        assert any(t.startswith("Succeeded") for t in toasts)  # said, though the pane is gone


async def test_unclassified_case_disables_money_moving_plans() -> None:
    session = FixedSession()
    app = Host(ActionScreen(session, "case_1", None, None))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ActionScreen)
        banner = widget_text(screen.query_one("#actions-banner"))
        assert "Money-moving actions are disabled until the case is classified" in banner
        assert screen.states[:3] == [PlanState.READY, PlanState.BLOCKED, PlanState.BLOCKED]
        await pilot.press("j", "x")
        await pilot.pause()
        assert app.screen is screen
        assert session.executed == []


async def test_blocked_plan_shows_its_reason() -> None:
    app = Host(ActionScreen(FixedSession(), "case_1", None, fixed_classification().confirm()))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await pilot.press("j", "j", "j")
        await pilot.pause()
        diff = widget_text(screen.query_one("#diff"))
        assert "Not possible: the charge is disputed" in diff


# ---------------------------------------------------------------------------- handoff


async def test_handoff_shows_six_sections_and_copies() -> None:
    session = FixedHandoffSession()
    app = Host(HandoffScreen(session, "case_1", None))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        titles = [widget_text(w) for w in app.screen.query(".section-title")]
        assert titles == list(SECTION_TITLES)
        await pilot.press("c")
        await app.workers.wait_for_complete()
        assert app.clipboard == FOLLOW_UP
        await pilot.press("a")
        await app.workers.wait_for_complete()
        assert all(title in app.clipboard for title in SECTION_TITLES)
        assert FOLLOW_UP in app.clipboard
        await pilot.press("g")
        assert app.clipboard.startswith("Block duplicate checkout")


async def test_edited_follow_up_is_copied_saved_and_resolved() -> None:
    session = FixedHandoffSession()
    app = Host(HandoffScreen(session, "case_1", None))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("e", "ctrl+home", *"PS ", "escape")
        await pilot.press("c")
        await app.workers.wait_for_complete()
        assert app.clipboard == "PS " + FOLLOW_UP
        assert session.checked == ["PS " + FOLLOW_UP]  # the edited text is what is checked
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert session.saved == ["PS " + FOLLOW_UP]
        assert session.resolved == ["case_1"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


# ---------------------------------------------------------------------------- cases


async def test_cases_filter_search_and_open() -> None:
    app = Host(CasesScreen(FixedCasesSession()))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CasesScreen)
        assert [r.id[-1] for r in screen.shown] == ["a", "b", "c"]
        banner = widget_text(screen.query_one("#cases-banner"))
        assert "1 action(s) were in flight" in banner
        assert "refund" in banner
        screen.query_one("#cases-status", Select).value = "open"
        await pilot.pause()
        assert [r.id[-1] for r in screen.shown] == ["a", "c"]
        await pilot.press("slash")
        app.focused.value = "northwind"  # typed
        await pilot.pause()
        assert [r.id[-1] for r in screen.shown] == ["c"]
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert [r.id for r in app.results] == [FIXED_CASES[2].id]


async def test_live_portal_link_needs_no_phrase() -> None:
    app = Host(ConfirmScreen(PORTAL_PLAN, live=True))
    async with app.run_test() as pilot:
        assert not app.screen.query("#phrase")
        assert "LIVE MODE" in widget_text(app.screen.query_one("#live-banner"))
        await pilot.press("y")
        await pilot.pause()
        assert app.results == [True]


@pytest.mark.parametrize(
    "screen_class", [WizardScreen, ActionScreen, ConfirmScreen, HandoffScreen, CasesScreen]
)
def test_every_binding_has_an_id_a_label_and_a_tooltip(screen_class: type[Screen[Any]]) -> None:
    for binding in screen_class.BINDINGS:
        assert isinstance(binding, Binding)
        assert binding.id, binding
        assert binding.description, binding
        assert binding.tooltip, binding


async def test_a_follow_up_the_facts_contradict_is_neither_copied_nor_resolved() -> None:
    problem = "The follow-up says “Nothing else is needed”, but in_1 is open with $9.00 due"
    session = FixedHandoffSession(problems=(problem,))
    app = Host(HandoffScreen(session, "case_1", None))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.clipboard == ""  # nothing was copied
        assert session.resolved == []
        toasts = [str(n.message) for n in app._notifications]
        assert any(t.startswith(problem) for t in toasts)


async def test_resolving_with_something_open_asks_a_reason_and_keeps_it() -> None:
    session = FixedHandoffSession(blockers=("CRITICAL payment_failed: in_1 is open",))
    app = Host(HandoffScreen(session, "case_1", None))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")  # no reason: the case stays open
        await app.workers.wait_for_complete()
        assert session.resolved == []
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("enter")  # an empty reason is not accepted
        await pilot.pause()
        await pilot.press(*"customer pays by wire", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert session.resolved == ["case_1"]
        assert session.reasons == ["customer pays by wire"]
