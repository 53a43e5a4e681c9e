"""Suite-wide isolation: no test touches the real home directory, keyring or network."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Point every per-user directory (data, config, cache) at a fresh temp dir.

    The case log, the config file and caches all resolve through platformdirs, which follows
    the XDG variables on Linux; ``BILLING_TUI_HOME`` overrides them all for the app itself.
    ``STRIPE_API_KEY`` from the developer's shell never leaks into a test.
    """
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir()
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("BILLING_TUI_HOME", str(home / "billing-tui"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("BILLING_TUI_API_BASE", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home
