"""Values Stripe may add to its open enums, end to end: ``inspect`` over HTTP shows them as
"unknown (<value>)" instead of crashing or hiding the object, and the plans that need them
refuse to act (real sandbox behind a loopback server, real SDK, the command as typed)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from billing_tui.cli.main import main
from billing_tui.core.plans import plan_cancel, plan_update_quantity
from tests.gateway.conftest import gateway_for, sandbox_for


def _healthy_with(**changes: Any) -> Any:
    sandbox = sandbox_for("healthy")
    sub = sandbox.state.get("subscription", "sub_healthy1")
    price = sub["items"]["data"][0]["price"]
    if "interval" in changes:
        price["recurring"]["interval"] = changes["interval"]
    if "status" in changes:
        sub["status"] = changes["status"]
    return sandbox


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"interval": "fortnight"}, "unknown (fortnight)"),
        ({"status": "hibernating"}, "unknown (hibernating)"),
    ],
)
def test_inspect_shows_an_unknown_value_instead_of_crashing(
    changes: dict[str, str],
    shown: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from billing_tui.sandbox.server import SandboxServer

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_gatewaytests")
    with SandboxServer(_healthy_with(**changes)) as server:
        code = main(["inspect", "cus_healthy1", "--api-base", server.url])
        text = capsys.readouterr().out
        assert code == 0
        assert shown in text
        assert "Traceback" not in text
        code = main(["inspect", "cus_healthy1", "--api-base", server.url, "--json"])
        data = json.loads(capsys.readouterr().out)
    assert code == 0
    [sub] = data["subscriptions"]
    assert sub["id"] == "sub_healthy1"
    assert shown in json.dumps(sub)
    assert data["failures"] == []  # kept, not dropped with a note


@pytest.mark.parametrize("changes", [{"interval": "fortnight"}, {"status": "hibernating"}])
async def test_plans_for_a_subscription_with_an_unknown_value_are_blocked_with_the_reason(
    changes: dict[str, str],
) -> None:
    sandbox = _healthy_with(**changes)
    snap = await gateway_for(sandbox).snapshot(["cus_healthy1"])
    value = next(iter(changes.values()))
    for plan in (
        plan_cancel(snap, "sub_healthy1"),
        plan_cancel(snap, "sub_healthy1", at_period_end=True),
        plan_update_quantity(snap, "sub_healthy1", 3),
    ):
        assert plan.blocked_reason is not None
        assert f"unknown ({value})" in plan.blocked_reason
        assert "Dashboard" in plan.blocked_reason


async def test_an_unknown_interval_has_no_monthly_figure_and_says_so() -> None:
    snap = await gateway_for(_healthy_with(interval="fortnight")).snapshot(["cus_healthy1"])
    sub = snap.subscription("sub_healthy1")
    assert sub is not None
    assert sub.is_live
    assert sub.mrr.amount == 0  # not a guess at a fortnight's share of a month
    assert sub.unknown_values == ("interval unknown (fortnight) on price_promonthly",)
