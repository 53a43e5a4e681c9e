"""Test helper: a session on the embedded sandbox with catalog scenarios, logging to a directory.

Lives with the tests (not in ``billing_tui.desk``) so a live session never imports the
emulator; the sandbox is imported here, by the tests only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.desk.connection import ConnectionOptions, connect
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW
from billing_tui.store.caselog import CaseLog


def demo_session(
    data_dir: Path,
    *,
    now: datetime = DEFAULT_TEST_NOW,
    scenarios: Sequence[str] = ("all",),
    operator: str = "demo-operator",
    settings: Settings = DEFAULT_SETTINGS,
) -> Session:
    """A session on the embedded sandbox with the catalog scenarios, logging to ``data_dir``."""
    connection = connect(
        ConnectionOptions(demo=True, scenarios=tuple(scenarios), now=now), settings
    )
    return Session(connection, CaseLog(Path(data_dir)), operator=operator, settings=settings)
