"""The case ledger: one typed object for what a case observed, decided, asked for and got.

Written through the real executor and case log, read back by ``desk.records.ledger_of`` (a new
Session over the same directory reads the same ledger), and shown on the action pane.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.model import Money, PartFailure
from billing_tui.core.plans import ActionKind, FailureKind
from billing_tui.core.plans.ledger import (
    CancelIntent,
    NoRefundIntent,
    Observation,
    OutcomeState,
    RefundIntent,
    SeatIntent,
    intent_of,
)
from billing_tui.desk.connection import Connection, ConnectionInfo
from billing_tui.desk.records import ObservationRecord, ledger_of
from billing_tui.desk.session import Session
from billing_tui.gateway import build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.store.caselog import CaseLog
from screens.actions import case_action_line
from tests.actions.test_actions_replan import DUPE, DUPE_CHARGE, open_case
from tests.demo import demo_session

READ_ONLY_KEY = "rk_test_sandboxreadonly01"


async def test_the_ledger_reads_back_every_kind_of_outcome_with_typed_intents(
    tmp_path: Path,
) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    case = await open_case(session, "duplicate-checkout")
    await case.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    await session.record_no_refund(case.case_id, case.view, DUPE_CHARGE, "credit instead")
    # an action whose answer was lost: written ahead, sent, never answered
    log = session.caselog
    pending = log.plan_action(
        case.case_id, kind="refund", params={"charge": DUPE_CHARGE, "amount": "500",
        "currency": "usd", "reason": "duplicate"}, idempotency_key="btui-k", operator="ops",
    )  # fmt: skip
    log.mark_in_flight(case.case_id, pending.id)

    # a second process reads the same ledger from the case log alone
    other = Session(session.connection, CaseLog(tmp_path / "cases"), operator="other")
    ledger = await other.ledger(case.case_id)
    cancel, decision, lost = ledger.entries
    assert cancel.intent == CancelIntent(DUPE, at_period_end=False)
    assert cancel.outcome.state == OutcomeState.SUCCEEDED
    assert cancel.outcome.stripe_ids == (DUPE,)
    assert decision.intent == NoRefundIntent(DUPE_CHARGE, "credit instead")
    assert lost.intent == RefundIntent(DUPE_CHARGE, Money(500, "usd"), "duplicate")
    assert lost.outcome.state == OutcomeState.PENDING
    assert lost.outcome.may_have_happened
    assert ledger.cancelled_subscriptions == (DUPE,)
    assert ledger.refunds_of(DUPE_CHARGE) == (lost,)
    # observed and decided
    assert ledger.observed is not None
    assert ledger.observed.customer_ids == case.view.customer_ids
    # the latest observation (re-planned after the cancel): the double charge is still there,
    # the duplicate subscription is not live any more
    assert ledger.observed.anomaly_codes == ("double_charge",)
    assert ledger.observed.complete
    assert ledger.decided is not None
    assert ledger.decided.final == Bucket.DUPLICATE_PERSONAL
    # the stored shape is the code's own schema: explicit fields, plain JSON
    stored = json.loads(json.dumps((await other.case(case.case_id)).to_json()))
    assert set(stored["observed"]) == {
        "loaded_at", "customer_ids", "anomaly_codes", "complete", "failures", "owed_refunds",
    }  # fmt: skip
    await session.aclose()


async def test_a_refused_refund_is_a_failed_entry_with_the_missing_permission(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox.demo(scenarios=("restricted-key",), now=DEFAULT_TEST_NOW)
    client = build_client(READ_ONLY_KEY, http_client=sandbox.http_client())
    info = ConnectionInfo(mode="test", key_hint="rk_test_…ly01", key_source="test")
    session = Session(Connection(client, info, sandbox), CaseLog(tmp_path), operator="op")
    try:
        view = await session.load((await session.lookup("ilse.janssens@example.com")).customer_ids)
        case = await session.open_case("ilse", view)
        answers = Answers().with_answer("q_complaint", "product_broken")
        decided = session.suggest(view, answers).confirm(Bucket.PRODUCT_FAILURE, "outage")
        refund = next(p for p in session.plans(view, decided) if p.kind == ActionKind.REFUND)
        await session.execute(case.id, view, refund)
        (entry,) = ledger_of(await session.case(case.id)).failed
        assert entry.outcome.state == OutcomeState.FAILED
        assert entry.outcome.cause == FailureKind.PERMISSION
        assert entry.outcome.failure is not None
        assert entry.outcome.failure.permission == "rak_refund_write"
        line = case_action_line(entry)
        assert line.startswith("[red]✗[/] Refund ")
        assert "failed: " in line
        assert "rak_refund_write" in line
    finally:
        await session.aclose()


def test_an_incomplete_observation_survives_the_case_log_and_says_what_failed() -> None:
    seen = Observation(
        datetime(2026, 11, 26, 12, tzinfo=UTC),
        ("cus_1",),
        ("double_charge",),
        (PartFailure("disputes", "HTTP 500", "cus_1"),),
    )
    assert seen.summary() == "snapshot incomplete: disputes could not be loaded"
    stored = json.loads(json.dumps(ObservationRecord(seen).to_json()))
    assert stored["complete"] is False
    back = ObservationRecord.from_json(stored)
    assert back is not None
    assert back.observation == seen
    assert ObservationRecord.from_json({"loaded_at": "not a date"}) is None


def test_intents_are_typed_from_recorded_parameters() -> None:
    seat = intent_of(
        ActionKind.UPDATE_QUANTITY,
        {"subscription": "sub_T", "quantity": "7", "quantity_before": "5",
         "proration_behavior": "create_prorations", "item": "si_T"},
    )  # fmt: skip
    assert seat == SeatIntent("sub_T", 7, 5, prorate_now=True, item_id="si_T")
    full = intent_of(ActionKind.REFUND, {"charge": "ch_1", "reason": "duplicate"})
    assert full == RefundIntent("ch_1", None, "duplicate")
    assert intent_of(ActionKind.CANCEL_SUBSCRIPTION, {"subscription": "s", "mode": "at_period_end"})
