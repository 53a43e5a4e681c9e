"""Fixtures for the case-log tests: a log in a temp dir with a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from billing_tui.store.caselog import CaseLog


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "cases"


@pytest.fixture
def caselog(log_dir: Path, clock: Clock) -> CaseLog:
    return CaseLog(log_dir, clock=clock)
