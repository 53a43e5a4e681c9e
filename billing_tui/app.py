"""The Textual App: key bindings, command palette, and the wiring of one operator session."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class BillingApp(App[None]):
    """The billing workstation."""

    TITLE = "billing-tui"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, *, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.sub_title = "DEMO" if demo else "no key"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("billing-tui", id="placeholder")
        yield Footer()
