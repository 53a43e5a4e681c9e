"""Idempotency under faults: over the loopback sandbox, every refund and cancel response is
lost after Stripe applied it; retried, each customer ends with exactly one refund and one
cancellation."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.model import CustomerSnapshot
from billing_tui.core.plans import ActionOutcome, FailureKind, plan_cancel, plan_refund
from billing_tui.core.settings import DEFAULT_SETTINGS
from billing_tui.desk.connection import ConnectionOptions, connect
from billing_tui.desk.session import CaseView, Session
from billing_tui.gateway import Gateway
from billing_tui.gateway.client import build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer
from billing_tui.store.caselog import CaseLog

PAIRS = 50

CONFIRMED = Classification(
    suggested=Bucket.PRODUCT_FAILURE, confidence=1.0, evidence=(), questions=()
).confirm()


def pick_pairs(sandbox: Sandbox) -> list[tuple[str, str, str]]:
    """(customer, active subscription, its paid charge) for ``PAIRS`` generated customers."""
    charges = {}
    for charge in sandbox.state.all("charge"):
        if charge["status"] == "succeeded" and not charge["amount_refunded"]:
            charges.setdefault(charge["customer"], charge["id"])
    pairs = []
    for sub in sandbox.state.all("subscription"):
        customer = sub["customer"]
        if sub["status"] == "active" and customer in charges and customer.startswith("cus_pop"):
            pairs.append((customer, sub["id"], charges.pop(customer)))
    assert len(pairs) >= PAIRS
    return pairs[:PAIRS]


async def snapshot_of(sandbox: Sandbox, pairs: list[tuple[str, str, str]]) -> CustomerSnapshot:
    """The charges and subscriptions to act on, read in-process (fast) from the same state."""
    gateway = Gateway(build_client("sk_test_inprocess1", http_client=sandbox.http_client()))
    subs = await asyncio.gather(*(gateway.retrieve_subscription(s) for _, s, _ in pairs))
    charges = await asyncio.gather(*(gateway.retrieve_charge(c) for _, _, c in pairs))
    return CustomerSnapshot(customers=(), subscriptions=tuple(subs), charges=tuple(charges))


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    """A case-log directory on tmpfs when there is one: this test is about idempotency, and
    500 fsyncs on a disk would dominate its run time (durability has its own tests)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    directory = Path(tempfile.mkdtemp(prefix="btui-actions-", dir=shm))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def test_lost_responses_retried_give_exactly_one_refund_and_one_cancel(
    log_dir: Path,
) -> None:
    sandbox = Sandbox.demo(scenarios=("healthy",), population=80, now=DEFAULT_TEST_NOW)
    pairs = pick_pairs(sandbox)
    settings = replace(DEFAULT_SETTINGS, max_network_retries=1)
    with SandboxServer(sandbox, drop_after_commit=1.0, seed=4) as server:
        connection = connect(ConnectionOptions(api_base=server.url), settings)
        session = Session(connection, CaseLog(log_dir), operator="ops-faults", settings=settings)
        try:
            snap = await snapshot_of(sandbox, pairs)
            view = CaseView(snap, ())
            cases = {
                customer: session.caselog.open_case(
                    operator="ops-faults",
                    query=customer,
                    customer_ids=[customer],
                    masked_email="x***@example.com",
                    livemode=False,
                ).id
                for customer, _, _ in pairs
            }
            work = [
                (cases[customer], plan)
                for customer, sub, charge in pairs
                for plan in (
                    plan_refund(snap, charge, classification=CONFIRMED),
                    plan_cancel(snap, sub, classification=CONFIRMED),
                )
            ]
            assert all(plan.possible for _, plan in work)

            async def run() -> list[ActionOutcome]:
                return list(
                    await asyncio.gather(
                        *(session.execute(case_id, view, plan) for case_id, plan in work)
                    )
                )

            # every response is lost after the sandbox applied the call (and the SDK's own
            # retry with the same key is lost too): nothing is known, so nothing is finished
            lost = await run()
            assert {o.status for o in lost} == {"failed"}
            assert all("outcome is unknown" in o.message for o in lost)
            assert all(o.failure and o.failure.kind == FailureKind.UNCERTAIN for o in lost)
            in_flight = session.caselog.in_flight()
            assert len(in_flight) == 2 * PAIRS
            assert server.injected.get("dropped", 0) >= 2 * PAIRS

            # the network heals: half the cases are retried by the operator (same plan, same
            # key), the rest are settled by reconcile at the next start
            server.set_faults(drop_after_commit=0.0)
            half = {cases[c] for c, _, _ in pairs[: PAIRS // 2]}
            retried = await asyncio.gather(
                *(session.execute(case_id, view, plan) for case_id, plan in work if case_id in half)
            )
            assert {o.status for o in retried} == {"succeeded"}
            messages = await session.reconcile()
            assert len(messages) == PAIRS  # the other half: 25 refunds + 25 cancels
            assert session.caselog.in_flight() == []
        finally:
            await session.aclose()

    for _customer, sub_id, charge_id in pairs:
        refunds = [r for r in sandbox.state.all("refund") if r["charge"] == charge_id]
        assert len(refunds) == 1, f"{charge_id} was refunded {len(refunds)} times"
        charge = sandbox.state.get("charge", charge_id)
        assert charge is not None
        assert charge["amount_refunded"] == charge["amount"]
        subscription = sandbox.state.get("subscription", sub_id)
        assert subscription is not None
        assert subscription["status"] == "canceled"
    records = [session.caselog.get(case_id) for case_id in cases.values()]
    actions = [a for r in records for a in r.actions]
    assert len(actions) == 2 * PAIRS, "a retry reuses the action, it never adds one"
    assert {a.status for a in actions} == {"succeeded"}
    refund_ids = [a.result["stripe_ids"][0] for a in actions if a.kind == "refund"]
    assert len(set(refund_ids)) == PAIRS
