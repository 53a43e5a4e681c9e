"""The take-over modal: another operator (terminal, process) holds the customer; taking it
from them is deliberate. Focus starts on Cancel; only ``y`` or the button takes over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from billing_tui.core.lease import Holder


def take_over_question(customers: str, holder: Holder) -> str:
    """What the operator is asked before taking ``customers`` from ``holder``."""
    return (
        f"Take over {customers} from {holder.operator}? They will be refused before their "
        "next money call (nothing they already sent is undone)."
    )


class TakeOverScreen(ModalScreen[bool]):
    """Ask before taking the customers from ``holder``; dismisses True only on a yes."""

    DEFAULT_CSS = """
    TakeOverScreen {
        align: center middle;
    }
    TakeOverScreen > #take-over-dialog {
        width: 90%;
        max-width: 80;
        height: auto;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    TakeOverScreen #take-over-title {
        text-style: bold;
    }
    TakeOverScreen #take-over-holder {
        margin: 1 0 0 0;
    }
    TakeOverScreen #take-over-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    TakeOverScreen #take-over-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding(
            "y",
            "confirm",
            "Yes, take over",
            id="take-over.yes",
            tooltip="Take the customer over; the other session is refused before its next call",
        ),
        Binding("n", "cancel", "No", id="take-over.no", tooltip="Leave the customer to them"),
        Binding("escape", "cancel", "Cancel", id="take-over.cancel", tooltip="Close, take nothing"),
    ]

    AUTO_FOCUS = "#take-over-no"

    def __init__(self, customers: str, holder: Holder) -> None:
        super().__init__()
        self.customers = customers
        self.holder = holder

    def compose(self) -> ComposeResult:
        with Vertical(id="take-over-dialog"):
            yield Static(
                escape(take_over_question(self.customers, self.holder)), id="take-over-title"
            )
            yield Static(
                f"Held by [b]{escape(self.holder.describe())}[/]. Check with them first: "
                "two operators acting on one customer can pay or cancel twice.",
                id="take-over-holder",
            )
            with Horizontal(id="take-over-buttons"):
                yield Button("Cancel (n)", id="take-over-no", variant="primary", compact=True)
                yield Button("Take over (y)", id="take-over-yes", variant="warning", compact=True)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#take-over-yes")
    def _yes(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#take-over-no")
    def _no(self) -> None:
        self.action_cancel()
