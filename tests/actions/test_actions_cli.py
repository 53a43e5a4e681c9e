"""`billing-tui triage` and `billing-tui cases` end to end on the sandbox and the case log."""

from __future__ import annotations

import csv
import io
import json

import pytest

from billing_tui.cli.main import main
from billing_tui.core.handoff import SECTION_TITLES
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer
from billing_tui.store.caselog import CaseLog

DANA = "dana.whitfield@example.com"
DEMO = ["--scenarios", "duplicate-checkout", "--now", "2026-11-26T12:00:00Z"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_triage_without_yes_is_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "triage", DANA, *DEMO, "--json")
    assert code == 0
    result = json.loads(out)
    assert result["dry_run"] is True
    assert result["bucket"] == "duplicate_personal"
    assert result["evidence"]
    assert [a["kind"] for a in result["actions"]] == ["cancel_subscription", "refund", "no_op"]
    assert {a["status"] for a in result["actions"]} == {"planned"}
    assert result["handoff"] is None
    (case,) = CaseLog().list()
    assert case.id == result["case_id"]
    assert case.actions == ()
    code, text, _ = run(capsys, "triage", DANA, *DEMO)
    assert "dry run: nothing is sent" in text
    assert "diff: sub_dupcheckoutB.status: active → canceled" in text
    assert "NOT reversible: a refund cannot be undone" in text


def test_triage_yes_executes_and_hands_off_then_cases_reports_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "triage", DANA, *DEMO, "--yes", "--json")
    assert code == 0
    result = json.loads(out)
    actions = result["actions"]
    assert [(a["kind"], a["status"]) for a in actions] == [
        ("cancel_subscription", "succeeded"),
        ("refund", "succeeded"),
        ("no_op", "succeeded"),
    ]
    refund = actions[1]
    assert refund["amount"] == 1900
    assert refund["currency"] == "usd"
    assert refund["stripe_ids"][0].startswith("re_")
    # keyed on the intent (customer, refund of this charge, #1), not on the case
    assert refund["idempotency_key"].startswith("btui-refund-ch_dupcheckoutB001-1-")
    assert result["case_id"] not in refund["idempotency_key"]
    assert [line for line in result["handoff"].splitlines() if line in SECTION_TITLES] == list(
        SECTION_TITLES
    )
    case_id = result["case_id"]

    code, out, _ = run(capsys, "cases", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [c["id"] for c in listed] == [case_id]
    code, out, _ = run(capsys, "cases", "list", "--bucket", "team_intent")
    assert out.strip() == "no cases matching the filters"
    code, out, _ = run(capsys, "cases", "list")
    assert case_id in out
    assert "3 succeeded" in out

    code, out, _ = run(capsys, "cases", "show", case_id)
    assert code == 0
    assert refund["idempotency_key"] in out
    assert refund["stripe_ids"][0] in out
    assert "bucket duplicate_personal (confirmed" in out

    code, out, _ = run(capsys, "cases", "handoff", case_id)
    assert code == 0
    assert [line for line in out.splitlines() if line in SECTION_TITLES] == list(SECTION_TITLES)
    assert refund["stripe_ids"][0] in out
    assert "Hi Dana," in out

    code, out, _ = run(capsys, "cases", "export", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 2
    assert case_id in rows[1]
    code, out, _ = run(capsys, "cases", "export", "--format", "json", "--since", "2020-01-01")
    assert json.loads(out)[0]["id"] == case_id

    # the same triage again reuses the open case and refunds nothing twice
    code, out, _ = run(capsys, "triage", DANA, *DEMO, "--yes", "--json")
    again = json.loads(out)
    assert again["case_id"] == case_id


def test_triage_usage_errors_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "triage", DANA, *DEMO, "--bucket", "team_intent")
    assert code == 2
    assert "--bucket team_intent overrides the suggestion (duplicate_personal)" in err
    assert "--reason" in err
    code, _, err = run(capsys, "triage", DANA, *DEMO, "--answer", "q_team")
    assert code == 2
    assert "write it as QUESTION=VALUE" in err
    code, _, err = run(capsys, "triage", DANA, *DEMO, "--action", "retry_invoice_payment")
    assert code == 2
    assert "no such plan for this case" in err
    code, _, err = run(capsys, "triage", "nobody@example.com", *DEMO)
    assert code == 2
    assert "n***@example.com" in err  # errors mask emails too
    code, _, err = run(capsys, "cases", "show", "case-202611-01-k0000000")
    assert code == 2
    assert "No case case-202611-01-k0000000" in err
    code, _, err = run(capsys, "cases", "handoff", "case-nonsense")
    assert code == 2
    assert "is not a case id" in err


def test_triage_runs_only_the_named_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "triage", DANA, *DEMO, "--action", "cancel_at_period_end", "--yes", "--json"
    )
    assert code == 0
    (action,) = json.loads(out)["actions"]
    assert action["kind"] == "cancel_subscription"
    assert action["params"]["mode"] == "at_period_end"
    assert action["status"] == "succeeded"


