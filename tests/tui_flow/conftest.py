"""Flow-screen tests never touch the system clipboard, the user's config or case log."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_TUI_NO_SYSTEM_CLIPBOARD", "1")
    monkeypatch.setenv("BILLING_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
