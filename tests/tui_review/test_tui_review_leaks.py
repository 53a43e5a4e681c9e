"""Secret-leak audit of the workstation itself (issue 6): a whole ticket in the TUI with a
recognisable key from the environment, plus a worker that crashes with the key in its message.
Every screen the operator saw, every notification, the clipboard, every file the app wrote and
every SVG snapshot the suite keeps are scanned: zero hits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from billing_tui.app import BillingApp
from billing_tui.core.plans import ActionKind
from billing_tui.desk.connection import Connection, info_for
from billing_tui.desk.session import Session
from billing_tui.gateway import build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.store.caselog import CaseLog
from billing_tui.store.credentials import resolve_key
from screens.actions import ActionScreen
from tests.leakscan import leaks

CANARY = "sk_test_LEAKCANARYtui7f3a9c1e5b2d"
ROOT = Path(__file__).resolve().parents[2]


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(2):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        for screen in pilot.app.screen_stack:
            await screen.workers.wait_for_complete()
    await pilot.pause()


async def test_a_whole_ticket_and_a_crash_show_and_write_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("BILLING_TUI_HOME", str(home))
    monkeypatch.setenv("BILLING_TUI_NO_SYSTEM_CLIPBOARD", "1")
    monkeypatch.setenv("STRIPE_API_KEY", CANARY)
    seen: list[str] = []
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    # The key comes from the environment, as an operator's would over SSH.
    resolved = resolve_key(None)
    client = build_client(resolved.key.reveal(), http_client=sandbox.http_client())
    connection = Connection(client, info_for(resolved), sandbox)
    assert connection.info.notice is not None
    session = Session(connection, CaseLog(home / "data" / "cases"), operator="auditor")
    seen += [repr(session), repr(connection), connection.info.describe()]
    app = BillingApp(session, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:

        async def look() -> None:
            await settle(pilot)
            seen.append(app.export_screenshot())

        await look()
        app.screen.query_one("#query", Input).value = "dana.whitfield@example.com"
        await pilot.press("enter")
        await look()
        await pilot.press("enter")
        await look()
        await pilot.press("c")
        await look()
        await pilot.press("ctrl+f", "ctrl+f")
        await look()
        await pilot.press("a")
        await look()
        actions = app.screen
        assert isinstance(actions, ActionScreen)
        index = next(i for i, p in enumerate(actions.plans) if p.kind == ActionKind.REFUND)
        actions.query_one("#plans").move_cursor(row=index)
        await pilot.press("x")
        await pilot.pause()  # a worker awaits the confirmation modal: do not wait for workers
        seen.append(app.export_screenshot())
        await pilot.press("y")
        await look()
        await pilot.press("escape", "h")
        await look()
        await pilot.press("c")
        await look()
        seen.append(app.clipboard)

        async def crash() -> None:
            raise RuntimeError(f"the API rejected {CANARY} while loading")

        app.run_worker(crash(), exit_on_error=False, description="a forced crash")
        await look()
        seen += [f"{n.title} {n.message}" for n in app._notifications]
        assert any("forced crash" in text or "Something went wrong" in text for text in seen)
    refunds = list(sandbox.state.all("refund"))
    assert len(refunds) == 1, "the audit must have walked the money-moving path"
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written, "the case log must have been written"
    seen += [p.read_text(errors="replace") for p in written]
    snapshots = sorted(ROOT.glob("tests/**/__snapshots__/**/*.svg"))
    seen += [p.read_text(errors="replace") for p in snapshots]
    hits = [hit for text in seen for hit in leaks(text)]
    assert hits == []
