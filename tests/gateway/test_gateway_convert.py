"""SDK objects (built from Stripe's own example fixtures) become model types correctly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from billing_tui.core.model import Money, PortalConfiguration, SubscriptionStatus
from billing_tui.gateway import convert

#: An extract of stripe/openapi's fixtures3.json: Stripe's own example object per resource.
FIXTURES = Path(__file__).parent / "stripe_fixtures.json"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return data


def sdk(obj: dict[str, Any]) -> stripe.StripeObject:
    """What the SDK would hand us for this wire dict."""
    return stripe.StripeObject.construct_from(copy.deepcopy(obj), "sk_test_fixture")


def test_customer_from_sdk_object(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["customer"])
    raw.update(email="Jane@Example.com", name="Jane", balance=-500)
    raw["invoice_settings"]["default_payment_method"] = "pm_123"
    cust = convert.customer(sdk(raw))
    assert cust.id == raw["id"]
    assert cust.email == "Jane@Example.com"
    assert cust.balance_money == Money(-500, "usd")
    assert cust.default_payment_method_id == "pm_123"
    assert cust.created.tzinfo is not None


def test_deleted_customer_is_marked(resources: dict[str, Any]) -> None:
    cust = convert.customer(sdk({"id": "cus_gone1", "object": "customer", "deleted": True}))
    assert cust.deleted
    assert cust.email is None


def test_subscription_periods_come_from_items(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["subscription"])
    raw["status"] = "active"
    sub = convert.subscription(sdk(raw), {"prod_QXg1hqf4jFNsqG": "T-shirt club"})
    assert sub.status is SubscriptionStatus.ACTIVE
    item = raw["items"]["data"][0]
    assert sub.items[0].current_period_end.timestamp() == item["current_period_end"]
    assert sub.items[0].price.product_name == "T-shirt club"
    assert sub.items[0].price.interval == "month"
    assert sub.items[0].amount == Money(2000, "usd")
    assert sub.mrr == Money(2000, "usd")


def test_subscription_product_name_from_expanded_product(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["subscription"])
    raw["status"] = "trialing"
    raw["items"]["data"][0]["price"]["product"] = copy.deepcopy(resources["product"])
    sub = convert.subscription(sdk(raw))
    assert sub.items[0].price.product_name == "T-shirt"
    assert sub.items[0].price.product_id == resources["product"]["id"]


def test_invoice_subscription_lines_and_payments(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["invoice"])
    raw["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_abc1", "metadata": {}},
    }
    payment = copy.deepcopy(resources["invoice_payment"])
    payment.update(
        id="inpay_1",
        invoice=raw["id"],
        currency="usd",
        amount_requested=1000,
        amount_paid=1000,
        status="paid",
        payment={"type": "payment_intent", "payment_intent": "pi_1"},
    )
    raw["payments"] = {"object": "list", "data": [payment], "has_more": False, "url": "/x"}
    inv = convert.invoice(sdk(raw))
    assert inv.subscription_id == "sub_abc1"
    assert inv.amount_due == Money(1000, "usd")
    assert inv.lines[0].proration is True  # invoice_item_details.proration in the fixture
    assert inv.has_proration
    assert inv.payments[0].payment_intent_id == "pi_1"
    assert inv.payments[0].amount_paid == Money(1000, "usd")
    assert convert.invoice_has_payments(sdk(raw))
    del raw["payments"]
    assert not convert.invoice_has_payments(sdk(raw))


def test_charge_card_refunds_and_refundable(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["charge"])
    raw.update(amount=5000, amount_captured=5000, amount_refunded=1500, customer="cus_1")
    refund = copy.deepcopy(resources["refund"])
    refund.update(amount=1500, charge=raw["id"])
    raw["refunds"] = {"object": "list", "data": [refund], "has_more": False, "url": "/x"}
    charge = convert.charge(sdk(raw))
    assert charge.card is not None
    assert charge.card.label() == "Visa ····4242 exp 08/30"
    assert charge.refundable == Money(3500, "usd")
    assert [r.amount for r in charge.refunds] == [Money(1500, "usd")]
    assert charge.customer_id == "cus_1"


def test_expanded_customer_reference_is_read_as_id(resources: dict[str, Any]) -> None:
    raw = copy.deepcopy(resources["charge"])
    raw["customer"] = copy.deepcopy(resources["customer"])
    assert convert.charge(sdk(raw)).customer_id == resources["customer"]["id"]


def test_dispute_and_payment_method(resources: dict[str, Any]) -> None:
    dispute = convert.dispute(sdk(resources["dispute"]))
    assert dispute.is_open
    assert dispute.is_charge_refundable
    assert dispute.evidence_due_by is not None
    pm = convert.payment_method(sdk(resources["payment_method"]))
    assert pm.card is not None
    assert pm.card.last4 == "4242"
    assert pm.card.exp_year == 2030


def test_portal_configuration_features(resources: dict[str, Any]) -> None:
    config = convert.portal_configuration(sdk(resources["billing_portal.configuration"]))
    assert config.active
    assert config.is_default
    assert config.invoice_history_enabled
    assert not config.payment_method_update_enabled
    assert not config.cancel_enabled
    assert config.cancel_mode == "at_period_end"


def _config(cid: str, *, active: bool = True, default: bool = False) -> PortalConfiguration:
    return PortalConfiguration(id=cid, active=active, is_default=default)


def test_portal_named_in_metadata_wins_when_active() -> None:
    configs = [_config("bpc_default", default=True), _config("bpc_brand")]
    key = "portal_configuration"
    chosen = convert.applicable_portal(configs, {key: "bpc_brand"}, key)
    assert chosen is not None
    assert chosen.id == "bpc_brand"


def test_portal_falls_back_to_active_default() -> None:
    configs = [_config("bpc_default", default=True), _config("bpc_brand", active=False)]
    key = "portal_configuration"
    chosen = convert.applicable_portal(configs, {key: "bpc_brand"}, key)
    assert chosen is not None
    assert chosen.id == "bpc_default"
    assert convert.applicable_portal([_config("x", active=False, default=True)], {}, key) is None