def test_a_live_key_needs_live_as_well_as_yes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    live_key = "sk_live_sandboxonly0001"
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    sandbox.state.keys.declared[live_key] = None
    monkeypatch.setenv("STRIPE_API_KEY", live_key)
    with SandboxServer(sandbox) as server:
        code, _, err = run(capsys, "triage", DANA, "--api-base", server.url, "--yes")
        assert code == 2
        assert "LIVE key" in err
        assert "--live" in err
        assert live_key not in err
        assert not list(sandbox.state.all("refund"))
        code, out, _ = run(
            capsys, "triage", DANA, "--api-base", server.url, "--yes", "--live", "--json"
        )
        assert code == 0
        result = json.loads(out)
        assert result["mode"] == "live"
        assert [a["status"] for a in result["actions"]] == ["succeeded"] * 3
        assert len(list(sandbox.state.all("refund"))) == 1


def test_a_partial_refund_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "triage",
        DANA,
        *DEMO,
        "--action",
        "refund",
        "--refund-amount",
        "9.50",
        "--yes",
        "--json",
    )
    assert code == 0
    (refund,) = json.loads(out)["actions"]
    assert refund["amount"] == 950
    assert refund["status"] == "succeeded"
    code, _, err = run(capsys, "triage", DANA, *DEMO, "--refund-amount", "9.999")
    assert code == 2
    assert "USD amounts have at most 2 decimals" in err


def _classified(classification: dict[str, object]) -> str:
    log = CaseLog()
    case = log.open_case(
        operator="old",
        query="old@example.com",
        customer_ids=("cus_old",),
        masked_email="o***@example.com",
        livemode=False,
        anomaly_codes=(),
    )
    log.update(case.id, classification=classification)
    return case.id


@pytest.mark.parametrize(
    ("classification", "expected"),
    [
        # today's record, written by DecisionRecord.to_json
        (
            {
                "suggested": "duplicate_personal",
                "bucket": "duplicate_personal",
                "confirmed": True,
                "confidence": 0.75,
                "override_reason": None,
                "answers": {},
                "evidence": [],
                "contract_confirmed": None,
            },
            [
                "bucket duplicate_personal (confirmed; suggested duplicate_personal, "
                "confidence 0.75)"
            ],
        ),
        # an old record: a bucket name that is no longer a bucket, no confidence at all
        (
            {
                "bucket": "duplicate_charge",
                "suggested": "duplicate_charge",
                "confirmed": True,
                "override_reason": "old bucket name",
                "answers": {"q_team": "no", "seats": 3},
            },
            [
                "bucket duplicate_charge (confirmed; suggested duplicate_charge, confidence 0)",
                "override reason: old bucket name",
                "answers: q_team=no, seats=3",
            ],
        ),
        (
            {"suggested": "team_intent", "confirmed": False},
            ["bucket — (not confirmed; suggested team_intent, confidence 0)"],
        ),
        (
            {"suggested": "mystery", "bucket": None, "confidence": 0.0, "override_reason": ""},
            ["bucket — (not confirmed; suggested mystery, confidence 0.0)"],
        ),
        (
            {
                "bucket": "failed_payment",
                "confirmed": True,
                "confidence": 1.0,
                "answers": {"q": True},
            },
            [
                "bucket failed_payment (confirmed; suggested none, confidence 1.0)",
                "answers: q=True",
            ],
        ),
    ],
)
def test_cases_show_prints_old_and_new_decisions_as_recorded(
    capsys: pytest.CaptureFixture[str], classification: dict[str, object], expected: list[str]
) -> None:
    # `cases show` reads the decision through the schema (DecisionRecord) and still prints what
    # older records say: unknown buckets as written, a missing confidence as 0
    case_id = _classified(classification)
    code, out, _ = run(capsys, "cases", "show", case_id)
    assert code == 0
    lines = out.splitlines()
    start = lines.index("anomalies none") + 1
    assert lines[start : start + len(expected)] == expected
    assert lines[start + len(expected)] == "actions: none"
