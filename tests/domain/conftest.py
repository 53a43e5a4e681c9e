"""Fixtures for the domain tests; the model-object factories live in ``domain_builders``."""

from __future__ import annotations

import pytest

from billing_tui.core.settings import Settings


@pytest.fixture
def tight_settings() -> Settings:
    """Thresholds far from the defaults, to prove detectors read Settings, not constants."""
    return Settings(
        duplicate_window_seconds=60,
        double_charge_window_seconds=30 * 60,
        proration_lookback_days=2,
        trial_warning_days=2,
        recent_days=3,
    )
