"""`triage --no-refund REASON`: the operator's "not refunding because …" from the command line,
and `triage --json` plans saying which are done or superseded (`superseded_by`)."""

from __future__ import annotations

import json

import pytest

from billing_tui.cli.main import main
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer

DANA = "dana.whitfield@example.com"
DUPE_CHARGE = "ch_dupcheckoutB001"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _refund_plan(result: dict[str, object]) -> dict[str, object]:
    plans = result["plans"]
    assert isinstance(plans, list)
    (refund,) = [p for p in plans if p["kind"] == "refund" and p["target"] == DUPE_CHARGE]
    assert isinstance(refund, dict)
    return refund


def test_no_refund_after_a_cancel_settles_the_owed_refund(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "a1" * 12)
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    with SandboxServer(sandbox) as server:
        api = ("--api-base", server.url)
        code, out, _ = run(
            capsys, "triage", DANA, *api, "--yes", "--action", "cancel_subscription", "--json"
        )
        assert code == 0, out
        # the next dry run: the cancel is done, its alternative superseded, the refund owed
        code, out, _ = run(capsys, "triage", DANA, *api, "--json")
        result = json.loads(out)
        cancels = [p for p in result["plans"] if p["kind"] == "cancel_subscription"]
        assert sorted(p["status"] for p in cancels) == ["done", "superseded"]
        done = next(p for p in cancels if p["status"] == "done")
        assert done["superseded_by"].startswith("act")
        assert all(p["superseded_by"] == done["superseded_by"] for p in cancels)
        owed = _refund_plan(result)
        assert owed["status"] == "planned"
        assert owed["superseded_by"] is None
        code, text, _ = run(capsys, "triage", DANA, *api)
        assert "    DONE: done: " in text
        assert "    SUPERSEDED: superseded: " in text

        # a dry run only says what it would record
        code, text, _ = run(capsys, "triage", DANA, *api, "--no-refund", "store credit given")
        assert f"would record: not refunding {DUPE_CHARGE}: store credit given" in text
        # with --yes it is recorded, no refund is sent, and the handoff gives the reason
        code, out, _ = run(
            capsys, "triage", DANA, *api, "--yes", "--no-refund", "store credit given", "--json"
        )
        assert code == 0, out
        result = json.loads(out)
        first = result["actions"][0]
        assert (first["kind"], first["status"], first["target"]) == (
            "no_op",
            "succeeded",
            DUPE_CHARGE,
        )
        assert not [a for a in result["actions"] if a["kind"] == "refund"]
        assert not list(sandbox.state.all("refund"))
        assert f"- not refunding {DUPE_CHARGE}: store credit given" in result["handoff"]
        assert "still owed" not in result["handoff"]
        # from then on the refund is no longer proposed as owed
        code, out, _ = run(capsys, "triage", DANA, *api, "--json")
        refund = _refund_plan(json.loads(out))
        assert refund["status"] == "superseded"
        assert refund["recommended"] is False
        assert "store credit given" in str(refund["blocked_reason"])


def test_no_refund_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    demo = ("--scenarios", "duplicate-checkout", "--now", "2026-11-26T12:00:00Z")
    code, _, err = run(capsys, "triage", DANA, *demo, "--no-refund", "  ")
    assert code == 2
    assert "say why" in err
    code, _, err = run(
        capsys, "triage", DANA, *demo, "--no-refund", "x", "--no-refund-charge", "ch_nope"
    )
    assert code == 2
    assert f"proposed: {DUPE_CHARGE}" in err
    code, _, err = run(capsys, "triage", DANA, *demo, "--no-refund", "x", "--action", "refund")
    assert code == 2
    assert "contradict" in err
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    assert "--no-refund REASON" in capsys.readouterr().out
