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
