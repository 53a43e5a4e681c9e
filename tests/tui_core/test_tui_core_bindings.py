"""Every key is discoverable: it has an id (for the keymap), a label and a tooltip, and it is
shown in the footer or listed in help; the keymap from the config file rebinds keys by id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input, Static

from billing_tui.app import BillingApp
from billing_tui.desk.session import Session
from screens.customer import CustomerScreen
from screens.help import HelpScreen
from screens.search import SearchScreen
from screens.too_small import TooSmallScreen
from widgets.anomalies import AnomalyList
from widgets.tables import IdTable

OWNERS: list[type[Any]] = [
    BillingApp,
    SearchScreen,
    CustomerScreen,
    HelpScreen,
    TooSmallScreen,
    IdTable,
    AnomalyList,
]


def _bindings(owner: type[Any]) -> list[Binding]:
    """The bindings the class itself declares (not Textual's inherited ones)."""
    return [b for b in owner.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]


@pytest.mark.parametrize("owner", OWNERS, ids=lambda o: o.__name__)
def test_every_binding_has_an_id_a_label_and_a_tooltip(owner: type[Any]) -> None:
    declared = owner.__dict__.get("BINDINGS", [])
    assert all(isinstance(b, Binding) for b in declared), "use Binding(...), not tuples"
    for binding in _bindings(owner):
        assert binding.id, f"{owner.__name__}: {binding.key} has no id"
        assert binding.description, f"{owner.__name__}: {binding.key} has no label"
        assert binding.tooltip, f"{owner.__name__}: {binding.key} has no tooltip"


def test_binding_ids_are_unique_per_owner() -> None:
    for owner in OWNERS:
        ids = [b.id for b in owner.__dict__.get("BINDINGS", [])]
        assert len(ids) == len(set(ids)), owner.__name__


async def _help_text(app: BillingApp, pilot: Pilot[Any]) -> str:
    await pilot.press("f1")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return str(screen.query_one("#help-text", Static).render())


async def test_every_key_of_search_and_customer_is_in_the_footer_or_in_help(
    session: Session,
) -> None:
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for owner in (SearchScreen, BillingApp):
            text = await _help_text(app, pilot)
            for binding in _bindings(owner):
                assert binding.show or binding.description in text, binding.id
            await pilot.press("escape")
            await pilot.pause()
        app.screen.query_one("#query", Input).value = "dana.whitfield@example.com"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CustomerScreen)
        text = await _help_text(app, pilot)
        for binding in _bindings(CustomerScreen) + _bindings(BillingApp):
            assert binding.description in text, binding.id
        # the focused anomaly list's own keys are listed too
        for binding in _bindings(AnomalyList):
            assert binding.description in text, binding.id


async def test_the_config_keymap_rebinds_by_id(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "keymap-home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[keymap]\n"app.help" = "f5"\n')
    monkeypatch.setenv("BILLING_TUI_HOME", str(home))
    app = BillingApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f5")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_a_failing_worker_ends_in_a_notification_without_the_key(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_lookup(text: str) -> Any:
        raise RuntimeError("upstream said no to sk_live_" + "ABCDEFGHIJKLMNOP1234")

    monkeypatch.setattr(session, "lookup", broken_lookup)
    seen: list[Message] = []
    app = BillingApp(session)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await pilot.pause()
        app.screen.query_one("#query", Input).value = "cus_abcd1234"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)  # still running, still usable
        errors = [
            m.notification
            for m in seen
            if isinstance(m, Notify) and m.notification.severity == "error"
        ]
        assert errors, "the failure was not reported"
        assert "RuntimeError: upstream said no to sk_live_…1234" in errors[-1].message
        assert "ABCDEFGH" not in errors[-1].message
