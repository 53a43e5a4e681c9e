"""Portal validation: each failing check names the customer impact, the gap and the fix."""

from __future__ import annotations

from billing_tui.core.model import PortalConfiguration, Price
from billing_tui.core.portal_policy import check_portal

PRICES = (
    Price("price_pro_m", "prod_pro", "Pro", "usd", 1900, "month"),
    Price("price_pro_y", "prod_pro", "Pro", "usd", 19000, "year"),
    Price("price_team_m", "prod_team", "Team", "usd", 1200, "month"),
)

GOOD = PortalConfiguration(
    id="bpc_good",
    active=True,
    is_default=True,
    login_page_enabled=True,
    invoice_history_enabled=True,
    payment_method_update_enabled=True,
    cancel_enabled=True,
    cancel_mode="at_period_end",
    cancel_reasons_enabled=True,
    update_enabled=True,
    update_allowed=("price", "quantity"),
    update_prices=("price_pro_m", "price_pro_y", "price_team_m"),
    update_proration_behavior="none",
)


def test_a_complete_portal_passes_every_check() -> None:
    findings = check_portal([GOOD], PRICES)
    assert [f.check for f in findings if not f.ok] == []
    assert {f.check for f in findings} >= {
        "portal_exists",
        "login_page",
        "payment_method_update",
        "invoice_history",
        "cancel_enabled",
        "cancel_reasons",
        "annual_switch",
        "downgrade_at_period_end",
    }


def test_no_default_configuration_is_a_missing_portal() -> None:
    inactive = PortalConfiguration(id="bpc_old", active=False, is_default=True)
    (finding,) = check_portal([inactive], PRICES)
    assert not finding.ok
    assert finding.product_gap == "no billing portal"


def test_cancel_disabled_proposes_the_exact_fix() -> None:
    from dataclasses import replace

    config = replace(GOOD, cancel_enabled=False, cancel_mode=None)
    finding = next(f for f in check_portal([config], PRICES) if f.check == "cancel_enabled")
    assert not finding.ok
    assert finding.product_gap == "no cancellation flow"
    assert "support" in finding.detail
    assert finding.fix is not None
    assert ("features[subscription_cancel][enabled]", "true") in finding.fix.params
    assert ("features.subscription_cancel.enabled", "off", "on") in finding.fix.diff
    assert finding.fix.api_call.startswith("POST /v1/billing_portal/configurations/bpc_good ")


def test_missing_annual_price_is_found_and_fixed_per_product() -> None:
    from dataclasses import replace

    config = replace(GOOD, update_prices=("price_team_m",))
    finding = next(f for f in check_portal([config], PRICES) if f.check == "annual_switch")
    assert not finding.ok
    assert "price_pro_y" in finding.detail
    assert finding.fix is not None
    params = dict(finding.fix.params)
    products = {v for k, v in params.items() if k.endswith("[product]")}
    assert products == {"prod_pro", "prod_team"}
    offered = {v for k, v in params.items() if "[prices]" in k}
    assert offered == {"price_pro_m", "price_pro_y", "price_team_m"}
