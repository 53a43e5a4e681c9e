"""Starting the workstation: failures before the first frame are one clear line and exit 2;
the first frame comes before the Stripe SDK (and the demo's sandbox) loads, and what the
operator types meanwhile is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from billing_tui.app import BillingApp, Opening
from billing_tui.cli.main import build_parser
from billing_tui.cli.tui import EXIT_CANNOT_START, run_tui
from billing_tui.desk.session import Session
from screens.connecting import ConnectingScreen
from screens.search import SearchScreen
from widgets.tables import IdTable

DUPLICATE_EMAIL = "dana.whitfield@example.com"


def test_no_key_is_a_clear_message_not_a_tui(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args([])
    assert run_tui(args) == EXIT_CANNOT_START
    err = capsys.readouterr().err
    assert err.startswith("billing-tui: cannot start: ")
    assert "Traceback" not in err


def test_a_bad_clock_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["--demo", "--now", "yesterday-ish"])
    assert run_tui(args) == EXIT_CANNOT_START
    assert "--now 'yesterday-ish' is not an ISO 8601 time" in capsys.readouterr().err


# ----------------------------------------------------------------------------- first frame


LIVE_START = r"""
import json, sys
import textual.app
from billing_tui.app import BillingApp

seen = {}
original_ready = textual.app.App._ready


async def _ready(self):
    await original_ready(self)
    seen["first_frame"] = sorted(sys.modules)
    seen["screen"] = type(self.screen).__name__


def _session_ready(self, session):
    seen["connected"] = sorted(sys.modules)
    seen["connected_screen"] = type(self.screen).__name__
    self.exit()


textual.app.App._ready = _ready
BillingApp._session_ready = _session_ready
run = BillingApp.run
BillingApp.run = lambda self, **kw: run(self, headless=True, **kw)
from billing_tui.cli.main import main

code = main(sys.argv[1:])
print(json.dumps({"code": code, **seen}))
"""


def _start(tmp_path: Path, *argv: str, key: str | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "STRIPE_API_KEY"}
    env["BILLING_TUI_HOME"] = str(tmp_path / "home")
    if key:
        env["STRIPE_API_KEY"] = key
    result = subprocess.run(
        [sys.executable, "-c", LIVE_START, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    started: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return started


def _loaded(modules: list[str], *prefixes: str) -> list[str]:
    return [m for m in modules if m == prefixes[0] or m.startswith(prefixes)]


def test_a_live_start_draws_before_the_sdk_and_never_loads_the_sandbox(tmp_path: Path) -> None:
    started = _start(tmp_path, "--api-base", "http://127.0.0.1:9", key="sk_test_" + "s1" * 12)
    assert started["code"] == 0
    assert started["screen"] == "ConnectingScreen"
    first = started["first_frame"]
    assert _loaded(first, "stripe", "stripe.") == []
    assert _loaded(first, "billing_tui.sandbox", "billing_tui.sandbox.") == []
    assert _loaded(first, "billing_tui.cli.inspect", "billing_tui.cli.triage") == []
    connected = started["connected"]
    assert "stripe" in connected  # the worker loaded it, after the first frame
    assert started["connected_screen"] == "SearchScreen"
    assert _loaded(connected, "billing_tui.sandbox", "billing_tui.sandbox.") == []
    # An environment key never asks the keyring.
    assert _loaded(connected, "keyring", "keyring.") == []


def test_the_demo_draws_before_its_sandbox_is_built(tmp_path: Path) -> None:
    started = _start(tmp_path, "--demo", "--scenarios", "healthy")
    assert started["code"] == 0
    assert started["screen"] == "ConnectingScreen"
    assert _loaded(started["first_frame"], "billing_tui.sandbox", "billing_tui.sandbox.") == []
    assert _loaded(started["first_frame"], "stripe", "stripe.") == []
    assert "billing_tui.sandbox" in started["connected"]


def test_the_app_module_imports_neither_the_cli_nor_the_sdk() -> None:
    code = (
        "import sys, billing_tui.app; "
        "print(sorted(m for m in sys.modules if m.startswith(('billing_tui.cli', 'stripe'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- connecting


def _opening(session: Session, gate: threading.Event) -> Opening:
    def open_session() -> Session:
        assert gate.wait(30)
        return session

    return Opening(session.info, open_session)


async def test_keys_typed_while_connecting_are_kept_and_enter_searches_on_arrival(
    session: Session,
) -> None:
    gate = threading.Event()
    app = BillingApp(opening=_opening(session, gate))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConnectingScreen)
        assert not app.connected
        assert "Building the demo sandbox" in str(app.screen.query_one("#message", Static).content)
        await pilot.press(*DUPLICATE_EMAIL, "enter")
        gate.set()
        await app.workers.wait_for_complete()
        for _ in range(5):
            await app.screen.workers.wait_for_complete()
            await pilot.pause()
        assert app.session is session
        assert isinstance(app.screen, SearchScreen)
        assert [type(s) for s in app.screen_stack] == [ConnectingScreen, SearchScreen]
        assert app.screen.query_one("#query", Input).value == DUPLICATE_EMAIL
        assert app.screen.query_one("#results", IdTable).ids  # the lookup ran on arrival


async def test_text_typed_without_enter_stays_in_the_box_unsearched(session: Session) -> None:
    gate = threading.Event()
    app = BillingApp(opening=_opening(session, gate))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"dana.whit")
        gate.set()
        await app.workers.wait_for_complete()
        for _ in range(3):
            await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        box = app.screen.query_one("#query", Input)
        assert box.value == "dana.whit"
        assert box.cursor_position == len("dana.whit")
        assert app.screen.resolution is None
        await pilot.press("r", "e")  # typing goes on in the real search box
        assert box.value == "dana.whitre"


async def test_a_failed_opening_leaves_and_says_why(tmp_path: Path) -> None:
    from billing_tui.desk.connection import DEMO_INFO, ConnectionFailed

    def refuse() -> Session:
        raise ConnectionFailed("no such scenario 'nope' (sk_live_" + "X" * 24 + ")")

    app = BillingApp(opening=Opening(DEMO_INFO, refuse))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 2
    assert app.start_failure is not None
    assert app.start_failure.startswith("no such scenario 'nope'")
    assert "X" * 24 not in app.start_failure  # keys are redacted, also here


def test_run_tui_prints_a_failed_opening_as_cannot_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import billing_tui.app as app_module

    def fake_run(self: BillingApp, **_: Any) -> None:
        self.start_failure = "scenario file x.json: not found"

    monkeypatch.setattr(app_module.BillingApp, "run", fake_run)
    args = build_parser().parse_args(["--demo", "--scenarios", "x.json"])
    assert run_tui(args) == EXIT_CANNOT_START
    assert capsys.readouterr().err == "billing-tui: cannot start: scenario file x.json: not found\n"


async def test_help_open_while_connecting_keeps_the_search_for_when_it_closes(
    session: Session,
) -> None:
    gate = threading.Event()
    app = BillingApp(opening=_opening(session, gate))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        header = app.screen.query_one("#account", Static)
        assert "connecting…" in str(header.content)
        await pilot.press("f1")
        await pilot.pause()
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.connected
        assert not isinstance(app.screen, SearchScreen)  # help stays on top
        await pilot.press("escape")
        for _ in range(3):
            await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.session is session
