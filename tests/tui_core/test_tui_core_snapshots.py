"""SVG snapshots of the search and customer screens at 80×24 and 120×40 (fixed clock and data).

Regenerate deliberately with ``pytest tests/tui_core --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from billing_tui.app import BillingApp
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW
from billing_tui.store.caselog import CaseLog, records

DUPLICATE_EMAIL = "dana.whitfield@example.com"
SIZES = [(80, 24), (120, 40)]

SnapCompare = Callable[..., bool]


@pytest.fixture
def fixed_session(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    """Case ids and times from a fixed clock and a fixed "random" part: stable screenshots."""
    monkeypatch.setattr(records, "case_token", lambda part=1: "k5e5e5e5")
    session.caselog = CaseLog(tmp_path / "fixed-cases", clock=lambda: DEFAULT_TEST_NOW)
    return session


async def _steady(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _searched(pilot: Pilot[Any]) -> None:
    await _steady(pilot)
    pilot.app.screen.query_one("#query", Input).value = DUPLICATE_EMAIL
    await pilot.press("enter")
    await _steady(pilot)


async def _customer(pilot: Pilot[Any]) -> None:
    await _searched(pilot)
    await pilot.press("enter")
    await _steady(pilot)


def _check(
    snap_compare: SnapCompare,
    session: Session,
    size: tuple[int, int],
    run_before: Callable[[Pilot[Any]], Awaitable[None]],
) -> None:
    app = BillingApp(session, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_search_screen_empty(snap_compare: SnapCompare, fixed_session: Session, size: Any) -> None:
    """The start screen: mode banner, search box, detected kind, no cases yet."""
    _check(snap_compare, fixed_session, size, _steady)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_search_screen_results(
    snap_compare: SnapCompare, fixed_session: Session, size: Any
) -> None:
    """duplicate-checkout's email found: one customer, masked email, two live subscriptions."""
    _check(snap_compare, fixed_session, size, _searched)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_customer_screen(snap_compare: SnapCompare, fixed_session: Session, size: Any) -> None:
    """duplicate-checkout's customer: the critical anomaly and both subscriptions marked."""
    _check(snap_compare, fixed_session, size, _customer)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_connecting_screen(snap_compare: SnapCompare, fixed_session: Session, size: Any) -> None:
    """The first frame of a start from the command line: the search box already takes keys
    while the demo sandbox is built (the header says "connecting…")."""
    import threading

    from billing_tui import app as app_module
    from billing_tui.app import Opening

    gate = threading.Event()

    def open_session() -> Session:
        gate.wait(30)
        return fixed_session

    async def typed(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press(*"dana.whit")
        await pilot.pause()

    class Shot(BillingApp):
        CSS_PATH = Path(app_module.__file__).with_name("app.tcss")

        def exit(self, *args: Any, **kwargs: Any) -> None:
            gate.set()  # the screenshot is taken: let the opening finish so the App can leave
            super().exit(*args, **kwargs)

    app = Shot(opening=Opening(fixed_session.info, open_session), cursor_blink=False)
    try:
        assert snap_compare(app, terminal_size=size, run_before=typed)
    finally:
        gate.set()
