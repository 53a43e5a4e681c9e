"""The Session: the case log record, live-mode confirmation, restricted keys, crash recovery."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.plans import (
    ActionKind,
    Failure,
    FailureKind,
    Plan,
    intent_of,
    metadata_for,
    plan_portal,
)
from billing_tui.desk.connection import Connection, ConnectionInfo
from billing_tui.desk.intents import recorded_params
from billing_tui.desk.records import OutcomeRecord, handoff_from_record
from billing_tui.desk.session import CaseView, Session
from billing_tui.gateway.client import build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.store.caselog import CaseLog
from tests.demo import demo_session

#: Obviously fake keys declared on the sandbox for these tests (a declared live key makes
#: the sandbox answer in live mode; the restricted one may read everything, write nothing).
LIVE_KEY = "sk_live_sandboxonly0001"
READONLY_KEY = "rk_test_sandboxreadonly0001"
READ_PERMISSIONS = frozenset(
    f"rak_{r}_read"
    for r in (
        "customer",
        "subscription",
        "invoice",
        "charge",
        "refund",
        "dispute",
        "payment_intent",
        "payment_method",
        "price",
        "product",
        "billing_portal_configuration",
    )
)
DANA = "dana.whitfield@example.com"


def keyed_session(tmp_path: Path, key: str, mode: str) -> Session:
    """A session on a sandbox that declares its keys, using one of them."""
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    sandbox.state.keys.declared[LIVE_KEY] = None
    sandbox.state.keys.declared[READONLY_KEY] = READ_PERMISSIONS
    client = build_client(key, http_client=sandbox.http_client())
    hint = f"{key[:8]}…{key[-4:]}"
    info = ConnectionInfo(mode=mode, key_hint=hint, key_source="test")  # type: ignore[arg-type]
    return Session(Connection(client, info, sandbox), CaseLog(tmp_path), operator="ops-anna")


async def open_dupe(session: Session) -> tuple[CaseView, str, tuple[Plan, ...]]:
    resolution = await session.lookup(DANA)
    view = await session.load(resolution.customer_ids)
    case = await session.open_case(DANA, view)
    decided = session.suggest(view).confirm()
    await session.record_classification(case.id, decided)
    return view, case.id, session.plans(view, decided)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Session]:
    session = demo_session(tmp_path, scenarios=("duplicate-checkout",))
    yield session
    await session.aclose()


async def test_a_case_records_every_step(demo: Session) -> None:
    view, case_id, plans = await open_dupe(demo)
    record = await demo.case(case_id)
    assert record.queries == ("d***@example.com",)  # the searched address, masked
    assert record.customer_ids == ("cus_dupcheckout1",)
    assert record.masked_email == "d***@example.com"
    assert "duplicate_subscription" in record.anomaly_codes
    assert record.operator == "demo-operator"
    assert record.classification is not None
    assert record.classification["bucket"] == "duplicate_personal"
    assert record.classification["evidence"]
    # looking the same customer up again reuses the open case and adds the query
    again = await demo.open_case("cus_dupcheckout1", view)
    assert again.id == case_id
    assert again.queries == ("d***@example.com", "cus_dupcheckout1")
    cancel = plans[0]
    await demo.execute(case_id, view, cancel)
    handoff = await demo.handoff(case_id, await demo.refresh(view))
    await demo.save_follow_up(case_id, "Hi Dana, sorted: one subscription left.")
    edited = await demo.handoff(case_id, view)
    assert edited.follow_up == "Hi Dana, sorted: one subscription left."
    assert handoff.follow_up != edited.follow_up
    # a later session (another process) keeps the saved text; regenerating replaces it
    later = Session(demo.connection, CaseLog(demo.caselog.directory), operator="someone-else")
    assert (await later.handoff(case_id, view)).follow_up == edited.follow_up
    assert (await later.handoff(case_id, view, regenerate=True)).follow_up == handoff.follow_up
    await demo.save_follow_up(case_id, "Hi Dana, sorted: one subscription left.")
    resolved = await demo.resolve_case(case_id)
    assert resolved.status == "resolved"
    assert [c.id for c in await demo.cases(status="resolved")] == [case_id]
    # the record alone renders the handoff (for `cases handoff`), with no Stripe call
    offline = handoff_from_record(await demo.case(case_id))
    assert [t for t, _ in offline.sections] == [t for t, _ in handoff.sections]
    assert "sub_dupcheckoutB" in offline.section("ACTION TAKEN")
    assert offline.section("FOLLOW-UP") == "Hi Dana, sorted: one subscription left."
    assert offline.section("DECISION").startswith("duplicate_personal (confirmed)")


async def test_an_override_needs_a_reason_and_is_recorded(demo: Session) -> None:
    resolution = await demo.lookup(DANA)
    view = await demo.load(resolution.customer_ids)
    case = await demo.open_case(DANA, view)
    suggestion = demo.suggest(view, Answers().with_answer("q_complaint", "charged_twice"))
    with pytest.raises(ValueError, match="needs a reason"):
        suggestion.confirm(Bucket.PRODUCT_FAILURE)
    overridden = suggestion.confirm(Bucket.PRODUCT_FAILURE, "customer says the app was down")
    await demo.record_classification(case.id, overridden)
    stored = (await demo.case(case.id)).classification or {}
    assert stored["bucket"] == "product_failure"
    assert stored["suggested"] == "duplicate_personal"
    assert stored["override_reason"] == "customer says the app was down"
    decision = handoff_from_record(await demo.case(case.id)).section("DECISION")
    assert "override of the suggestion duplicate_personal: customer says the app was down" in (
        decision
    )


async def test_live_money_moves_need_the_typed_phrase(tmp_path: Path) -> None:
    session = keyed_session(tmp_path, LIVE_KEY, "live")
    try:
        view, case_id, plans = await open_dupe(session)
        refund = next(p for p in plans if p.kind == ActionKind.REFUND)
        assert refund.confirm_phrase == "19.00"
        cancel = next(p for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION)
        assert cancel.confirm_phrase == "sub_dupcheckoutB"
        for wrong in (None, "", "19", "$19.00"):
            outcome = await session.execute(case_id, view, refund, confirmation=wrong)
            assert outcome.status == "skipped"
            assert "type 19.00 to confirm" in outcome.message
            assert outcome.failure == Failure(FailureKind.REFUSED, outcome.message)
        assert (await session.case(case_id)).actions == ()
        assert session.connection.sandbox is not None
        assert not list(session.connection.sandbox.state.all("refund"))
        done = await session.execute(case_id, view, refund, confirmation="19.00")
        assert done.status == "succeeded"
        assert done.failure is None
        assert done.stripe_ids[0].startswith("re_")
    finally:
        await session.aclose()


async def test_a_read_only_key_fails_cleanly_and_names_the_permission(tmp_path: Path) -> None:
    session = keyed_session(tmp_path, READONLY_KEY, "test")
    try:
        view, case_id, plans = await open_dupe(session)
        refund = next(p for p in plans if p.kind == ActionKind.REFUND)
        outcome = await session.execute(case_id, view, refund)
        assert outcome.status == "failed"
        assert "rak_refund_write" in outcome.message
        (action,) = (await session.case(case_id)).actions
        assert action.status == "failed"
        assert "rak_refund_write" in action.result["error"]
        assert READONLY_KEY not in str(action.result)
        # the typed failure is in the case log too, and reads back as the outcome had it
        assert OutcomeRecord.from_json(action.result).failure == outcome.failure
        assert outcome.failure is not None
        assert outcome.failure.permission == "rak_refund_write"
    finally:
        await session.aclose()


async def test_reconcile_settles_actions_a_crash_left_behind(demo: Session) -> None:
    view, case_id, plans = await open_dupe(demo)
    log, sandbox = demo.caselog, demo.connection.sandbox
    assert sandbox is not None
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    cancel = next(p for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION)
    # 1. the refund was sent (Stripe applied it) but the app died before recording the result
    intent = intent_of(refund)
    key = intent.key
    sent = log.plan_action(
        case_id,
        kind="refund",
        params=recorded_params(refund.param_map, intent),
        idempotency_key=key,
        operator="demo-operator",
    )
    log.mark_in_flight(case_id, sent.id)
    first = await demo.gateway.create_refund(
        "ch_dupcheckoutB001",
        amount=1900,
        reason="duplicate",
        metadata=metadata_for(
            case_id, "demo-operator", "refund", tag=intent.tag, key=key, action_id=sent.id
        ),
        idempotency_key=key,
    )
    # 2. the cancel (a DELETE, no key) went through, result lost
    cintent = intent_of(cancel)
    ckey = cintent.key
    gone = log.plan_action(
        case_id,
        kind="cancel_subscription",
        params=recorded_params(cancel.param_map, cintent),
        idempotency_key=ckey,
        operator="demo-operator",
    )
    log.mark_in_flight(case_id, gone.id)
    await demo.gateway.cancel_subscription("sub_dupcheckoutB")
    # 3. a plan written but never sent
    note_key = "btui-never-sent"
    log.plan_action(
        case_id,
        kind="portal_session",
        params={"customer": "cus_dupcheckout1"},
        idempotency_key=note_key,
        operator="demo-operator",
    )
    in_flight = await demo.in_flight_actions()
    assert [(record.id, action.kind) for record, action in in_flight] == [
        (case_id, "refund"),
        (case_id, "cancel_subscription"),
    ]
    messages = await demo.reconcile()
    assert len(messages) == 3
    assert await demo.in_flight_actions() == ()
    # what the lost calls did is read back from Stripe: the tagged refund, the canceled sub
    assert any(f"found in Stripe: {first.obj.id}" in m for m in messages)
    assert any("sub_dupcheckoutB is already canceled" in m for m in messages)
    assert any("interrupted before it was sent" in m for m in messages)
    refunds = [r for r in sandbox.state.all("refund") if r["charge"] == "ch_dupcheckoutB001"]
    assert len(refunds) == 1, "the re-send was replayed, not applied twice"
    statuses = {a.kind: a.status for a in (await demo.case(case_id)).actions}
    assert statuses == {
        "refund": "succeeded",
        "cancel_subscription": "succeeded",
        "portal_session": "failed",
    }
    assert await demo.reconcile() == []
    # executing the refund plan now returns the recorded result without a call
    replay = await demo.execute(case_id, view, refund)
    assert replay.replayed
    assert replay.stripe_ids == (first.obj.id,)


async def test_a_fresh_refund_waits_for_one_without_a_result(demo: Session) -> None:
    view, case_id, plans = await open_dupe(demo)
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    intent = intent_of(refund)
    key = intent.key
    stuck = demo.caselog.plan_action(
        case_id,
        kind="refund",
        params=recorded_params(refund.param_map, intent),
        idempotency_key=key,
        operator="demo-operator",
    )
    demo.caselog.mark_in_flight(case_id, stuck.id)
    partial = demo.refund_amount(view, demo.suggest(view).confirm(), refund, "5.00")
    outcome = await demo.execute(case_id, view, partial)
    assert outcome.status == "skipped"
    assert f"an earlier refund of ch_dupcheckoutB001 ({stuck.id}) has no recorded result" in (
        outcome.message
    )
    assert demo.connection.sandbox is not None
    assert not list(demo.connection.sandbox.state.all("refund"))


async def test_each_portal_link_is_a_new_session(demo: Session) -> None:
    view, case_id, _plans = await open_dupe(demo)
    plan = plan_portal(view.snapshot, "cus_dupcheckout1", return_url="https://example.com/a")
    first = await demo.execute(case_id, view, plan)
    second = await demo.execute(case_id, view, plan)
    assert first.status == second.status == "succeeded"
    assert first.stripe_ids != second.stripe_ids
    assert second.url
    assert second.url != first.url


# --------------------------------------------------------------------------- no emulator


@pytest.mark.parametrize("module", ["billing_tui.desk.session", "billing_tui.app"])
def test_a_live_session_loads_no_emulator(module: str) -> None:
    """Importing the session (or the App) loads no ``billing_tui.sandbox`` module: only the
    demo path imports the emulator, lazily."""
    code = (
        f"import sys, {module}; "
        "print(','.join(sorted(m for m in sys.modules if m.startswith('billing_tui.sandbox'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


async def test_demo_tickets_come_from_the_connection(demo: Session) -> None:
    (ticket,) = demo.demo_tickets()
    assert ticket.identifier == DANA
    assert demo.connection.scenarios()[0].name == "duplicate-checkout"
