"""The search screen as it looks while the session connects (the start from the command line).

The App shows it as its first frame, before the Stripe SDK (or the demo's sandbox) has loaded;
the search box already takes keystrokes. When the session arrives the App shows the real
:class:`~screens.search.SearchScreen` over it with what was typed (and runs the search if Enter was
pressed meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from widgets.header import ModeHeader, ModeInfo
from widgets.query import PLACEHOLDER, kind_text

#: What the message line says until the session arrives, per mode.
CONNECTING = {
    "demo": "Building the demo sandbox… type the identifier meanwhile; Enter looks it up.",
    "live": "Connecting to Stripe… type the identifier meanwhile; Enter looks it up.",
    "test": "Connecting to Stripe… type the identifier meanwhile; Enter looks it up.",
}


@dataclass(frozen=True)
class Pending:
    """The header's view of a connection still being built (no account name yet)."""

    mode: str
    key_hint: str
    account_name: str | None = "connecting…"


@dataclass(frozen=True)
class Typed:
    """What the operator typed while connecting, and whether they pressed Enter."""

    text: str = ""
    submitted: bool = False


class ConnectingScreen(Screen[None]):
    """The search box, a "connecting…" line, and the mode banner from the options."""

    SUB_TITLE = "search"
    HELP = "Connecting. Type the identifier from the ticket; Enter looks it up once connected."

    def __init__(self, preview: ModeInfo, *, start_query: str | None = None) -> None:
        super().__init__()
        self.preview = preview
        self.start_query = start_query
        #: The text Enter was pressed on (the search runs it when the session arrives).
        self._submitted: str | None = start_query or None
        #: Set by the App once the search screen took its place.
        self.replaced = False

    def compose(self) -> ComposeResult:
        pending = Pending(self.preview.mode, self.preview.key_hint)
        yield ModeHeader(pending, "billing-tui · search", id="header")
        with Vertical(id="search-body"):
            box = Input(self.start_query or "", placeholder=PLACEHOLDER, id="query")
            box.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
            yield box
            yield Static(kind_text(self.start_query or ""), id="kind")
            yield Static(CONNECTING.get(self.preview.mode, CONNECTING["test"]), id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#message", Static).add_class("-busy")
        self.query_one("#query", Input).focus()

    @property
    def typed(self) -> Typed:
        text = self.query_one("#query", Input).value
        return Typed(text, submitted=text == self._submitted)

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#kind", Static).update(kind_text(event.value))

    @on(Input.Submitted, "#query")
    def _submit(self, event: Input.Submitted) -> None:
        self._submitted = event.value
        self.query_one("#message", Static).update(
            "Connecting… the search runs as soon as the session is ready."
        )
