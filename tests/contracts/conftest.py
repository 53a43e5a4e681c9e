"""The wire record (tests/contracts/wire_recording.py), made once per session: the flows and the
direct requests take a few seconds together."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.wire_recording import WireRecord, record_wire


@pytest.fixture(scope="session")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WireRecord]:
    home = tmp_path_factory.mktemp("wire-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BILLING_TUI_HOME", str(home))
        mp.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
        mp.delenv("STRIPE_API_KEY", raising=False)
        mp.delenv("BILLING_TUI_API_BASE", raising=False)
        yield record_wire(home / "cases")
