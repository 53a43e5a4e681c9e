"""The confirmation modal shown before any plan runs; focus starts on Cancel.

In LIVE mode the operator must also type the plan's confirm phrase (the amount or the
subscription id); confirming without it does nothing except say why.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from billing_tui.core.plans import Plan
from widgets.diff import PlanDiff


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

    AUTO_FOCUS = "#cancel"

    def __init__(self, plan: Plan, *, live: bool) -> None:
        super().__init__(classes="-live" if live else None)
        self.plan = plan
        self.live = live
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
            reversible = "reversible" if self.plan.reversible else "[$warning b]NOT reversible[/]"
            yield Static(
                f"[b]Impact:[/] {escape(self.plan.impact.describe())} · {reversible}",
                id="summary",
            )
            if self.phrase_required:
                phrase = self.plan.confirm_phrase or ""
                yield Static(
                    f"LIVE: real money. Type [b]{escape(phrase)}[/] below (shift+tab), Enter.",
                    id="live-banner",
                )
                yield Input(placeholder=f"type {phrase}", id="phrase")
            elif self.live:
                yield Static("LIVE MODE: this acts on the real account.", id="live-banner")
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Cancel (n)", id="cancel", variant="primary", compact=True)
                yield Button("Run it (y)", id="confirm", variant="error", compact=True)

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
