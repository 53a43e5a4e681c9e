"""A case's secondary findings survive the case log: a new Session (the next run, another
terminal) reading the recorded decision still plans and reports the second problem."""

from __future__ import annotations

import json
from pathlib import Path

from billing_tui.core.classify import Bucket
from billing_tui.core.plans import ActionKind
from billing_tui.desk.records import DecisionRecord
from billing_tui.desk.session import Session
from billing_tui.store.caselog import CaseLog
from tests.demo import demo_session
from tests.truth.truth_scenarios import MORE_DIR

SCENARIO = str(MORE_DIR / "duplicate-and-past-due.json")


async def test_a_reloaded_case_keeps_its_secondary_plans_and_lines(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=(SCENARIO,))
    other = Session(session.connection, CaseLog(tmp_path / "cases"), operator="next-run")
    try:
        ids = (await session.lookup("hugo.marchetti@example.com")).customer_ids
        view = await session.load(ids)
        case = await session.open_case("hugo", view)
        await session.record_classification(case.id, session.suggest(view).confirm())

        reloaded = await other.classification(case.id)
        assert reloaded is not None
        assert reloaded.final == Bucket.DUPLICATE_PERSONAL
        assert reloaded.secondary == (Bucket.FAILED_PAYMENT,)
        plans = other.plans(view, reloaded)
        assert (ActionKind.RETRY_INVOICE_PAYMENT, "in_duppastdueK003") in {
            (p.kind, p.target_id) for p in plans
        }
        doc = await other.handoff(case.id, view)
        assert "also: failed_payment" in doc.section("DECISION")
    finally:
        await session.aclose()


def test_a_record_written_before_findings_reads_with_none() -> None:
    old = {"suggested": "duplicate_personal", "bucket": "duplicate_personal", "confirmed": True,
           "confidence": 0.9, "answers": {}, "evidence": []}  # fmt: skip
    decision = DecisionRecord.from_json(old)
    assert decision.findings == ()
    assert decision.to_classification(None).secondary == ()


def test_findings_are_stored_as_bucket_names_and_unknown_ones_are_dropped() -> None:
    decision = DecisionRecord.from_json(
        {
            "bucket": "duplicate_personal",
            "confirmed": True,
            "findings": ["duplicate_personal", "failed_payment", "no_such_bucket"],
        }
    )
    assert decision.findings == (Bucket.DUPLICATE_PERSONAL, Bucket.FAILED_PAYMENT)
    stored = json.loads(json.dumps(decision.to_json()))
    assert stored["findings"] == ["duplicate_personal", "failed_payment"]
    assert DecisionRecord.from_json(stored) == decision
