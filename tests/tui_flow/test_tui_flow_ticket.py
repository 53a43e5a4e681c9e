"""The ticket's paste area in the classification wizard, on the demo sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import RadioButton, RadioSet, Static, TextArea

from billing_tui.core.classify import Bucket, Classification
from billing_tui.desk.session import CaseView, Session
from billing_tui.sandbox import catalog
from screens.wizard import WizardScreen
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import widget_text

SCENARIOS = {info.name: info for info in catalog.list_scenarios()}


class Host(App[None]):
    def __init__(self, wizard: WizardScreen) -> None:
        super().__init__()
        self.wizard = wizard
        self.results: list[Classification | None] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.wizard, self.results.append)


async def open_case(tmp_path: Path, scenario: str) -> tuple[Session, str, CaseView]:
    session = demo_session(tmp_path / "cases", scenarios=(scenario,))
    query = SCENARIOS[scenario].identifier
    view = await session.load((await session.lookup(query)).customer_ids)
    case = await session.open_case(query, view)
    return session, case.id, view


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def complaint_choice(wizard: WizardScreen) -> str | None:
    radio = wizard.query_one("#question-list RadioSet", RadioSet)
    assert radio.name == "q_complaint"
    pressed = radio.pressed_button
    return pressed.name if pressed else None


async def paste(pilot: Pilot[Any], wizard: WizardScreen, text: str) -> None:
    area = wizard.query_one("#ticket", TextArea)
    area.focus()
    await pilot.pause()
    area.post_message(events.Paste(text))
    await settle(pilot)


async def test_pasting_the_ticket_changes_the_suggestion_and_shows_why(tmp_path: Path) -> None:
    session, case_id, view = await open_case(tmp_path, "product-outage")
    app = Host(WizardScreen(session, case_id, view))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wizard = app.wizard
        assert "No suggestion" in widget_text(wizard.query_one("#wizard-suggestion"))
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert complaint_choice(wizard) is None
        assert "No ticket pasted" in widget_text(wizard.query_one("#ticket-evidence"))

        await paste(pilot, wizard, SCENARIOS["product-outage"].ticket)

        assert "Suggested: product failure" in widget_text(wizard.query_one("#wizard-suggestion"))
        found = widget_text(wizard.query_one("#ticket-evidence"))
        assert "from the ticket: 'was down' → q_complaint=product_broken" in found
        assert "'want this month refunded' → asks: refund" in found
        assert complaint_choice(wizard) == "product_broken"
        await pilot.press("ctrl+b")  # back to step 1: the ticket's words are evidence there
        await settle(pilot)
        assert "From the ticket: 'was down'" in widget_text(wizard.query_one("#evidence"))

        await pilot.press("ctrl+f", "ctrl+f")
        await settle(pilot)
        (result,) = app.results
        assert result is not None
        assert result.final == Bucket.PRODUCT_FAILURE
        assert result.answers.get("q_complaint") == "product_broken"


async def test_the_operators_answer_beats_the_ticket_and_a_negation_answers_nothing(
    tmp_path: Path,
) -> None:
    session, case_id, view = await open_case(tmp_path, "product-outage")
    app = Host(WizardScreen(session, case_id, view))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wizard = app.wizard
        await pilot.press("ctrl+n")
        await paste(pilot, wizard, "The service was down all week.")
        assert complaint_choice(wizard) == "product_broken"

        radio = wizard.query_one("#question-list RadioSet", RadioSet)
        other = next(b for b in radio.query(RadioButton) if b.name == "other")
        await pilot.click(other)
        await settle(pilot)
        assert complaint_choice(wizard) == "other"
        assert "No suggestion" in widget_text(wizard.query_one("#wizard-suggestion"))
        assert "(answered otherwise: q_complaint)" in widget_text(
            wizard.query_one("#ticket-evidence")
        )

        area = wizard.query_one("#ticket", TextArea)
        area.clear()
        await settle(pilot)
        await paste(pilot, wizard, "It is not an outage, I just have a question.")
        assert "negated by 'not': not used" in widget_text(wizard.query_one("#ticket-evidence"))


async def test_the_demo_prefills_the_practice_ticket(tmp_path: Path) -> None:
    session, case_id, view = await open_case(tmp_path, "zh-locale")
    practice = session.demo_ticket_for(view)
    assert practice is not None
    assert practice.ticket == SCENARIOS["zh-locale"].ticket
    app = Host(WizardScreen(session, case_id, view, ticket=practice.ticket))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wizard = app.wizard
        assert wizard.query_one("#ticket", TextArea).text == practice.ticket
        assert "Suggested: product failure" in widget_text(wizard.query_one("#wizard-suggestion"))
        assert "From the ticket: '宕机'" in widget_text(wizard.query_one("#evidence"))
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert "'宕机' → q_complaint=product_broken" in widget_text(
            wizard.query_one("#ticket-evidence")
        )
