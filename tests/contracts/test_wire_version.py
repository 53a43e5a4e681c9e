"""The contract is Stripe's schema for one API version: the one the sandbox speaks and the
installed stripe SDK pins. An SDK upgrade that moves the pin fails here until the schema file
is regenerated for the new version (see the stripe-reference README)."""

from __future__ import annotations

import stripe

from billing_tui.sandbox import engine
from tests.contracts.wire_schema import SCHEMA_API_VERSION, document, sdk_pin_problem


def test_the_schema_file_is_for_the_contracts_api_version() -> None:
    assert document()["meta"]["api_version"] == SCHEMA_API_VERSION == "2026-10-28.endive"


def test_the_installed_stripe_sdk_pins_the_schemas_api_version() -> None:
    assert sdk_pin_problem(stripe.api_version, stripe.VERSION) is None


def test_an_sdk_pinning_another_version_is_refused_with_the_way_out() -> None:
    problem = sdk_pin_problem("2027-03-31.fig", "17.0.0")
    assert problem is not None
    assert "2027-03-31.fig" in problem
    assert SCHEMA_API_VERSION in problem
    assert "regenerate stripe-sdk-schema.json" in problem


def test_the_sandbox_speaks_the_schemas_api_version() -> None:
    assert engine.API_VERSION == SCHEMA_API_VERSION
