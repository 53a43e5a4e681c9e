"""Every catalog scenario, loaded alone into the sandbox, gives exactly its recorded anomalies
and bucket through the real path: gateway.resolve → gateway.snapshot → detect → suggest."""

from __future__ import annotations

import pytest

from billing_tui.core.anomalies import codes, detect
from billing_tui.core.classify import Answers, suggest
from billing_tui.core.model import CustomerSnapshot
from billing_tui.gateway import Gateway
from billing_tui.sandbox import Sandbox, catalog
from billing_tui.sandbox.catalog import ScenarioInfo
from billing_tui.sandbox.engine import DEFAULT_TEST_NOW

SCENARIOS = sorted(catalog.list_scenarios(), key=lambda s: s.name)

#: Scenarios whose billing is healthy and whose ticket is the only evidence: the answer an
#: operator gives to "What does the customer report?" after reading the ticket.
TICKET_ONLY = {
    "product-outage": "product_broken",  # "Your platform was down … I want this month refunded"
    "zh-locale": "product_broken",  # "你们的服务上周宕机了两天 …" (the service was down two days)
    "restricted-key": "product_broken",  # "The product was unusable for three days"
}


async def load(info: ScenarioInfo) -> CustomerSnapshot:
    sandbox = Sandbox.demo(scenarios=[info.name], now=DEFAULT_TEST_NOW)
    # A scenario that declares its keys accepts only those: read with its test-mode one
    # (restricted-key's read-only key can read everything a snapshot needs).
    declared = sorted(sandbox.state.keys.declared)
    key = next((k for k in declared if k.startswith(("sk_test_", "rk_test_"))), None)
    gateway = Gateway(sandbox.stripe_client(key) if key else sandbox.stripe_client())
    resolution = await gateway.resolve(info.identifier)
    return await gateway.snapshot(resolution.customer_ids)


def row_ids(snap: CustomerSnapshot) -> set[str]:
    ids = {c.id for c in snap.customers}
    ids |= {s.id for s in snap.subscriptions} | {i.id for i in snap.invoices}
    ids |= {c.id for c in snap.charges} | {r.id for c in snap.charges for r in c.refunds}
    ids |= {d.id for d in snap.disputes} | {p.id for p in snap.payment_methods}
    if snap.portal is not None:
        ids.add(snap.portal.id)
    return ids


def test_the_ticket_only_mapping_names_real_scenarios() -> None:
    names = {s.name for s in SCENARIOS}
    assert set(TICKET_ONLY) <= names
    assert len(SCENARIOS) >= 15


@pytest.mark.parametrize("info", SCENARIOS, ids=lambda s: s.name)
async def test_scenario_gives_its_recorded_anomalies_and_bucket(info: ScenarioInfo) -> None:
    snap = await load(info)
    assert not snap.failures, snap.failures
    found = detect(snap)
    listing = "\n".join(f"  {a.code} {a.refs}: {a.detail}" for a in found)
    assert codes(found) == set(info.anomalies), f"{info.name} raised:\n{listing}"
    ids = row_ids(snap)
    for anomaly in found:
        assert set(anomaly.refs) <= ids, f"{anomaly.code} points at rows not on screen"

    answers = Answers()
    if info.name in TICKET_ONLY:
        # Healthy billing: without the ticket's answer nothing points at a bucket …
        assert suggest(snap, found).suggested is None
        answers = answers.with_answer("q_complaint", TICKET_ONLY[info.name])
    result = suggest(snap, found, answers)
    assert (result.suggested.value if result.suggested else None) == info.bucket
    if result.suggested is not None:
        support = [e for e in result.evidence_for(result.suggested) if e.supports]
        assert support, "a suggestion always says why"
        for item in support:
            assert set(item.refs) <= ids
