"""Shared fixtures for the scenario catalog, object factories and population tests."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_tui.sandbox import catalog
from billing_tui.sandbox.state import Clock, SandboxState

DEFAULT_NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


@pytest.fixture
def state() -> SandboxState:
    return SandboxState(Clock(DEFAULT_NOW))


@pytest.fixture(scope="session")
def loaded_all() -> SandboxState:
    """Every catalog scenario loaded into one state (read-only for tests)."""
    st = SandboxState(Clock(DEFAULT_NOW))
    catalog.load(st, ["all"])
    return st


#: Another "now": end of February, late evening (short month, day clamping, year change nearby).
LATER_NOW = dt.datetime(2027, 2, 28, 23, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def loaded_later() -> SandboxState:
    """Every scenario (including key-declaring ones) loaded together at :data:`LATER_NOW`."""
    st = SandboxState(Clock(LATER_NOW))
    catalog.load(st, ["all", *(i.name for i in catalog.list_scenarios() if not i.in_all)])
    return st
