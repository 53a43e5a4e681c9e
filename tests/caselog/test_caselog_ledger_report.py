"""`cases show` and `cases list` read the case ledger: what was done, what failed, and what the
case still owes (a canceled duplicate's refund), from the case log alone; `--json` carries it."""

from __future__ import annotations

import json

import pytest

from billing_tui.cli.main import main
from billing_tui.core.plans import ActionKind
from billing_tui.desk.connection import ConnectionOptions, connect
from billing_tui.desk.session import Session
from billing_tui.sandbox import DEFAULT_TEST_NOW
from billing_tui.store.caselog import CaseLog
from tests.actions.test_actions_replan import DUPE, DUPE_CHARGE, open_case


def cases(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["cases", *argv]) == 0
    return capsys.readouterr().out


async def test_cases_report_done_failed_and_still_owed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ConnectionOptions(demo=True, scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    session = Session(connect(options), CaseLog(), operator="ops")
    try:
        case = await open_case(session, "duplicate-checkout")
        await case.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    finally:
        await session.aclose()

    text = cases(capsys, "show", case.case_id)
    assert f"done: Cancel {DUPE}" in text
    assert (
        f"still owed: refund $19.00 of {DUPE_CHARGE} (canceled duplicate {DUPE}), or record why not"
    ) in text
    shown = json.loads(cases(capsys, "show", case.case_id, "--json"))
    ledger = shown["ledger"]
    assert [e["kind"] for e in ledger["done"]] == ["cancel_subscription"]
    assert ledger["done"][0]["state"] == "succeeded"
    assert ledger["failed"] == []
    assert ledger["owed_refunds"] == [
        {"charge": DUPE_CHARGE, "subscription": DUPE, "refundable": 1900, "currency": "usd"}
    ]
    listed = cases(capsys, "list")
    header, row = listed.splitlines()[:2]
    assert "OWED" in header
    assert row.split()[header.split().index("OWED") + 1] == "1"  # ACTIONS is "1 succeeded"
    (entry,) = json.loads(cases(capsys, "list", "--json"))
    assert entry["ledger"]["still_owed"] == ledger["still_owed"]


async def test_a_failed_action_is_reported_until_it_is_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Stripe refused the cancel (the key lacks rak_subscription_write), as the log records it
    options = ConnectionOptions(demo=True, scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    session = Session(connect(options), CaseLog(), operator="ops")
    try:
        case = await open_case(session, "duplicate-checkout")
        log = session.caselog
        planned = log.plan_action(
            case.case_id, kind="cancel_subscription", idempotency_key="btui-f", operator="ops",
            params={"subscription": DUPE, "mode": "immediately"},
        )  # fmt: skip
        log.finish_action(
            case.case_id, planned.id, status="failed",
            result={"error": "this key lacks rak_subscription_write",
                    "failure": {"kind": "permission", "permission": "rak_subscription_write"}},
        )  # fmt: skip
    finally:
        await session.aclose()
    text = cases(capsys, "show", case.case_id)
    assert "done: nothing" in text
    assert f"failed: Cancel {DUPE}" in text
    assert "this key lacks rak_subscription_write" in text
    assert f"still owed: cancel failed: Cancel {DUPE}" in text
    ledger = json.loads(cases(capsys, "show", case.case_id, "--json"))["ledger"]
    assert ledger["failed"][0]["cause"] == "permission"
    # retried and done: nothing failed or owed any more for it
    log = CaseLog()
    again = log.plan_action(
        case.case_id, kind="cancel_subscription", idempotency_key="btui-g", operator="ops",
        params={"subscription": DUPE, "mode": "immediately"},
    )  # fmt: skip
    log.finish_action(case.case_id, again.id, status="succeeded", result={"stripe_ids": [DUPE]})
    ledger = json.loads(cases(capsys, "show", case.case_id, "--json"))["ledger"]
    assert ledger["failed"] == []
    assert not [line for line in ledger["still_owed"] if "failed" in line]
