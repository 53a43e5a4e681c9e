"""The plans and audit screens on the demo sandbox: figures, cache, and the way to a case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from billing_tui.app import BillingApp
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW
from screens.audit import AuditScreen
from screens.customer import CustomerScreen
from screens.palette import palette_commands
from screens.plans import PlansScreen
from tests.demo import demo_session
from widgets.tables import IdTable

SnapCompare = Callable[..., bool]


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    monkeypatch.setenv("BILLING_TUI_NO_SYSTEM_CLIPBOARD", "1")
    monkeypatch.setenv("BILLING_TUI_HOME", str(tmp_path / "home"))
    return demo_session(tmp_path / "data", now=DEFAULT_TEST_NOW)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        for screen in pilot.app.screen_stack:
            await screen.workers.wait_for_complete()
        await pilot.pause()
    # DataTable sizes auto-width columns on a later refresh than the one that adds the rows:
    # let that happen before anything reads the screen.
    for table in pilot.app.screen.query(IdTable):
        table.refresh(layout=True)
    await pilot.pause(0.05)
    await pilot.pause()


async def open_plans(pilot: Pilot[Any]) -> PlansScreen:
    await settle(pilot)
    screen = PlansScreen(pilot.app.session)  # type: ignore[attr-defined]
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


def text(widget: Static) -> str:
    return str(widget.render())


async def test_plans_screen_shows_the_account_figures(session: Session) -> None:
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_plans(pilot)
        summary = text(screen.query_one("#summary", Static))
        assert "customers" in summary
        assert "duplicate findings" in summary
        assert "swept just now" in summary
        mix = screen.query_one("#mix-table", IdTable)
        assert "price_promonthly" in mix.ids or len(mix.ids) >= 3
        cells = [str(c) for c in mix.get_row_at(0)]
        assert any("$" in c or "¥" in c for c in cells)
        assert not screen.query_one("#progress").display


async def test_second_visit_reads_the_cache_and_r_re_sweeps(session: Session) -> None:
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await open_plans(pilot)
        await pilot.press("escape")
        await settle(pilot)
        second = await open_plans(pilot)
        assert "cached sweep" in text(second.query_one("#summary", Static))
        assert first is not second
        await pilot.press("r")
        await settle(pilot)
        assert "swept just now" in text(second.query_one("#summary", Static))


async def test_audit_lists_duplicates_and_enter_opens_the_case(session: Session) -> None:
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_plans(pilot)
        await pilot.press("d")
        await settle(pilot)
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        table = audit.query_one("#table", IdTable)
        codes = {str(table.get_row(row_id)[1]) for row_id in table.ids}
        assert "duplicate subscription" in codes
        assert "duplicate customer" in codes
        first = audit.report.duplicates[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        assert set(app.screen.view.customer_ids) == set(first.customer_ids)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_plans_screen_snapshot(snap_compare: SnapCompare, session: Session, size: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_plans(pilot)

    assert snap_compare(BillingApp(session), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_audit_screen_snapshot(snap_compare: SnapCompare, session: Session, size: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_plans(pilot)
        await pilot.press("d")
        await settle(pilot)

    assert snap_compare(BillingApp(session), terminal_size=size, run_before=run_before)


async def test_f4_on_the_search_screen_opens_plans_and_the_palette_opens_the_audit(
    session: Session,
) -> None:
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, PlansScreen)
        await pilot.press("escape")
        await settle(pilot)
        app.action_plans(audit=True)
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        titles = [c.title for c in palette_commands(app, app.screen)]
        assert "plans: Duplicate audit" in titles


async def test_demo_tickets_are_listed_and_enter_looks_one_up(session: Session) -> None:
    from textual.widgets import Input

    app = BillingApp(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        tickets = app.screen.query_one("#demo-tickets", IdTable)
        assert tickets.ids[0] == "dana.whitfield@example.com"
        assert len(tickets.ids) == len(session.demo_tickets()) >= 17
        await pilot.press("ctrl+t")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#query", Input).value == "dana.whitfield@example.com"
        results = app.screen.query_one("#results", IdTable)
        assert results.ids == ("cus_dupcheckout1",)


async def test_palette_switches_profile_and_starts_over_on_search(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import billing_tui.cli.tui as tui
    from screens.search import SearchScreen

    other = demo_session(tmp_path / "other", now=DEFAULT_TEST_NOW)
    monkeypatch.setattr(BillingApp, "known_profiles", lambda self: ("default", "support"))
    monkeypatch.setattr(tui, "build_profile_session", lambda profile: other)
    app = BillingApp(session, open_profile=tui.open_profile_session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        titles = {c.title: c for c in palette_commands(app, app.screen)}
        assert "profile: Switch to support" in titles
        assert "profile: Switch to default" in titles  # the demo session has no profile
        titles["profile: Switch to support"].run()
        await settle(pilot)
        assert app.session is other
        assert len(app.screen_stack) == 2  # the fresh search screen over the old base
        assert isinstance(app.screen, SearchScreen)
        assert app.screen.session is other


async def test_a_failed_profile_switch_keeps_the_session(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import billing_tui.cli.tui as tui
    from billing_tui.store.credentials import CredentialsError

    def refuse(profile: str) -> Session:
        raise CredentialsError(f"No Stripe key for profile '{profile}'.")

    monkeypatch.setattr(tui, "build_profile_session", refuse)
    app = BillingApp(session, open_profile=tui.open_profile_session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.switch_profile("ghost")
        await settle(pilot)
        assert app.session is session
        assert any("ghost" in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_help_screen_snapshot(snap_compare: SnapCompare, session: Session, size: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(
        BillingApp(session, cursor_blink=False), terminal_size=size, run_before=run_before
    )


def test_too_small_terminal_snapshot(snap_compare: SnapCompare, session: Session) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)

    assert snap_compare(
        BillingApp(session, cursor_blink=False), terminal_size=(60, 20), run_before=run_before
    )
