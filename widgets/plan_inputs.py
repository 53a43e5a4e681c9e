"""The operator's parameters for one plan, in the confirmation: a refund's amount and reason
code, a seat change's target count, a cancel's timing (now, at period end, on a date).

The form only collects what was typed (a :class:`PlanRequest`) and posts it on every change;
parsing, the guards and the rebuilt plan are the core's (through the Session), so the rule has
one home. :meth:`PlanInputsForm.mark` flags the field a refusal names.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from billing_tui.core.plans import (
    REFUND_REASONS,
    ActionKind,
    CancelWhen,
    InputField,
    PlanInputs,
    PlanRequest,
)
from billing_tui.core.text import count_label, date_label

_CANCEL_ORDER = (CancelWhen.NOW, CancelWhen.PERIOD_END, CancelWhen.ON_DATE)


class PlanInputsForm(Vertical):
    """The inputs a plan takes; posts :class:`PlanInputsForm.Changed` with each edit."""

    DEFAULT_CSS = """
    PlanInputsForm {
        height: auto;
        border-top: solid $primary;
    }
    PlanInputsForm > Horizontal {
        height: 1;
    }
    PlanInputsForm Label {
        width: 7;
        text-style: bold;
    }
    PlanInputsForm Input {
        width: 11;
    }
    PlanInputsForm Input.-invalid {
        background: $error 30%;
    }
    PlanInputsForm RadioSet {
        layout: horizontal;
        width: auto;
        height: 1;
    }
    PlanInputsForm RadioSet > RadioButton {
        width: auto;
        margin-right: 1;
    }
    PlanInputsForm .hint {
        width: 1fr;
        padding-left: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    class Changed(Message):
        """The operator changed a value; ``request`` holds everything as now entered."""

        def __init__(self, form: PlanInputsForm, request: PlanRequest) -> None:
            super().__init__()
            self.form = form
            self.request = request

    def __init__(self, inputs: PlanInputs, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.inputs = inputs

    def compose(self) -> ComposeResult:
        inputs = self.inputs
        if inputs.kind == ActionKind.REFUND:
            with Horizontal(id="amount-row"):
                yield Label("Amount")
                yield Input(inputs.amount or "", placeholder="19.00", id="amount", compact=True)
                yield Static(self._refund_hint(), classes="hint", id="amount-hint")
            with Horizontal(id="reason-row"):
                yield Label("Reason")
                with RadioSet(id="reason", compact=True):
                    for code in REFUND_REASONS:
                        yield RadioButton(code, value=code == inputs.reason, name=code)
        elif inputs.kind == ActionKind.UPDATE_QUANTITY:
            with Horizontal(id="seats-row"):
                yield Label("Seats")
                yield Input(inputs.seats or "", placeholder="3", id="seats", compact=True)
                now = count_label(inputs.current_seats or 0, "seat")
                yield Static(
                    f"now {now}; type the count to change to",
                    classes="hint",
                )
        elif inputs.kind == ActionKind.CANCEL_SUBSCRIPTION:
            with Horizontal(id="cancel-row"):
                yield Label("Cancel")
                with RadioSet(id="cancel-when", compact=True):
                    for when in _CANCEL_ORDER:
                        yield RadioButton(when.label, value=when == inputs.cancel, name=when)
            with Horizontal(id="cancel-date-row"):
                yield Label("On")
                yield Input(
                    inputs.cancel_date or "",
                    placeholder="YYYY-MM-DD",
                    id="cancel-date",
                    compact=True,
                )
                yield Static(
                    f"a future date (UTC); the period ends {date_label(inputs.period_end)}",
                    classes="hint",
                )

    def _refund_hint(self) -> str:
        inputs = self.inputs
        left = inputs.refundable.format() if inputs.refundable else "—"
        done = inputs.refunded_by_case.format() if inputs.refunded_by_case else "nothing"
        return f"refundable {left} · this case refunded {done}"

    # ------------------------------------------------------------------ values

    def _value(self, selector: str) -> str | None:
        found = self.query(selector)
        return found.first(Input).value if found else None

    def _choice(self, selector: str) -> str | None:
        found = self.query(selector)
        if not found:
            return None
        pressed = found.first(RadioSet).pressed_button
        return pressed.name if pressed is not None else None

    def request(self) -> PlanRequest:
        """Everything as entered now."""
        cancel = self._choice("#cancel-when")
        return PlanRequest(
            amount=self._value("#amount"),
            reason=self._choice("#reason"),
            seats=self._value("#seats"),
            cancel=CancelWhen(cancel) if cancel else None,
            cancel_date=self._value("#cancel-date"),
        )

    def mark(self, field: InputField | None) -> None:
        """Flag the input a refusal names (None: none is wrong)."""
        for widget_id, name in (
            ("amount", InputField.AMOUNT),
            ("seats", InputField.SEATS),
            ("cancel-date", InputField.CANCEL_DATE),
        ):
            for widget in self.query(f"#{widget_id}"):
                widget.set_class(field == name, "-invalid")

    def on_mount(self) -> None:
        self._date_shown()

    def _date_shown(self) -> None:
        for row in self.query("#cancel-date-row"):
            row.display = self._choice("#cancel-when") == CancelWhen.ON_DATE

    @on(Input.Changed)
    @on(RadioSet.Changed)
    def _changed(self, event: Message) -> None:
        event.stop()
        self._date_shown()
        self.post_message(self.Changed(self, self.request()))
