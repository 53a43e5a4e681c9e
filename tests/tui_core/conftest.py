"""Fixtures for the workstation's core screens: a demo session on the sandbox, a fixed clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_tui.app import BillingApp
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW
from tests.demo import demo_session


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No system clipboard, no user config or case log: everything under ``tmp_path``."""
    monkeypatch.setenv("BILLING_TUI_NO_SYSTEM_CLIPBOARD", "1")
    monkeypatch.setenv("BILLING_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)


@pytest.fixture
def session(tmp_path: Path) -> Session:
    return demo_session(tmp_path / "data", now=DEFAULT_TEST_NOW)


@pytest.fixture
def app(session: Session) -> BillingApp:
    return BillingApp(session)
