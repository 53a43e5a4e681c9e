"""The case-record schema (desk/records.py): values round-trip through JSON, records written by
earlier versions (plain dicts, an ``error`` sentence without a typed failure) still read, and a
failed action's typed failure reaches the case log and comes back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from billing_tui.cli.cases import show_lines
from billing_tui.core.classify import Answers, Bucket, Classification, Evidence
from billing_tui.core.contract import ContractCheck, ContractLine
from billing_tui.core.plans import ActionKind, Failure, FailureKind
from billing_tui.desk.records import (
    ContractRecord,
    DecisionRecord,
    OutcomeRecord,
    classification_from_record,
    contract_json,
    decision_json,
    taken_from_record,
)
from billing_tui.store.caselog import ActionRecord, CaseRecord

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
texts = st.text(max_size=20)
some_text = st.text(min_size=1, max_size=20)

evidence = st.builds(
    Evidence,
    st.sampled_from(Bucket),
    texts,
    st.booleans(),
    st.lists(texts, max_size=3).map(tuple),
)
decisions = st.builds(
    DecisionRecord,
    suggested=st.none() | st.sampled_from(Bucket),
    bucket=st.none() | st.sampled_from(Bucket),
    confirmed=st.booleans(),
    confidence=st.floats(min_value=0.0, max_value=1.0),
    override_reason=st.none() | texts,
    answers=st.dictionaries(texts, texts, max_size=4).map(lambda d: tuple(d.items())),
    evidence=st.lists(evidence, max_size=4).map(tuple),
    contract_confirmed=st.none() | st.booleans(),
)
lines = st.builds(
    ContractLine,
    subscription_id=texts,
    price=texts,
    interval=texts,
    quantity=st.integers(min_value=0, max_value=10_000),
    period_start=texts,
    period_end=texts,
    pending_prorations=texts,
)
contracts = st.builds(
    ContractRecord,
    confirmed=st.booleans(),
    reasons=st.lists(texts, max_size=3).map(tuple),
    lines=st.lists(lines, max_size=3).map(tuple),
)
failures = st.builds(
    Failure,
    kind=st.sampled_from(FailureKind),
    message=texts,
    permission=st.none() | some_text,
    param=st.none() | some_text,
    code=st.none() | some_text,
)


@st.composite
def outcomes(draw: st.DrawFn) -> OutcomeRecord:
    failure = draw(st.none() | failures)
    return OutcomeRecord(
        stripe_ids=tuple(draw(st.lists(some_text, max_size=3))),
        request_id=draw(st.none() | some_text),
        message=draw(texts),
        title=draw(texts),
        impact=draw(texts),
        rationale=draw(texts),
        note=draw(texts),
        failure=failure,
        error_type=draw(texts) if failure is not None else "",
    )


def through_the_log(data: object) -> object:
    """What a JSON file gives back (the case log stores plain JSON)."""
    return json.loads(json.dumps(data))


@given(decisions)
def test_a_decision_round_trips(record: DecisionRecord) -> None:
    data = through_the_log(record.to_json())
    assert isinstance(data, dict)
    assert DecisionRecord.from_json(data) == record


@given(contracts)
def test_a_contract_check_round_trips(record: ContractRecord) -> None:
    data = through_the_log(record.to_json())
    assert isinstance(data, dict)
    assert ContractRecord.from_json(data) == record


@given(outcomes())
def test_an_outcome_round_trips(record: OutcomeRecord) -> None:
    data = through_the_log(record.to_json())
    assert isinstance(data, dict)
    assert OutcomeRecord.from_json(data) == record


def classification() -> Classification:
    line = ContractLine(
        "sub_1", "Team Annual ($240.00/year)", "year", 5, "2026-01-01", "2027-01-01", "none"
    )
    return Classification(
        suggested=Bucket.TEAM_INTENT,
        confidence=0.8,
        evidence=(Evidence(Bucket.TEAM_INTENT, "5 seats on one plan", True, ("sub_1",)),),
        questions=(),
        answers=Answers(MappingProxyType({"seats": "4"})),
        contract=ContractCheck(reasons=("annual plan",), lines=(line,), confirmed=True),
        bucket=Bucket.TEAM_INTENT,
        confirmed=True,
    )


#: The classification exactly as the code before desk/records.py wrote it.
TODAYS_CLASSIFICATION = {
    "suggested": "team_intent",
    "bucket": "team_intent",
    "confirmed": True,
    "confidence": 0.8,
    "override_reason": None,
    "answers": {"seats": "4"},
    "evidence": [
        {
            "bucket": "team_intent",
            "sentence": "5 seats on one plan",
            "supports": True,
            "refs": ["sub_1"],
        }
    ],
    "contract_confirmed": True,
    "findings": [],
}
TODAYS_CONTRACT = {
    "confirmed": True,
    "reasons": ["annual plan"],
    "lines": [
        {
            "subscription_id": "sub_1",
            "price": "Team Annual ($240.00/year)",
            "interval": "year",
            "quantity": 5,
            "period_start": "2026-01-01",
            "period_end": "2027-01-01",
            "pending_prorations": "none",
        }
    ],
}


def case(**changes: object) -> CaseRecord:
    fields: dict[str, object] = {
        "id": "2026-11-0001",
        "opened_at": NOW,
        "updated_at": NOW,
        "operator": "op",
        "status": "open",
        "queries": ("q",),
        "customer_ids": ("cus_1",),
        "masked_email": "d***@example.com",
    }
    fields.update(changes)
    return CaseRecord(**fields)  # type: ignore[arg-type]


def action(kind: str, status: str, result: dict[str, object], **params: str) -> ActionRecord:
    return ActionRecord(
        id="act-1",
        kind=kind,
        params=params,
        idempotency_key="btui-key",
        status=status,  # type: ignore[arg-type]
        created_at=NOW,
        updated_at=NOW,
        result=result,
        operator="op",
    )


def test_the_decision_is_written_in_todays_shape() -> None:
    assert decision_json(classification()) == TODAYS_CLASSIFICATION
    assert contract_json(classification()) == TODAYS_CONTRACT


def test_a_record_in_todays_shape_reads_back() -> None:
    read = classification_from_record(
        case(classification=TODAYS_CLASSIFICATION, contract=TODAYS_CONTRACT)
    )
    expected = classification()
    assert expected.contract is not None
    # the recorded contract check keeps its reasons and confirmation (as before), not its lines
    assert read == Classification(
        suggested=expected.suggested,
        confidence=expected.confidence,
        evidence=expected.evidence,
        questions=(),
        answers=expected.answers,
        contract=ContractCheck(reasons=expected.contract.reasons, lines=(), confirmed=True),
        bucket=expected.bucket,
        confirmed=True,
    )


def test_an_old_or_odd_record_reads_tolerantly() -> None:
    odd = {
        "suggested": "no_such_bucket",
        "bucket": None,
        "confirmed": True,
        "evidence": [{"bucket": "gone"}, "junk", {"bucket": "failed_payment", "sentence": "x"}],
    }
    read = classification_from_record(case(classification=odd))
    assert read is not None
    assert read.suggested is None
    assert read.confidence == 0.0
    assert not read.confirmed, "a confirmation without a bucket is not a decision"
    assert read.evidence == (Evidence(Bucket.FAILED_PAYMENT, "x", True, ()),)
    assert read.contract is None
    assert classification_from_record(case()) is None


def test_todays_action_results_read_back() -> None:
    done = action(
        "refund",
        "succeeded",
        {
            "stripe_ids": ["re_1"],
            "request_id": "req_1",
            "message": "refunded $19.00 of ch_1 (re_1, succeeded)",
            "title": "Refund $19.00 of ch_1",
            "impact": "refund $19.00",
            "rationale": "refund only the duplicate's charge",
        },
        charge="ch_1",
        amount="1900",
        currency="usd",
        reason="duplicate",
    )
    taken = taken_from_record(done)
    assert taken.kind == ActionKind.REFUND
    assert taken.stripe_ids == ("re_1",)
    assert taken.title == "Refund $19.00 of ch_1"
    assert taken.message == "refunded $19.00 of ch_1 (re_1, succeeded)"
    assert taken.amount is not None
    assert taken.amount.amount == 1900

    sentence = "This key lacks permission rak_refund_write — ask an admin for a key with it."
    failed = action(
        "refund",
        "failed",
        {"error": sentence, "error_type": "PermissionDenied", "request_id": None, "title": "R"},
    )
    result = OutcomeRecord.from_json(failed.result)
    # the kind comes from the recorded exception type; the sentence is never parsed
    assert result.failure == Failure(FailureKind.PERMISSION, sentence)
    assert taken_from_record(failed).message == sentence

    never = action("portal_session", "failed", {"error": "interrupted before the call was sent"})
    assert OutcomeRecord.from_json(never.result).failure == Failure(
        FailureKind.OTHER, "interrupted before the call was sent"
    )
    note = action("no_op", "succeeded", {"note": "Document", "stripe_ids": [], "title": "Doc"})
    assert taken_from_record(note).title == "Doc"
    unknown = action("teleport", "planned", {}, note="beam me up")
    assert taken_from_record(unknown).kind == ActionKind.NO_OP
    assert taken_from_record(unknown).title == "beam me up"


def test_a_failed_result_keeps_the_sentence_where_readers_find_it() -> None:
    failure = Failure(FailureKind.PERMISSION, "no", permission="rak_refund_write")
    data = OutcomeRecord(title="Refund", failure=failure, error_type="PermissionDenied").to_json()
    assert data == {
        "title": "Refund",
        "error": "no",
        "error_type": "PermissionDenied",
        "failure": {"kind": "permission", "permission": "rak_refund_write"},
    }


def test_cases_show_reads_actions_and_the_contract_through_the_schema() -> None:
    # `cases show` reads outcomes and the contract check with OutcomeRecord / ContractRecord
    # (it parsed the raw JSON itself); today's records and ones written before typed failures
    # print alike
    failed_today = OutcomeRecord(
        title="Refund $19.00",
        failure=Failure(
            FailureKind.PERMISSION,
            "This key lacks permission rak_refund_write",
            permission="rak_refund_write",
        ),
        error_type="PermissionDenied",
    ).to_json()
    failed_before = {"error": "This key lacks permission rak_refund_write"}
    done = {"stripe_ids": ["re_1", "sub_1"], "message": "ok"}
    for failed in (failed_today, failed_before):
        record = case(
            contract=TODAYS_CONTRACT,
            actions=(action("refund", "failed", failed), action("note", "succeeded", done)),
        )
        lines = show_lines(record)
        assert "contract shape confirmed: annual plan" in lines
        assert (
            "  act-1 refund failed · — · key btui-key · error: This key lacks permission "
            "rak_refund_write"
        ) in lines
        assert "  act-1 note succeeded · re_1, sub_1 · key btui-key" in lines
