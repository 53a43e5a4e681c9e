"""Fixtures: an isolated BILLING_TUI_HOME and in-memory / broken keyring backends."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from credtest_keyrings import MemoryKeyring  # noqa: E402


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """BILLING_TUI_HOME in a temp dir, no STRIPE_API_KEY from the outside."""
    monkeypatch.setenv("BILLING_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    return tmp_path / "home"


@pytest.fixture
def use_keyring() -> Iterator[object]:
    """Install a keyring backend for one test; restore the previous one after."""
    previous = keyring.get_keyring()
    installed: list[object] = []

    def install(backend: object) -> object:
        keyring.set_keyring(backend)
        installed.append(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(home: Path, use_keyring: object) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)  # type: ignore[operator]
    return backend
