"""The confirmation modal shown before any plan runs; focus starts on Cancel.

In LIVE mode the operator must also type the plan's confirm phrase (the amount or the
subscription id), and focus starts in that box; confirming without it does nothing except say
why. With ``inputs`` and ``rebuild`` the operator also enters the plan's parameters (a refund's
amount and reason, a seat count, when a cancel takes effect): every edit rebuilds the plan
through ``rebuild`` (the Session, the core builders), so the diff, the impact and the phrase
follow the entered values; a value that cannot be used is said inline and Run stays disabled.
The plan that was confirmed is :attr:`ConfirmScreen.plan`.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from billing_tui.core.plans import InputError, Plan, PlanInputs, PlanRequest
from widgets.diff import PlanDiff
from widgets.plan_inputs import PlanInputsForm

#: Rebuilds the plan with the operator's parameters (raises ``InputError`` for a bad value).
Rebuild = Callable[[PlanRequest], Plan]


class ConfirmScreen(ModalScreen[bool]):
    """Ask before running ``plan``; dismisses True only on an explicit, complete confirmation."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > #dialog {
        width: 90%;
        max-width: 100;
        height: 90%;
        max-height: 30;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    ConfirmScreen.-live > #dialog {
        border: thick $error;
    }
    ConfirmScreen #title {
        text-style: bold;
    }
    ConfirmScreen #diff-scroll {
        height: 1fr;
    }
    ConfirmScreen #summary {
        height: auto;
        border-top: solid $primary;
    }
    ConfirmScreen #live-banner {
        background: $error;
        color: $text;
        text-style: bold;
        padding: 0 1;
    }
    ConfirmScreen #phrase {
        margin-top: 0;
    }
    ConfirmScreen #message {
        color: $error;
        height: auto;
    }
    ConfirmScreen #buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen #buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding(
            "y",
            "confirm",
            "Yes, run it",
            id="confirm.yes",
            tooltip="Run the plan (in LIVE mode only after typing the confirm phrase)",
        ),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Do not run the plan"),
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Close without running"),
    ]

    #: The LIVE phrase box when there is one (in DOM order it comes first), else Cancel.
    AUTO_FOCUS = "#phrase, #cancel"

    def __init__(
        self,
        plan: Plan,
        *,
        live: bool,
        inputs: PlanInputs | None = None,
        rebuild: Rebuild | None = None,
    ) -> None:
        super().__init__(classes="-live" if live else None)
        self.plan = plan
        self.original = plan
        self.live = live
        self.inputs = inputs if inputs is not None and inputs.editable and rebuild else None
        self.rebuild = rebuild
        #: Why the entered values cannot run (None: they can).
        self.error: str | None = None
        #: LIVE plans that move money carry the phrase the operator must type (the amount or
        #: the id); a portal link or a note needs no phrase, as in the session.
        self.phrase_required = live and plan.confirm_phrase is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Run this action?", id="title")
            with VerticalScroll(id="diff-scroll"):
                diff = PlanDiff(id="diff")
                diff.show(self.plan)
                yield diff
            if self.inputs is not None:
                yield PlanInputsForm(self.inputs, id="inputs")
            yield Static(self._summary(), id="summary")
            if self.phrase_required:
                yield Static(self._banner(), id="live-banner")
                yield Input(placeholder=f"type {self.plan.confirm_phrase or ''}", id="phrase")
            elif self.live:
                yield Static("LIVE MODE: this acts on the real account.", id="live-banner")
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Cancel (n)", id="cancel", variant="primary", compact=True)
                yield Button("Run it (y)", id="confirm", variant="error", compact=True)

    def _summary(self) -> str:
        reversible = "reversible" if self.plan.reversible else "[$warning b]NOT reversible[/]"
        return f"[b]Impact:[/] {escape(self.plan.impact.describe())} · {reversible}"

    def _banner(self) -> str:
        phrase = escape(self.plan.confirm_phrase or "")
        return f"LIVE: real money. Type [b]{phrase}[/] in the box below, then Enter."

    @on(PlanInputsForm.Changed)
    def _inputs_changed(self, event: PlanInputsForm.Changed) -> None:
        """Rebuild the plan from the entered values; say what is wrong, if anything."""
        if self.rebuild is None:
            return
        form = event.form
        try:
            # the starting values are the plan as recommended (same intent, same key)
            start = self.inputs is not None and event.request == self.inputs.request()
            plan = self.original if start else self.rebuild(event.request)
        except InputError as refused:
            form.mark(refused.field)
            self._refuse_inputs(refused.message)
            return
        form.mark(None)
        self.plan = plan
        self.query_one("#diff", PlanDiff).show(plan)
        self.query_one("#summary", Static).update(self._summary())
        if self.phrase_required:
            self.query_one("#live-banner", Static).update(self._banner())
            phrase = self.query_one("#phrase", Input)
            phrase.placeholder = f"type {plan.confirm_phrase or ''}"
        self._refuse_inputs(plan.blocked_reason)

    def _refuse_inputs(self, reason: str | None) -> None:
        self.error = reason
        message = f"Cannot run with these values: {reason}" if reason else ""
        self.query_one("#message", Static).update(escape(message))
        self.query_one("#confirm", Button).disabled = reason is not None

    def _phrase_ok(self) -> bool:
        if not self.phrase_required:
            return True
        typed = self.query_one("#phrase", Input).value.strip()
        return typed == self.plan.confirm_phrase

    def _refusal(self) -> str:
        return (
            f"Not confirmed: type {self.plan.confirm_phrase} exactly in the box above, "
            "then press Enter or Run it."
        )

    def action_confirm(self) -> None:
        if self.error is not None:
            self.query_one("#message", Static).update(
                escape(f"Not run: {self.error}. Correct the value above; nothing was sent.")
            )
            self.app.bell()
            return
        if not self._phrase_ok():
            self.query_one("#message", Static).update(escape(self._refusal()))
            self.app.bell()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted, "#phrase")
    def _phrase_submitted(self) -> None:
        self.action_confirm()
