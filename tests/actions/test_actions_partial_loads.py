"""Complete snapshots or no money: with one Stripe endpoint failing (the loopback sandbox's
``fail_paths``), `billing-tui triage --yes` moves no money, says which part did not load and
exits 3; once the endpoint answers again the same command does the work. Also: a failed
reload after the actions is a warning (exit 0, a JSON document with ``refresh_error``), and
a money action held back by a guard exits 3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from billing_tui.cli.main import main
from billing_tui.cli.triage import EXIT_HELD
from billing_tui.core.model import PartFailure
from billing_tui.core.plans import ActionKind
from billing_tui.desk.session import CaseView
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox, catalog
from billing_tui.sandbox.server import SandboxServer
from tests.demo import demo_session

DANA = "dana.whitfield@example.com"  # duplicate-checkout: cancel sub_dupcheckoutB, refund it
VICTOR = "victor.almeida@example.com"  # disputed-charge: ch_disputed1003 is disputed
KEY = "sk_test_" + "Ab3dEf6hIj9lMn2pQr5tUv8x"


@pytest.fixture(autouse=True)
def _test_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", KEY)


def served(scenario: str, **faults: Any) -> Iterator[tuple[Sandbox, SandboxServer]]:
    sandbox = Sandbox.demo(scenarios=(scenario,), now=DEFAULT_TEST_NOW)
    with SandboxServer(sandbox, **faults) as server:
        yield sandbox, server


def triage(
    capsys: pytest.CaptureFixture[str], server: SandboxServer, *argv: str
) -> tuple[int, dict[str, Any], str]:
    code = main(["triage", *argv, "--api-base", server.url, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, json.loads(out), err


def refunds(sandbox: Sandbox) -> list[dict[str, Any]]:
    return list(sandbox.state.all("refund"))


def statuses(sandbox: Sandbox) -> dict[str, str]:
    return {s["id"]: s["status"] for s in sandbox.state.all("subscription")}


def test_disputes_failing_no_refund_until_a_complete_reload(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("disputed-charge", fail_paths={"/v1/disputes": 500}):
        code, result, _ = triage(capsys, server, VICTOR, "--yes")
        assert code == EXIT_HELD
        assert refunds(sandbox) == []
        assert [g["part"] for g in result["incomplete"]] == ["disputes"]
        (held,) = [a for a in result["actions"] if a["kind"] == "refund"]
        assert held["status"] == "skipped"
        assert "disputes could not be loaded: HTTP 500" in held["message"]
        assert "a refund could pay twice" in held["message"]

        # the text run says it as well, on its own warning line
        code = main(["triage", VICTOR, "--api-base", server.url, "--yes"])
        text = capsys.readouterr().out
        assert code == EXIT_HELD
        assert "warning: no money moves on this load: disputes could not be loaded" in text
        assert refunds(sandbox) == []

        # disputes answer again: the complete snapshot now sees the dispute itself, and the
        # refund is still held back, for that reason
        server.set_faults(fail_paths={})
        code, result, _ = triage(capsys, server, VICTOR, "--yes")
        assert result["incomplete"] == []
        assert code == EXIT_HELD
        assert refunds(sandbox) == []
        (held,) = [a for a in result["actions"] if a["kind"] == "refund"]
        assert "is disputed (dp_disputed1" in held["message"]


def test_charges_failing_no_cancel_without_its_refund(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("duplicate-checkout", fail_paths={"/v1/charges": 500}):
        code, result, _ = triage(capsys, server, DANA, "--yes")
        assert code == EXIT_HELD
        assert statuses(sandbox)["sub_dupcheckoutB"] == "active"
        assert refunds(sandbox) == []
        (cancel,) = [a for a in result["actions"] if a["kind"] == "cancel_subscription"]
        assert cancel["status"] == "skipped"
        assert "charges could not be loaded: HTTP 500" in cancel["message"]

        server.set_faults(fail_paths={})
        code, result, _ = triage(capsys, server, DANA, "--yes")
        assert code == 0
        assert statuses(sandbox)["sub_dupcheckoutB"] == "canceled"
        assert [r["charge"] for r in refunds(sandbox)] == ["ch_dupcheckoutB001"]


def test_subscriptions_failing_never_claims_no_duplicate_is_live(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("duplicate-checkout", fail_paths={"/v1/subscriptions": 500}):
        code, result, _ = triage(capsys, server, DANA, "--yes")
        assert code == EXIT_HELD
        titles = [a["title"] for a in result["actions"]]
        assert not any("no duplicate subscription is live" in t for t in titles)
        assert "no duplicate subscription is live" not in (result["handoff"] or "")
        assert [g["part"] for g in result["incomplete"]] == ["subscriptions"]
        assert statuses(sandbox)["sub_dupcheckoutB"] == "active"
        assert refunds(sandbox) == []

        code = main(["triage", DANA, "--api-base", server.url])
        text = capsys.readouterr().out
        assert code == 0  # a dry run sends nothing either way
        assert "no duplicate subscription is live" not in text
        assert "subscriptions could not be loaded: HTTP 500" in text


def down_after_the_refund(sandbox: Sandbox, server: SandboxServer) -> None:
    """Once the refund (the last money move) is answered, the customer cannot be read any more:
    the reload after the actions fails, the actions themselves went through."""
    real = sandbox.handle

    def handle(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        answer = real(method, url, *args, **kwargs)
        if method == "POST" and url.startswith("/v1/refunds") and answer[0] == 200:
            server.set_faults(fail_paths={"/v1/customers/cus_dupcheckout1": 500})
        return answer

    sandbox.handle = handle  # type: ignore[method-assign]


def test_a_failed_reload_after_the_actions_is_a_warning_not_a_failure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("duplicate-checkout"):
        down_after_the_refund(sandbox, server)
        code, result, _ = triage(capsys, server, DANA, "--yes")
        assert code == 0
        assert [a["status"] for a in result["actions"]] == ["succeeded"] * 3
        assert "HTTP 500" in result["refresh_error"]
        assert result["handoff"]
        assert statuses(sandbox)["sub_dupcheckoutB"] == "canceled"
        assert len(refunds(sandbox)) == 1


def test_a_failed_reload_after_the_actions_is_said_in_the_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("duplicate-checkout"):
        down_after_the_refund(sandbox, server)
        code = main(["triage", DANA, "--api-base", server.url, "--yes"])
        out, err = capsys.readouterr()
        assert code == 0
        assert "Traceback" not in out + err
        assert "reloading the customer afterwards failed" in out
        assert "succeeded: Refund" in out


def test_an_over_refund_is_held_back_and_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    for sandbox, server in served("duplicate-checkout"):
        code, result, _ = triage(
            capsys, server, DANA, "--yes", "--action", "refund", "--refund-amount", "50.00"
        )
        assert code == EXIT_HELD
        (refund,) = result["actions"]
        assert refund["status"] == "skipped"
        assert "more than the $19.00 left" in refund["message"]
        assert refunds(sandbox) == []


def test_a_disputed_charge_named_for_refund_is_held_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for sandbox, server in served("disputed-charge"):
        code, result, _ = triage(capsys, server, VICTOR, "--yes", "--action", "refund")
        assert code == EXIT_HELD
        assert refunds(sandbox) == []
        assert "disputed" in result["actions"][0]["message"]


def test_exit_codes_are_listed_in_triage_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    text = capsys.readouterr().out
    assert "exit codes:" in text
    assert f"  {EXIT_HELD}  a money action was held back" in text


def test_a_usage_error_still_prints_a_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    for _, server in served("duplicate-checkout"):
        code, result, err = triage(capsys, server, "nobody@example.com")
        assert code == 2
        assert "n***@example.com" in result["error"]  # masked, like every email
        assert result["exit_code"] == 2
        assert "n***@example.com" in err


# ------------------------------------------------------------------ every money kind, one guard


@pytest.mark.parametrize(
    ("scenario", "kind"),
    [
        ("duplicate-checkout", ActionKind.CANCEL_SUBSCRIPTION),
        ("duplicate-checkout", ActionKind.REFUND),
        ("seat-reduction", ActionKind.UPDATE_QUANTITY),
        ("failed-renewal", ActionKind.RETRY_INVOICE_PAYMENT),
    ],
)
async def test_every_money_moving_plan_waits_for_a_complete_snapshot(
    scenario: str, kind: ActionKind, tmp_path: Path
) -> None:
    session = demo_session(tmp_path / "cases", scenarios=(scenario,))
    if kind == ActionKind.RETRY_INVOICE_PAYMENT:
        # a retry waits for a card that can pay: the customer has put in a working one
        sandbox = session.connection.sandbox
        assert sandbox is not None
        sandbox.state.objects["payment_method"]["pm_failedrenewal1"]["card"]["exp_year"] = 2030
    query = next(s.identifier for s in catalog.list_scenarios() if s.name == scenario)
    view = await session.load((await session.lookup(query)).customer_ids)
    confirmed = session.suggest(view).confirm().confirm_contract()
    complete = session.plans(view, confirmed)
    assert any(p.kind == kind and p.possible for p in complete)  # runnable when complete

    gap = PartFailure("payment_methods", "Stripe is having trouble (HTTP 503…)", reason="HTTP 503")
    partial = CaseView(replace(view.snapshot, failures=(gap,)), view.anomalies)
    plans = session.plans(partial, confirmed)
    money = [p for p in plans if p.moves_money]
    assert any(p.kind == kind for p in money)
    for plan in money:
        assert plan.blocked_reason is not None
        assert plan.blocked_reason.startswith("payment methods could not be loaded: HTTP 503 — ")
    # what moves no money stays as it was
    assert [p for p in plans if not p.moves_money] == [p for p in complete if not p.moves_money]

    # product names cannot make a money move wrong: a products gap holds nothing back
    names = PartFailure("products", "Stripe is having trouble (HTTP 500…)", reason="HTTP 500")
    named = CaseView(replace(view.snapshot, failures=(names,)), view.anomalies)
    assert any(p.kind == kind and p.possible for p in session.plans(named, confirmed))
