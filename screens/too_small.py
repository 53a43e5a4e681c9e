"""Shown instead of a squashed screen when the terminal is smaller than the workstation needs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 24


def too_small_message(width: int, height: int) -> str:
    return (
        f"billing-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is "
        f"{width}×{height}.\nMake the window larger (or the font smaller). Ctrl+Q quits."
    )


def is_too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmallScreen(ModalScreen[None]):
    """Covers everything; the App removes it as soon as the terminal is large enough."""

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
        background: $background;
        & > #too-small {
            width: 100%;
            height: auto;
            text-align: center;
            text-style: bold;
        }
    }
    """

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self._terminal = (width, height)

    def compose(self) -> ComposeResult:
        yield Static(too_small_message(*self._terminal), id="too-small")

    def set_size(self, width: int, height: int) -> None:
        self._terminal = (width, height)
        if self.is_mounted:
            self.query_one("#too-small", Static).update(too_small_message(width, height))
