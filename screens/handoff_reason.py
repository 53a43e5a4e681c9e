"""Asked before resolving a case with something still open: why resolve it anyway.

Lists what is open (CRITICAL anomalies, failed actions) and takes a one-line reason; Enter with
a reason resolves, escape goes back. The reason is kept with the case and shown in its handoff.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class ResolveReasonScreen(ModalScreen[str | None]):
    """Dismisses with the operator's reason, or None (escape: the case stays open)."""

    DEFAULT_CSS = """
    ResolveReasonScreen {
        align: center middle;
    }
    ResolveReasonScreen > #reason-dialog {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 24;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    ResolveReasonScreen #reason-message {
        color: $error;
    }
    """

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Back",
            id="resolve-reason.back",
            tooltip="Do not resolve: the case stays open",
        ),
    ]

    def __init__(self, open_items: tuple[str, ...]) -> None:
        super().__init__()
        self.open_items = open_items

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-dialog"):
            yield Static("[b]Still open on this case:[/b]", id="reason-title")
            yield Static("\n".join(f"- {escape(item)}" for item in self.open_items))
            yield Static("Why resolve it anyway? (kept with the case, shown in the handoff)")
            yield Input(placeholder="reason, then Enter; escape to go back", id="reason")
            yield Static("", id="reason-message")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#reason-message", Static).update("A reason is needed to resolve.")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
