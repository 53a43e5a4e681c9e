"""The case log's API: cases, write-ahead actions, listing, export, redaction."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from billing_tui.store.caselog import (
    SCHEMA_VERSION,
    CaseLog,
    CaseLogError,
    CaseNotFound,
    parse_case_id,
)


def _open(log: CaseLog, customer: str = "cus_A", query: str = "jane@example.com") -> str:
    return log.open_case(
        operator="ana",
        query=query,
        customer_ids=[customer],
        masked_email="j***@example.com",
        livemode=False,
        anomaly_codes=["duplicate_subscription"],
    ).id


def test_open_case_is_stored_and_read_back(caselog: CaseLog, log_dir: Path) -> None:
    case = caselog.open_case(
        operator="ana",
        query="jane@example.com",
        customer_ids=["cus_A", "cus_B"],
        masked_email="j***@example.com",
        livemode=True,
        anomaly_codes=["duplicate_subscription", "multiple_customers_for_email"],
    )
    assert parse_case_id(case.id) == (2026, 11, 1)
    again = CaseLog(log_dir).get(case.id)
    assert again == case
    assert again.status == "open"
    assert again.queries == ("j***@example.com",)  # the searched address is kept masked
    assert again.customer_ids == ("cus_A", "cus_B")
    assert again.livemode is True
    assert again.opened_at.tzinfo is not None


def test_files_are_private_and_versioned(caselog: CaseLog, log_dir: Path) -> None:
    _open(caselog)
    assert caselog.find_open(["cus_A"]) is not None  # builds the open-case index
    assert stat.S_IMODE(os.stat(log_dir).st_mode) == 0o700
    files = [p for p in log_dir.iterdir() if p.name.endswith(".json")]
    assert {p.name for p in files} == {"cases-2026-11-01.json", "open-cases.json"}
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_update_changes_allowed_fields_only(caselog: CaseLog) -> None:
    case_id = _open(caselog)
    before = caselog.get(case_id)
    classification = {
        "suggested": "duplicate_personal",
        "bucket": "duplicate_personal",
        "confidence": 0.9,
        "evidence": ["2 subscriptions to Pro Monthly created 94 s apart"],
        "answers": {"meant_several_seats": False},
        "override_reason": None,
        "contract_confirmed": True,
    }
    after = caselog.update(case_id, classification=classification, follow_up="Hi Jane")
    assert after.bucket == "duplicate_personal"
    assert after.classification == classification
    assert after.updated_at > before.updated_at
    assert caselog.get(case_id) == after
    with pytest.raises(CaseLogError, match="Cannot update actions"):
        caselog.update(case_id, actions=())
    with pytest.raises(CaseLogError, match="'open' or 'resolved'"):
        caselog.update(case_id, status="closed")


def test_unknown_and_malformed_ids(caselog: CaseLog) -> None:
    with pytest.raises(CaseNotFound, match="not a case id"):
        caselog.get("cus_123")
    with pytest.raises(CaseNotFound, match="No case"):
        caselog.get("case-202611-01-a0000000")


def test_action_lifecycle_is_write_ahead(caselog: CaseLog, log_dir: Path) -> None:
    case_id = _open(caselog)
    action = caselog.plan_action(
        case_id,
        kind="refund",
        params={"charge": "ch_2", "amount": 1500, "currency": "usd"},
        idempotency_key="bt-refund-abc",
        operator="ana",
    )
    # Durable before the call: a new process sees the planned action with its key.
    stored = CaseLog(log_dir).get(case_id).action(action.id)
    assert stored.status == "planned"
    assert stored.idempotency_key == "bt-refund-abc"
    assert stored.params == {"charge": "ch_2", "amount": "1500", "currency": "usd"}
    assert CaseLog(log_dir).in_flight() == []
    assert [a.id for _, a in CaseLog(log_dir).in_flight(include_planned=True)] == [action.id]

    caselog.mark_in_flight(case_id, action.id)
    pending = CaseLog(log_dir).in_flight()
    assert [(c.id, a.id, a.status) for c, a in pending] == [(case_id, action.id, "in_flight")]

    done = caselog.finish_action(
        case_id, action.id, status="succeeded", result={"refund": "re_1", "request_id": "req_9"}
    )
    assert done.status == "succeeded"
    assert done.result == {"refund": "re_1", "request_id": "req_9"}
    assert CaseLog(log_dir).in_flight(include_planned=True) == []
    with pytest.raises(CaseLogError, match="already succeeded"):
        caselog.finish_action(case_id, action.id, status="failed", result={})


def test_planning_again_with_the_same_key_reuses_the_action(caselog: CaseLog) -> None:
    case_id = _open(caselog)
    first = caselog.plan_action(
        case_id,
        kind="cancel_subscription",
        params={"subscription": "sub_2"},
        idempotency_key="k-1",
        operator="ana",
    )
    second = caselog.plan_action(
        case_id,
        kind="cancel_subscription",
        params={"subscription": "sub_2"},
        idempotency_key="k-1",
        operator="ana",
    )
    assert second == first
    assert len(caselog.get(case_id).actions) == 1


def test_find_open_prefers_the_same_customers_and_skips_resolved(caselog: CaseLog) -> None:
    a = _open(caselog, "cus_A")
    b = caselog.open_case(
        operator="ana",
        query="x",
        customer_ids=["cus_A", "cus_B"],
        masked_email="",
        livemode=False,
    ).id
    found = caselog.find_open(["cus_A"])
    assert found is not None
    assert found.id == a
    found = caselog.find_open(["cus_B", "cus_A"])
    assert found is not None
    assert found.id == b
    caselog.update(a, status="resolved")
    found = caselog.find_open(["cus_A"])
    assert found is not None
    assert found.id == b
    assert caselog.find_open(["cus_Z"]) is None
    caselog.update(a, status="open")
    found = caselog.find_open(["cus_A"])
    assert found is not None
    assert found.id == a


def test_list_is_open_first_then_newest_and_filters(caselog: CaseLog) -> None:
    first = _open(caselog, "cus_1", "one@example.com")
    second = _open(caselog, "cus_2", "two@example.com")
    third = _open(caselog, "cus_3", "three@example.com")
    caselog.update(third, status="resolved", classification={"bucket": "team_intent"})
    caselog.update(first, classification={"suggested": "failed_payment"})
    assert [c.id for c in caselog.list()] == [second, first, third]
    assert [c.id for c in caselog.list(status="resolved")] == [third]
    assert [c.id for c in caselog.list(bucket="failed_payment")] == [first]
    # the log keeps only masked addresses: a full one finds the cases of its masked form
    assert [c.id for c in caselog.list(search="One@Example.com")] == [first]
    assert {c.id for c in caselog.list(search="two@example.com")} == {second, third}
    assert caselog.list(search="two@") == []
    assert [c.id for c in caselog.list(search="cus_3")] == [third]


def test_export_csv_and_json(caselog: CaseLog, clock: object) -> None:
    case_id = _open(caselog)
    action = caselog.plan_action(
        case_id,
        kind="refund",
        params={"charge": "ch_1", "amount": "1500", "currency": "usd"},
        idempotency_key="k",
        operator="ana",
    )
    caselog.finish_action(case_id, action.id, status="succeeded", result={"refund_id": "re_7"})
    caselog.update(case_id, classification={"bucket": "duplicate_personal"})
    rows = list(csv.DictReader(io.StringIO(caselog.export(fmt="csv"))))
    assert len(rows) == 1
    assert rows[0]["case_id"] == case_id
    assert rows[0]["bucket"] == "duplicate_personal"
    assert rows[0]["actions"] == "refund:succeeded"
    assert rows[0]["amounts"] == "refund:1500 usd"
    assert rows[0]["stripe_ids"] == "re_7"
    assert rows[0]["operator"] == "ana"
    data = json.loads(caselog.export(fmt="json"))
    assert [c["id"] for c in data] == [case_id]
    assert caselog.export(since=date(2026, 11, 27), fmt="json").strip() == "[]"
    assert len(json.loads(caselog.export(since=date(2026, 11, 26), fmt="json"))) == 1


def test_secrets_and_card_numbers_never_reach_the_file(caselog: CaseLog, log_dir: Path) -> None:
    case_id = _open(caselog, query="4242 4242 4242 4242")
    action = caselog.plan_action(
        case_id,
        kind="refund",
        params={"note": "key sk_live_ABCDEFGH_IJKLMNOPQRSTuvwx"},
        idempotency_key="k-4000056655665556",
        operator="ana",
    )
    caselog.finish_action(
        case_id,
        action.id,
        status="failed",
        result={"error": "Invalid API Key provided: rk_test_ABCDEFGHIJKLMNOP1234"},
    )
    case = caselog.update(
        case_id, follow_up="Card 4000-0566-5566-5556 was charged; order 1234567890123 is fine"
    )
    raw = "".join(p.read_text() for p in log_dir.iterdir() if p.suffix == ".json")
    for secret in (
        "4242 4242 4242 4242",
        "ABCDEFGHIJKLMNOPQRSTuvwx",
        "ABCDEFGHIJKLMNOP1234",
        "4000-0566-5566-5556",
    ):
        assert secret not in raw
    assert "sk_live_…uvwx" in raw
    assert "[card number removed]" in case.follow_up
    assert "1234567890123" in case.follow_up  # not Luhn-valid: not a card number
    # Idempotency keys are kept exactly (changing them would defeat idempotency).
    assert case.actions[0].idempotency_key == "k-4000056655665556"


def test_write_cost_does_not_grow_parts_roll_over(log_dir: Path, clock: object) -> None:
    log = CaseLog(log_dir, clock=clock, part_capacity=3)  # type: ignore[arg-type]
    ids = [_open(log, f"cus_{i}") for i in range(7)]
    assert [parse_case_id(i)[2] for i in ids] == [1, 1, 1, 2, 2, 2, 3]
    assert {p.name for p in log_dir.glob("cases-*.json")} == {
        "cases-2026-11-01.json",
        "cases-2026-11-02.json",
        "cases-2026-11-03.json",
    }
    assert len(log.list()) == 7
    assert all(log.get(i).id == i for i in ids)


def test_case_ids_never_look_like_card_numbers() -> None:
    from billing_tui.store.caselog.records import case_token as _token
    from billing_tui.store.caselog.records import scrub_text as _scrub_text

    for part in (1, 12, 345):
        for _ in range(3000):
            case_id = f"case-202611-{part:02d}-{_token(part)}"
            assert parse_case_id(case_id) == (2026, 11, part)
            text = f"Follow-up for {case_id}, see case {case_id[5:]}"
            assert _scrub_text(text) == text
