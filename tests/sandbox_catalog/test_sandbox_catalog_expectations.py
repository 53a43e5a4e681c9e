"""Each scenario's recorded anomalies are exactly what docs/anomalies.md's definitions raise."""

from __future__ import annotations

import re

import pytest

from billing_tui.sandbox import catalog
from billing_tui.sandbox.state import SandboxState
from tests.sandbox_catalog.sandbox_catalog_oracle import detect

INFOS = {info.name: info for info in catalog.list_scenarios()}


@pytest.mark.parametrize("name", sorted(INFOS))
def test_expected_anomalies_are_exactly_the_documented_ones(name: str, state: SandboxState) -> None:
    [info] = catalog.load(state, [name])
    raised = detect(state, info.customer_ids)
    assert sorted(raised) == sorted(info.anomalies), info.notes


@pytest.mark.parametrize("name", sorted(INFOS))
def test_expectations_hold_inside_all_and_at_another_now(
    name: str, loaded_later: SandboxState
) -> None:
    """Other scenarios' objects (e.g. an extra portal configuration) and the date the demo runs
    on do not change what a scenario shows."""
    info = loaded_later.scenarios[name]
    assert sorted(detect(loaded_later, info.customer_ids)) == sorted(info.anomalies)


def test_identifiers_find_the_scenario_customers(loaded_all: SandboxState) -> None:
    """The identifier an operator types matches the scenario's customers (email, case-
    insensitively, or the GitHub metadata), and no other scenario's customer."""
    for info in loaded_all.scenarios.values():
        wanted = info.identifier.strip().lower()
        hits = {
            c["id"]
            for c in loaded_all.all("customer")
            if (c["email"] or "").lower() == wanted
            or c["metadata"].get("github", "").lower() == wanted.removeprefix("@")
            or c["id"] == info.identifier
        }
        assert hits, info.name
        assert hits <= set(info.customer_ids), info.name


def test_large_account_has_the_advertised_size(state: SandboxState) -> None:
    [info] = catalog.load(state, ["large-account"])
    [cid] = info.customer_ids
    subs = [s for s in state.all("subscription") if s["customer"] == cid]
    invoices = [i for i in state.all("invoice") if i["customer"] == cid]
    assert len(subs) == 40
    assert len(invoices) == 600
    first = min(i["created"] for i in invoices)
    assert state.now() - first > 4.9 * 365 * 86400
    assert {s["status"] for s in subs} == {"active", "canceled"}
    assert all(s["cancellation_details"]["reason"] for s in subs if s["status"] == "canceled")


def test_jpy_amounts_are_zero_decimal(state: SandboxState) -> None:
    catalog.load(state, ["jpy-customer"])
    charge = state.get("charge", "ch_jpyB001")
    assert charge is not None
    assert (charge["amount"], charge["currency"]) == (2800, "jpy")


def test_ids_named_in_the_notes_exist(loaded_later: SandboxState) -> None:
    """Notes (and the README) name objects by id; a renamed object must not leave them stale."""
    prefixes = "cus|sub|in|ch|pi|re|dp|pm|bpc|inpay|si|price|prod"
    for info in loaded_later.scenarios.values():
        if not isinstance(info, catalog.ScenarioInfo):
            continue
        for obj_id in re.findall(rf"\b(?:{prefixes})_[A-Za-z0-9]+\b", info.notes + info.ticket):
            assert loaded_later.find(obj_id) is not None, f"{info.name}: {obj_id}"
