"""The always-visible header: mode banner (DEMO / TEST / red LIVE), account, masked key, place.

There is deliberately no clock: the header shows only what changes the operator's risk (which
Stripe account, which mode, which key) and where they are.
"""

from __future__ import annotations

from typing import Protocol

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from billing_tui.core.text import redact_keys


class ModeInfo(Protocol):
    """What the header needs from the session's connection info (``ConnectionInfo`` has it)."""

    @property
    def mode(self) -> str: ...

    @property
    def key_hint(self) -> str: ...

    @property
    def account_name(self) -> str | None: ...


def safe_key_hint(hint: str) -> str:
    """The key as ``sk_live_…abcd`` at most: any whole key in the hint is cut to its last four.

    The connection already masks the key; this is a second guard so that nothing longer than the
    last four characters can ever be painted, whatever the caller passed. Hints that are not
    keys (``sandbox``) are shown as they are.
    """
    hint = hint.strip()
    if not hint:
        return "no key"
    return redact_keys(hint)


def mode_label(mode: str) -> str:
    """The banner text; it reads the same without colour (``NO_COLOR``)."""
    return {"live": " ● LIVE ● ", "test": " TEST ", "demo": " DEMO "}.get(mode, f" {mode.upper()} ")


class ModeHeader(Horizontal):
    """One line: ``[LIVE] billing-tui · Acme Inc · sk_live_…abcd · Customer cus_…``."""

    DEFAULT_CSS = """
    ModeHeader {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        dock: top;
        & > #mode {
            width: auto;
            text-style: bold;
            background: $primary;
            color: $text;
        }
        & > #mode.-live {
            background: $error;
            color: $text;
            text-style: bold;
        }
        & > #mode.-live.-mono {
            text-style: bold reverse;  /* NO_COLOR: still unmistakable */
        }
        & > #mode.-test {
            background: $warning;
            color: $text;
        }
        & > #where {
            width: 1fr;
            padding: 0 1;
            text-overflow: ellipsis;
            text-wrap: nowrap;
        }
        & > #account {
            width: auto;
            padding: 0 1;
            color: $text-muted;
        }
    }
    """

    def __init__(self, info: ModeInfo, where: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._info = info
        self._where = where

    def compose(self) -> ComposeResult:
        mode = self._info.mode
        classes = f"-{mode} -mono" if self.app.no_color else f"-{mode}"
        yield Static(mode_label(mode), id="mode", classes=classes, markup=False)
        yield Static(self._where_text(), id="where", markup=False)
        account = self._info.account_name or "unnamed account"
        key = safe_key_hint(self._info.key_hint)
        yield Static(f"{account} · {key}", id="account", markup=False)

    def _where_text(self) -> str:
        return self._where or "billing-tui"

    def set_where(self, where: str) -> None:
        """Say where the operator is (e.g. the customer on screen)."""
        self._where = where
        if self.is_mounted:
            self.query_one("#where", Static).update(self._where_text())
