"""Portal check and fix against the sandbox: a failing check's fix, applied, makes it pass."""

from __future__ import annotations

import asyncio
import json

import pytest

from billing_tui.cli.main import main
from billing_tui.core.portal_policy import check_portal
from billing_tui.gateway import Gateway
from billing_tui.gateway.portal_admin import nest
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox


def test_nest_turns_form_keys_into_sdk_params() -> None:
    assert nest(
        [
            ("features[subscription_update][enabled]", "true"),
            ("features[subscription_update][products][0][product]", "prod_a"),
            ("features[subscription_update][products][0][prices][0]", "price_1"),
            ("features[subscription_update][products][0][prices][1]", "price_2"),
            ("login_page[enabled]", "true"),
        ]
    ) == {
        "features": {
            "subscription_update": {
                "enabled": "true",
                "products": [{"product": "prod_a", "prices": ["price_1", "price_2"]}],
            }
        },
        "login_page": {"enabled": "true"},
    }


@pytest.mark.parametrize("check", ["login_page", "annual_switch", "downgrade_at_period_end"])
def test_applying_a_fix_makes_its_check_pass(check: str) -> None:
    sandbox = Sandbox.demo(now=DEFAULT_TEST_NOW)
    gateway = Gateway(sandbox.stripe_client())

    async def run() -> None:
        prices = await gateway.active_prices()
        before = {f.check: f for f in check_portal(await gateway.portal_configurations(), prices)}
        finding = before[check]
        assert not finding.ok
        assert finding.fix is not None
        await gateway.update_portal_configuration(
            finding.fix.configuration_id, finding.fix.params, idempotency_key=f"test-{check}"
        )
        after = {f.check: f for f in check_portal(await gateway.portal_configurations(), prices)}
        assert after[check].ok
        still_failing = {c for c, f in after.items() if not f.ok}
        assert still_failing == {c for c, f in before.items() if not f.ok} - {check}

    asyncio.run(run())


def test_portal_check_cli_reports_failures_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["portal", "check", "--json", "--demo", "--now", "2026-11-26T12:00:00Z"])
    out = json.loads(capsys.readouterr().out)
    failing = [f["check"] for f in out["findings"] if not f["ok"]]
    assert code == 1
    assert "annual_switch" in failing
    assert out["findings"][0]["ok"] is False  # failing checks come first
    annual = next(f for f in out["findings"] if f["check"] == "annual_switch")
    assert annual["product_gap"] == "no monthly→annual switch"
    assert annual["fix"]["api_call"].startswith("POST /v1/billing_portal/configurations/")


def test_portal_fix_is_a_dry_run_without_yes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["portal", "fix", "annual_switch", "--demo", "--now", "2026-11-26T12:00:00Z"])
    out = capsys.readouterr().out
    assert code == 0
    assert "dry run: nothing was changed" in out
    assert "→" in out
