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


# --- a loopback sandbox with the keys the CLI tests use ---------------------------------------

TEST_KEY = "sk_test_cliFullAccess0001"
LIVE_KEY = "sk_live_cliFakeLive0001"
PARTIAL_KEY = "rk_test_cliNoCharges0001"
EMPTY_KEY = "rk_live_cli_NoPermission01"
REVOKED_KEY = "sk_test_cliRevoked0001"


def declare_keys(sandbox: object, *extra: str) -> None:
    keys = sandbox.state.keys  # type: ignore[attr-defined]
    keys.declared[TEST_KEY] = None
    keys.declared[LIVE_KEY] = None
    keys.declared[PARTIAL_KEY] = frozenset(
        {"rak_customer_read", "rak_subscription_read", "rak_invoice_read"}
    )
    keys.declared[EMPTY_KEY] = frozenset()
    keys.revoked.add(REVOKED_KEY)
    for key in extra:
        keys.declared[key] = None


@pytest.fixture(scope="module")
def api_base() -> Iterator[str]:
    """A loopback sandbox (the restricted-key scenario) with the CLI tests' keys declared."""
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    sandbox = Sandbox.demo(scenarios=("restricted-key",))
    declare_keys(sandbox)
    with SandboxServer(sandbox) as server:
        yield server.url
