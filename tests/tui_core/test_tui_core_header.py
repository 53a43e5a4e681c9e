"""The mode banner: LIVE is unmistakable (also without colour); the key never shows whole."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from widgets.header import ModeHeader


@dataclass(frozen=True)
class Info:
    mode: str
    key_hint: str
    account_name: str | None


class HeaderApp(App[None]):
    def __init__(self, info: Info) -> None:
        super().__init__()
        self.info = info

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.info, "somewhere")


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "NO_COLOR"])
async def test_live_banner_says_live_and_masks_the_key(
    no_color: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    whole = "sk_live_" + "51Habcdefghijklmnopqrstuv" + "WXYZ"
    app = HeaderApp(Info("live", whole, "Acme Inc"))
    async with app.run_test(size=(100, 5)) as pilot:
        await pilot.pause()
        mode = app.query_one("#mode", Static)
        assert "LIVE" in str(mode.render())
        assert mode.has_class("-live")
        account = str(app.query_one("#account", Static).render())
        assert account == "Acme Inc · sk_live_…WXYZ"
        assert whole not in app.export_screenshot()
