"""The classification wizard: one bucket per case, with evidence, before any money moves.

Steps: 1 the suggested bucket with evidence for and against each bucket; 2 the ticket's paste area
and the questions that tell the buckets apart (the ticket's words pre-answer them, each change of
the ticket or an answer re-runs the suggestion; the operator's own answer wins); 3 the
contract-shape check (only when the classification carries one: interval, quantity, price,
period, prorations; must be confirmed); 4 confirm the suggestion or override it with a bucket
and a reason. Finish dismisses with the confirmed :class:`Classification`; escape dismisses
``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    Footer,
    Input,
    RadioButton,
    RadioSet,
    Static,
    TextArea,
)

from billing_tui.core.classify import Answers, Bucket, Classification, Question
from billing_tui.core.contract import ContractCheck
from billing_tui.core.ticket import read_ticket
from widgets.evidence import EvidencePanel, suggestion_line
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.desk.session import CaseView, Session


STEP_TITLES = {
    "suggest": "Suggest",
    "questions": "Questions",
    "contract": "Contract",
    "decide": "Decide",
}


def contract_table(contract: ContractCheck) -> Table:
    """One column per subscription, one row per field the operator must check."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("", style="bold", no_wrap=True)
    for line in contract.lines:
        table.add_column(line.subscription_id, overflow="fold")
    rows = (
        ("Price", [line.price for line in contract.lines]),
        ("Interval", [line.interval for line in contract.lines]),
        ("Quantity", [str(line.quantity) for line in contract.lines]),
        ("Period start", [line.period_start for line in contract.lines]),
        ("Period end", [line.period_end for line in contract.lines]),
        ("Prorations", [line.pending_prorations for line in contract.lines]),
    )
    for name, values in rows:
        table.add_row(name, *values)
    return table


