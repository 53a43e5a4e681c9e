"""The wire record (tests/contracts/wire_recording.py), made once per session: the flows and the
direct requests take several seconds together."""

from __future__ import annotations

import pytest

from tests.contracts.wire_recording import WireRecord, record_wire


@pytest.fixture(scope="session")
def wire(tmp_path_factory: pytest.TempPathFactory) -> WireRecord:
    """Recorded with its own home, key store and no Stripe key from the shell (the suite's
    per-test isolation is function-scoped; this record is made once)."""
    home = tmp_path_factory.mktemp("wire-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BILLING_TUI_HOME", str(home))
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            mp.setenv(var, str(home / var.lower()))
        mp.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        mp.delenv("STRIPE_API_KEY", raising=False)
        mp.delenv("BILLING_TUI_API_BASE", raising=False)
        return record_wire(home / "cases")
