"""Asked on an owed refund: why the charge is not refunded (the operator's decision).

Shows the charge and what the plan would refund, and takes a one-line reason; Enter with a
reason records it (the case log keeps it, the refund is no longer proposed as owed and the
handoff's DECISION gives the reason), escape goes back without recording anything.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from billing_tui.core.plans import Plan


class NoRefundScreen(ModalScreen[str | None]):
    """Dismisses with the operator's reason, or None (escape: nothing is recorded)."""

    DEFAULT_CSS = """
    NoRefundScreen {
        align: center middle;
    }
    NoRefundScreen > #no-refund-dialog {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 20;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    NoRefundScreen #no-refund-message {
        color: $error;
    }
    """

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Back",
            id="no-refund.back",
            tooltip="Record nothing: the refund stays proposed",
        ),
    ]

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        amount = plan.amount.format() if plan.amount is not None else "the charge"
        with Vertical(id="no-refund-dialog"):
            yield Static(
                f"[b]Not refunding {escape(plan.target_id or '')}[/b] "
                f"(the plan would refund {escape(amount)})",
                id="no-refund-title",
            )
            yield Static(
                "Why not? Kept with the case and shown in the handoff's DECISION; the refund "
                "is then no longer proposed as owed. Nothing is sent to Stripe."
            )
            yield Input(placeholder="reason, then Enter; escape to go back", id="no-refund-reason")
            yield Static("", id="no-refund-message")

    def on_mount(self) -> None:
        self.query_one("#no-refund-reason", Input).focus()

    @on(Input.Submitted, "#no-refund-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#no-refund-message", Static).update(
                "Say why the charge is not refunded (or escape to go back)."
            )
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)