class WizardScreen(ReportsWorkerFailures, Screen[Classification | None]):
    """Classify one case; dismisses with the confirmed classification, or ``None`` on escape."""

    HELP = (
        "Four steps: the suggested bucket with evidence for (+) and against (-); the ticket and "
        "the questions that tell buckets apart (paste what the customer wrote: its words "
        "pre-answer the questions; each change re-runs the suggestion); the contract shape "
        "(annual, team, prorated cases: tick the box once checked); the decision. Confirm the "
        "suggestion, or pick another bucket and type why. ctrl+n/ctrl+b move, ctrl+f finishes."
    )

    DEFAULT_CSS = """
    WizardScreen #wizard-steps {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    WizardScreen #wizard-suggestion {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary;
    }
    WizardScreen #wizard-suggestion.-changed {
        background: $accent 30%;
    }
    WizardScreen ContentSwitcher {
        height: 1fr;
    }
    WizardScreen ContentSwitcher > VerticalScroll {
        height: 1fr;
        padding: 0 1;
    }
    WizardScreen .question-text {
        margin-top: 1;
        text-style: bold;
    }
    WizardScreen .question-help {
        color: $text-muted;
    }
    WizardScreen RadioSet {
        width: 100%;
    }
    WizardScreen #ticket {
        height: 6;
        margin-top: 1;
    }
    WizardScreen #ticket-evidence {
        height: auto;
        color: $text-muted;
    }
    WizardScreen #question-list {
        height: auto;
    }
    WizardScreen #questions RadioSet {
        border: none;
        padding: 0 2;
        background: $surface;
    }
    WizardScreen #contract-table {
        height: auto;
        margin-bottom: 1;
    }
    WizardScreen #decide-reason {
        margin-top: 1;
    }
    WizardScreen #wizard-message {
        color: $error;
        height: auto;
        padding: 0 1;
        display: none;
    }
    WizardScreen #wizard-message.-shown {
        display: block;
    }
    WizardScreen #wizard-nav {
        height: 1;
        padding: 0 1;
        align-horizontal: right;
    }
    WizardScreen #wizard-nav Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding(
            "ctrl+b",
            "back",
            "Back",
            id="wizard.back",
            tooltip="Go to the previous step",
            priority=True,
        ),
        Binding(
            "ctrl+n", "next", "Next", id="wizard.next", tooltip="Go to the next step", priority=True
        ),
        Binding(
            "ctrl+f",
            "finish",
            "Finish",
            id="wizard.finish",
            tooltip="Go to the decision; there, confirm the bucket (and contract) and close",
            priority=True,
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="wizard.cancel",
            tooltip="Close the wizard without classifying",
        ),
    ]

    step: reactive[int] = reactive(0, bindings=True, init=False)
    """Index into :attr:`steps`."""

    def __init__(self, session: Session, case_id: str, view: CaseView, ticket: str = "") -> None:
        super().__init__()
        self.session = session
        self.case_id = case_id
        self.view = view
        self.answers = Answers()  # the operator's own answers (the ticket's are pre-answers)
        self.ticket = ticket  # what the customer wrote (pasted, or the practice ticket)
        self.classification: Classification = self._suggest(self.answers, ticket)
        self.contract_confirmed = False
        self.chosen: Bucket | None = None  # an explicit choice on the decide step
        self._question_ids: tuple[str, ...] = ()

    # ------------------------------------------------------------------ layout

    @property
    def steps(self) -> tuple[str, ...]:
        if self.classification.contract is None:
            return ("suggest", "questions", "decide")
        return ("suggest", "questions", "contract", "decide")

    @property
    def current_step(self) -> str:
        return self.steps[min(self.step, len(self.steps) - 1)]

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, f"Classify case {self.case_id}", id="header")
        yield Static(self._steps_markup(), id="wizard-steps")
        yield Static(suggestion_line(self.classification), id="wizard-suggestion")
        with ContentSwitcher(initial="suggest"):
            with VerticalScroll(id="suggest"):
                yield EvidencePanel(self.classification, id="evidence")
            with VerticalScroll(id="questions"):
                yield Static(
                    "[b]The ticket[/] — paste what the customer wrote: its words pre-answer the "
                    "questions below (your own answer wins).",
                    classes="question-help",
                )
                yield TextArea(self.ticket, id="ticket", soft_wrap=True, show_line_numbers=False)
                yield Static(self._ticket_markup(), id="ticket-evidence")
                yield Vertical(id="question-list")
            with VerticalScroll(id="contract"):
                yield Static("", id="contract-reasons")
                yield Static("", id="contract-table")
                yield Checkbox(
                    "The contract shape is what the customer meant", id="contract-confirm"
                )
            with VerticalScroll(id="decide"):
                yield Static("", id="decide-intro")
                yield RadioSet(
                    *(RadioButton(bucket.label, id=f"bucket-{bucket.value}") for bucket in Bucket),
                    id="decide-bucket",
                )
                yield Input(
                    placeholder="Reason (required to override the suggestion)",
                    id="decide-reason",
                )
        yield Static("", id="wizard-message")
        with Horizontal(id="wizard-nav"):
            yield Button("◀ Back ^b", id="nav-back", compact=True)
            yield Button("Next ^n ▶", id="nav-next", compact=True)
            yield Button("Finish ^f", id="nav-finish", compact=True, variant="success")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        await self._rebuild_questions()
        self._fill_contract()
        self._sync_decide()
        self._sync_nav()
        self.query_one("#suggest", VerticalScroll).focus()

    def _steps_markup(self) -> str:
        parts: list[str] = []
        for index, name in enumerate(self.steps):
            label = f"{index + 1} {STEP_TITLES[name]}"
            if index == self.step:
                parts.append(f"[b reverse] {label} [/]")
            else:
                parts.append(f"[dim] {label} [/]")
        return "›".join(parts)

    # ------------------------------------------------------------------ questions

    def _suggest(self, answers: Answers, ticket: str) -> Classification:
        if not ticket.strip():
            return self.session.suggest(self.view, answers)
        return self.session.suggest(self.view, answers, ticket=ticket)

    def _ticket_markup(self) -> str:
        """One line per phrase found: what it answered, or why it was not used."""
        reading = read_ticket(self.ticket)
        if not self.ticket.strip():
            return "No ticket pasted: answer the questions yourself."
        if not reading.evidence:
            return "No phrase of the ticket answers a question: answer them yourself."
        in_force = {(p.question_id, p.quote) for p in self.classification.pre_answers}
        lines: list[str] = []
        for item in reading.evidence:
            line = f"from the ticket: {item.line()}"
            overridden = [
                a.question_id
                for a in item.phrase.answers
                if item.used and (a.question_id, item.quote) not in in_force
            ]
            if overridden:
                line += f" (answered otherwise: {', '.join(overridden)})"
            lines.append(escape(line))
        return "\n".join(lines)

    @on(TextArea.Changed, "#ticket")
    async def _ticket_changed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        if text == self.ticket:
            return
        before = self.classification
        self.ticket = text
        self.classification = self._suggest(self.answers, text)
        self.query_one("#ticket-evidence", Static).update(self._ticket_markup())
        self._suggestion_updated(before)
        if (
            before.answers != self.classification.answers
            or tuple(q.id for q in self.classification.questions) != self._question_ids
        ):
            await self._rebuild_questions()

    async def _rebuild_questions(self) -> None:
        container = self.query_one("#question-list", Vertical)
        questions = self.classification.questions
        self._question_ids = tuple(q.id for q in questions)
        await container.remove_children()
        if not questions:
            await container.mount(
                Static("No questions: the evidence alone decides between the buckets.")
            )
            return
        widgets: list[Static | RadioSet] = []
        for index, question in enumerate(questions):
            widgets.append(Static(escape(question.text), classes="question-text"))
            if question.help:
                widgets.append(Static(escape(question.help), classes="question-help"))
            widgets.append(self._question_radio(index, question))
        await container.mount_all(widgets)

    def _question_radio(self, index: int, question: Question) -> RadioSet:
        answered = self.classification.answers.get(question.id)  # the operator's or the ticket's
        buttons = [
            RadioButton(label, value=(value == answered), name=value)
            for value, label in question.options
        ]
        return RadioSet(*buttons, id=f"question-{index}", name=question.id)

    @on(RadioSet.Changed, "#questions RadioSet")
    async def _question_answered(self, event: RadioSet.Changed) -> None:
        question_id = event.radio_set.name
        value = event.pressed.name
        if question_id is None or value is None:
            return
        answers = self.answers.with_answer(question_id, value)
        try:
            suggestion = self._suggest(answers, self.ticket)
        except ValueError as error:
            self._refuse(f"That answer was not accepted: {error}")
            return
        self.answers = answers
        before = self.classification
        self.classification = suggestion
        self._suggestion_updated(before)
        self.query_one("#ticket-evidence", Static).update(self._ticket_markup())
        if tuple(q.id for q in self.classification.questions) != self._question_ids:
            await self._rebuild_questions()

    def _suggestion_updated(self, before: Classification) -> None:
        after = self.classification
        line = self.query_one("#wizard-suggestion", Static)
        line.update(suggestion_line(after))
        self.query_one("#evidence", EvidencePanel).show(after)
        if before.suggested != after.suggested:
            old = before.suggested.label if before.suggested else "none"
            new = after.suggested.label if after.suggested else "none"
            line.add_class("-changed")
            self.notify(f"Suggestion changed: {old} → {new}", title="Classification")
        if before.contract != after.contract:
            if (before.contract is None) != (after.contract is None):
                self.query_one("#wizard-steps", Static).update(self._steps_markup())
            self._fill_contract(reset=True)
        self._sync_decide()
        self._sync_nav()

    # ------------------------------------------------------------------ contract

    def _fill_contract(self, *, reset: bool = False) -> None:
        contract: ContractCheck | None = self.classification.contract
        reasons = self.query_one("#contract-reasons", Static)
        table = self.query_one("#contract-table", Static)
        checkbox = self.query_one("#contract-confirm", Checkbox)
        if reset and self.contract_confirmed:
            self.contract_confirmed = False
            with self.prevent(Checkbox.Changed):
                checkbox.value = False
        if contract is None:
            reasons.update("No contract check needed for this case.")
            table.update("")
            checkbox.disabled = True
            return
        checkbox.disabled = False
        why = "; ".join(contract.reasons) or "the case needs it"
        reasons.update(
            f"[b]Check the contract shape[/] against what the customer meant to buy, before "
            f"any money moves ({escape(why)}):"
        )
        table.update(contract_table(contract))

    @on(Checkbox.Changed, "#contract-confirm")
    def _contract_toggled(self, event: Checkbox.Changed) -> None:
        self.contract_confirmed = event.value
        self._sync_decide()

    # ------------------------------------------------------------------ decide

    def _sync_decide(self) -> None:
        suggested = self.classification.suggested
        chosen = self.chosen or suggested
        intro: list[str] = []
        if self.classification.contract is not None:
            state = "confirmed" if self.contract_confirmed else "[$error]not confirmed yet[/]"
            intro.append(f"Contract shape: {state}")
        intro.append("Choose the bucket (the suggested one is preselected):")
        self.query_one("#decide-intro", Static).update("\n".join(intro))
        radio = self.query_one("#decide-bucket", RadioSet)
        with self.prevent(RadioSet.Changed):
            for bucket in Bucket:
                button = radio.query_one(f"#bucket-{bucket.value}", RadioButton)
                tag = " (suggested)" if bucket == suggested else " (override: give a reason)"
                button.label = bucket.label + tag
                button.value = bucket == chosen

    @on(RadioSet.Changed, "#decide-bucket")
    def _bucket_chosen(self, event: RadioSet.Changed) -> None:
        button_id = event.pressed.id or ""
        self.chosen = Bucket(button_id.removeprefix("bucket-"))
        self._say("")

    # ------------------------------------------------------------------ navigation

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return None if self.step == 0 else True
        if action == "next":
            return None if self.step >= len(self.steps) - 1 else True
        return True

    def watch_step(self) -> None:
        self.query_one(ContentSwitcher).current = self.current_step
        self.query_one("#wizard-steps", Static).update(self._steps_markup())
        self._sync_nav()
        self._focus_step()

    def _sync_nav(self) -> None:
        last = len(self.steps) - 1
        self.query_one("#nav-back", Button).disabled = self.step == 0
        self.query_one("#nav-next", Button).disabled = self.step >= last

    def _focus_step(self) -> None:
        name = self.current_step
        target = {
            "suggest": "#suggest",
            "questions": "#questions RadioSet",
            "contract": "#contract-confirm",
            "decide": "#decide-bucket",
        }[name]
        found = self.query(target)
        if found:
            found.first().focus()
        else:
            self.query_one(f"#{name}").focus()

    def _go_to(self, name: str) -> None:
        if name in self.steps:
            self.step = self.steps.index(name)

    def action_back(self) -> None:
        self._say("")
        if self.step > 0:
            self.step -= 1

    def action_next(self) -> None:
        self._say("")
        if self.step < len(self.steps) - 1:
            self.step += 1

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _say(self, message: str) -> None:
        widget = self.query_one("#wizard-message", Static)
        widget.update(escape(message))
        widget.set_class(bool(message), "-shown")

    def _refuse(self, message: str) -> None:
        self._say(message)
        self.notify(message, title="Cannot finish", severity="error")

    def action_finish(self) -> None:
        if self.current_step != "decide":
            self._go_to("decide")
            return
        current = self.classification
        chosen = self.chosen or current.suggested
        reason = self.query_one("#decide-reason", Input).value.strip() or None
        if chosen is None:
            self._refuse("Nothing was suggested: choose a bucket and give a reason.")
            return
        overriding = chosen != current.suggested
        if overriding and reason is None:
            self._refuse(
                f"Overriding the suggestion with {chosen.label} needs a reason: "
                "type why in the Reason box."
            )
            self.query_one("#decide-reason", Input).focus()
            return
        if current.contract is not None and not self.contract_confirmed:
            self._refuse("Confirm the contract shape first (step 3: tick the checkbox).")
            self._go_to("contract")
            return
        try:
            result = current.confirm(chosen, reason if overriding else None)
        except ValueError as error:
            self._refuse(str(error))
            return
        if result.contract is not None:
            result = result.confirm_contract()
        self.dismiss(result)

    @on(Button.Pressed, "#nav-back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#nav-next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#nav-finish")
    def _finish_pressed(self) -> None:
        self.action_finish()

    @on(Input.Submitted, "#decide-reason")
    def _reason_submitted(self) -> None:
        self.action_finish()
