"""The search and customer screens driven like an operator would, on the demo sandbox."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent

from billing_tui.app import BillingApp
from billing_tui.core.model import PartFailure
from billing_tui.desk.session import Session
from screens import search as search_screen
from screens.customer import CustomerScreen
from screens.palette import palette_commands
from screens.search import SearchScreen
from screens.too_small import TooSmallScreen
from widgets.anomalies import AnomalyList
from widgets.header import ModeHeader
from widgets.tables import IdTable

SIZE = (120, 40)
#: The duplicate-checkout scenario's customer, as the ticket names her.
DUPLICATE_EMAIL = "dana.whitfield@example.com"
DUPLICATE_CUSTOMER = "cus_dupcheckout1"
DUPLICATE_SUBS = ("sub_dupcheckoutA", "sub_dupcheckoutB")
#: Two customers share this email (duplicate-customers scenario).
SHARED_EMAIL = "sam.lee@example.com"


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and screens switch (8.x adds 50 ms per switch)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(app: BillingApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def search(pilot: Pilot[Any], query: str) -> None:
    """Paste the query (typing each key costs ~100 ms in Pilot) and press Enter."""
    await pilot.pause()
    pilot.app.screen.query_one("#query", Input).value = query
    await pilot.press("enter")
    await settle(pilot)


async def open_duplicate_checkout(pilot: Pilot[Any]) -> CustomerScreen:
    await search(pilot, DUPLICATE_EMAIL)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CustomerScreen)
    return screen


async def test_detected_kind_changes_as_you_type(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "nothing yet" in text_of(app, "#kind")
        await pilot.press(*"cus_")
        assert "malformed id" in text_of(app, "#kind")
        assert "expected cus_ followed by letters and digits only" in text_of(app, "#kind")
        await pilot.press(*"abc123")
        assert "customer id" in text_of(app, "#kind")
        app.screen.query_one("#query", Input).value = ""
        await pilot.press(*"d@e.io")
        assert "Detected: email" in text_of(app, "#kind")
        app.screen.query_one("#query", Input).value = ""
        await pilot.press(*"sub_1Abc")
        assert "subscription id" in text_of(app, "#kind")


async def test_email_lookup_lists_one_customer_with_counts(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, DUPLICATE_EMAIL)
        results = app.screen.query_one("#results", IdTable)
        assert results.ids == (DUPLICATE_CUSTOMER,)
        row = [str(cell) for cell in results.get_row(DUPLICATE_CUSTOMER)]
        assert "d***@example.com" in row
        assert DUPLICATE_EMAIL not in row  # the email is shown masked
        assert row[RESULT_LIVE_SUBS] == "2"
        assert int(row[RESULT_ANOMALIES]) >= 1
        assert "1 customer" in text_of(app, "#message")
        app.screen.query_one("#query", Input).focus()
        await pilot.press("down")  # from the search box to the results
        assert app.focused is results


RESULT_LIVE_SUBS = 3  # the marker column comes first
RESULT_ANOMALIES = 4


async def test_customer_screen_shows_duplicate_and_marks_both_subscriptions(
    app: BillingApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicate_checkout(pilot)
        anomalies = screen.query_one(AnomalyList).anomalies
        assert "duplicate_subscription" in [a.code for a in anomalies]
        subs = screen.table("subscriptions")
        assert set(DUPLICATE_SUBS) <= set(subs.ids)
        assert set(DUPLICATE_SUBS) <= subs.marked
        for sub_id in DUPLICATE_SUBS:
            assert str(subs.get_row(sub_id)[0]) == "!"
        assert "disabled until the case is classified" in text_of(app, "#case-status")


async def test_choosing_an_anomaly_moves_to_its_rows(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicate_checkout(pilot)
        screen.query_one(TabbedContent).active = "payments"
        await pilot.pause()
        anomaly_list = screen.query_one(AnomalyList)
        index = [a.code for a in anomaly_list.anomalies].index("duplicate_subscription")
        anomaly_list.focus()
        anomaly_list.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "subscriptions"
        table = screen.table("subscriptions")
        assert app.focused is table
        assert table.selected_id == anomaly_list.anomalies[index].refs[0]
        await pilot.press("j")
        assert table.selected_id in DUPLICATE_SUBS


async def test_y_copies_the_selected_id_and_shift_y_its_dashboard_url(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicate_checkout(pilot)
        await pilot.press("1")
        table = screen.table("subscriptions")
        table.move_to(DUPLICATE_SUBS[1])
        await pilot.press("y")
        assert app.clipboard == DUPLICATE_SUBS[1]
        await pilot.press("Y")
        assert (
            app.clipboard == f"https://dashboard.stripe.com/test/subscriptions/{DUPLICATE_SUBS[1]}"
        )


async def test_unknown_email_says_no_customer(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "nobody-at-all@example.org")
        assert isinstance(app.screen, SearchScreen)
        message = text_of(app, "#message")
        assert message.startswith("No customer"), message
        assert not app.screen.query_one("#results", IdTable).display


async def test_customers_sharing_an_email_are_shown_together_and_flagged(
    app: BillingApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, SHARED_EMAIL)
        results = app.screen.query_one("#results", IdTable)
        assert len(results.ids) == 3  # "all together" + both customers
        assert "2 customers share this email" in text_of(app, "#message")
        await pilot.press("enter")  # the first row opens them together
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert len(screen.view.snapshot.customers) == 2


async def test_escape_returns_to_search_and_the_case_is_listed(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicate_checkout(pilot)
        case_id = screen.case.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert case_id in app.screen.query_one("#cases", IdTable).ids


async def test_small_terminal_gets_a_message_not_a_crash(app: BillingApp) -> None:
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        message = str(app.screen.query_one("#too-small", Static).render())
        assert "needs at least 80×24; this terminal is 60×20" in message
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_a_part_that_failed_to_load_is_named_in_its_tab(
    app: BillingApp, session: Session
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = await session.load((DUPLICATE_CUSTOMER,))
        failure = PartFailure("invoices", "Stripe answered 500 (request req_123)")
        view = replace(view, snapshot=replace(view.snapshot, failures=(failure,)))
        case = await session.open_case(DUPLICATE_EMAIL, view)
        await app.push_screen(CustomerScreen(session, view, case))
        await settle(pilot)
        await pilot.press("2")
        notice = app.screen.query_one("#invoices-failure", Static)
        assert notice.display
        assert "Could not load invoices: Stripe answered 500" in str(notice.render())
        assert not app.screen.query_one("#subscriptions-failure", Static).display


async def test_palette_offers_case_commands_only_on_the_customer_screen(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [c.title for c in palette_commands(app, app.screen)]
        assert "search: Open customer" in titles
        assert "case: Classify" not in titles
        screen = await open_duplicate_checkout(pilot)
        titles = [c.title for c in palette_commands(app, screen)]
        for title in ("case: Classify", "case: Act", "case: Handoff", "app: Switch theme"):
            assert title in titles


async def test_start_query_is_looked_up_on_start(session: Session) -> None:
    app = BillingApp(session, start_query=DUPLICATE_EMAIL)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#results", IdTable).ids == (DUPLICATE_CUSTOMER,)
        assert app.focused is app.screen.query_one("#results", IdTable)


class BareScreen(Screen[None]):
    """A screen that composes no header of its own (like a plugin's)."""

    def compose(self) -> ComposeResult:
        yield Static("bare")


async def test_every_full_screen_gets_the_mode_banner(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(app.screen.query(ModeHeader)) == 1
        await app.push_screen(BareScreen())
        await settle(pilot)
        headers = app.screen.query(ModeHeader)
        assert len(headers) == 1
        assert "DEMO" in str(headers.first().query_one("#mode", Static).render())


async def test_searching_an_object_id_opens_with_the_cursor_on_it(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, DUPLICATE_SUBS[1])
        assert app.screen.query_one("#results", IdTable).ids == (DUPLICATE_CUSTOMER,)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert screen.query_one(TabbedContent).active == "subscriptions"
        table = screen.table("subscriptions")
        assert app.focused is table
        assert table.selected_id == DUPLICATE_SUBS[1]
        await pilot.press("g")
        assert table.selected_id == table.ids[0]
        await pilot.press("G")
        assert table.selected_id == table.ids[-1]


async def test_a_malformed_id_is_refused_with_a_reason(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "cus_x!")
        assert isinstance(app.screen, SearchScreen)
        message = app.screen.query_one("#message", Static)
        assert message.has_class("-error")
        assert "cus_x!" in str(message.render())
        assert "contains '!'" in str(message.render())


async def test_results_are_read_again_after_returning_from_the_customer(
    app: BillingApp, session: Session
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_duplicate_checkout(pilot)
        # the account changed meanwhile (an action): the duplicate is canceled
        await session.gateway.cancel_subscription(DUPLICATE_SUBS[1])
        await pilot.press("escape")
        await settle(pilot)
        results = app.screen.query_one("#results", IdTable)
        assert str(results.get_row(DUPLICATE_CUSTOMER)[RESULT_LIVE_SUBS]) == "1"


async def test_the_palette_runs_a_case_command_on_the_customer_screen(app: BillingApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicate_checkout(pilot)
        screen.query_one(TabbedContent).active = "subscriptions"
        screen.table("subscriptions").move_to(DUPLICATE_SUBS[0])
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"copy: selected")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.clipboard == DUPLICATE_SUBS[0]


async def test_only_the_first_candidates_are_loaded_for_counts(
    app: BillingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_screen, "MAX_COUNTED", 1)
    async with app.run_test(size=SIZE) as pilot:
        await search(pilot, "Sam Lee")
        results = app.screen.query_one("#results", IdTable)
        first, second = results.ids[1:]
        assert str(results.get_row(first)[RESULT_ANOMALIES]) != "…"
        assert str(results.get_row(second)[RESULT_ANOMALIES]) == "…"
        assert "first 1" in text_of(app, "#message")
