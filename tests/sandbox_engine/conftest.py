"""Hand-built sandbox states for the engine tests (wire-shaped dicts as Stripe returns them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.state import SandboxState

NOW = int(DEFAULT_TEST_NOW.timestamp())
DAY = 86_400
JSON = dict[str, Any]


class World:
    """Builds a consistent little Stripe account inside a state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_T{self.n:04d}test"

    def customer(
        self,
        email: str | None,
        *,
        name: str | None = None,
        created: int = NOW - 90 * DAY,
        metadata: dict[str, str] | None = None,
        balance: int = 0,
        default_pm: str | None = None,
        phone: str | None = None,
    ) -> JSON:
        return self.state.add(
            {
                "id": self._id("cus"),
                "object": "customer",
                "address": None,
                "balance": balance,
                "created": created,
                "currency": "usd",
                "default_source": None,
                "delinquent": False,
                "description": None,
                "discount": None,
                "email": email,
                "invoice_prefix": "ABC123",
                "invoice_settings": {
                    "custom_fields": None,
                    "default_payment_method": default_pm,
                    "footer": None,
                    "rendering_options": None,
                },
                "livemode": False,
                "metadata": metadata or {},
                "name": name,
                "next_invoice_sequence": 2,
                "phone": phone,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
                "test_clock": None,
            }
        )

    def product(self, name: str) -> JSON:
        return self.state.add(
            {
                "id": self._id("prod"),
                "object": "product",
                "active": True,
                "created": NOW - 400 * DAY,
                "default_price": None,
                "description": None,
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": {},
                "name": name,
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "unit_label": None,
                "updated": NOW - 400 * DAY,
                "url": None,
                "type": "service",
            }
        )

    def price(
        self, product: JSON, amount: int, interval: str = "month", currency: str = "usd"
    ) -> JSON:
        return self.state.add(
            {
                "id": self._id("price"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": NOW - 400 * DAY,
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": None,
                "metadata": {},
                "nickname": None,
                "product": product["id"],
                "recurring": {
                    "interval": interval,
                    "interval_count": 1,
                    "meter": None,
                    "usage_type": "licensed",
                    "trial_period_days": None,
                },
                "tax_behavior": "unspecified",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
            }
        )

    def payment_method(
        self,
        customer: JSON,
        *,
        last4: str = "4242",
        exp_month: int = 8,
        exp_year: int = 2030,
        fingerprint: str = "fpA",
    ) -> JSON:
        pm = self.state.add(
            {
                "id": self._id("pm"),
                "object": "payment_method",
                "allow_redisplay": "unspecified",
                "billing_details": {
                    "address": None,
                    "email": customer["email"],
                    "name": None,
                    "phone": None,
                    "tax_id": None,
                },
                "card": {
                    "brand": "visa",
                    "checks": None,
                    "country": "US",
                    "display_brand": "visa",
                    "exp_month": exp_month,
                    "exp_year": exp_year,
                    "fingerprint": fingerprint,
                    "funding": "credit",
                    "generated_from": None,
                    "last4": last4,
                    "networks": {"available": ["visa"], "preferred": None},
                    "three_d_secure_usage": {"supported": True},
                    "wallet": None,
                    "regulated_status": None,
                },
                "created": NOW - 90 * DAY,
                "customer": customer["id"],
                "livemode": False,
                "metadata": {},
                "type": "card",
                "customer_account": None,
            }
        )
        customer["invoice_settings"]["default_payment_method"] = pm["id"]
        return pm

    def subscription(
        self,
        customer: JSON,
        price: JSON,
        *,
        status: str = "active",
        created: int = NOW - 40 * DAY,
        quantity: int = 1,
        period_start: int = NOW - 10 * DAY,
        period_end: int = NOW + 20 * DAY,
        metadata: dict[str, str] | None = None,
    ) -> JSON:
        sub_id = self._id("sub")
        item = {
            "id": self._id("si"),
            "object": "subscription_item",
            "created": created,
            "current_period_end": period_end,
            "current_period_start": period_start,
            "discounts": [],
            "metadata": {},
            "plan": None,
            "price": dict(price),
            "quantity": quantity,
            "subscription": sub_id,
            "tax_rates": [],
            "billing_thresholds": None,
        }
        return self.state.add(
            {
                "id": sub_id,
                "object": "subscription",
                "application": None,
                "billing_cycle_anchor": period_start,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "cancellation_details": {"comment": None, "feedback": None, "reason": None},
                "collection_method": "charge_automatically",
                "created": created,
                "currency": "usd",
                "customer": customer["id"],
                "days_until_due": None,
                "default_payment_method": None,
                "default_source": None,
                "description": None,
                "discounts": [],
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": [item],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": metadata or {},
                "pause_collection": None,
                "schedule": None,
                "start_date": created,
                "status": status,
                "test_clock": None,
                "trial_end": None,
                "trial_start": None,
                "billing_mode": {"type": "classic"},
            }
        )

    def invoice(
        self,
        customer: JSON,
        sub: JSON | None,
        amount: int,
        *,
        status: str = "paid",
        created: int = NOW - 10 * DAY,
        attempt_count: int = 1,
    ) -> JSON:
        inv_id = self._id("in")
        paid = status == "paid"
        line = {
            "id": self._id("il"),
            "object": "line_item",
            "amount": amount,
            "currency": "usd",
            "description": "1 × Pro (at $20.00 / month)",
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "invoice": inv_id,
            "livemode": False,
            "metadata": {},
            "period": {"start": created, "end": created + 30 * DAY},
            "quantity": 1,
            "subscription": sub["id"] if sub else None,
            "parent": {
                "type": "subscription_item_details",
                "invoice_item_details": None,
                "subscription_item_details": {
                    "subscription": sub["id"] if sub else None,
                    "subscription_item": sub["items"]["data"][0]["id"] if sub else None,
                    "proration": False,
                    "proration_details": None,
                    "invoice_item": None,
                },
            },
            "pricing": {"type": "price_details", "unit_amount_decimal": str(amount)},
            "subtotal": amount,
            "taxes": [],
            "pretax_credit_amounts": [],
        }
        inv = self.state.add(
            {
                "id": inv_id,
                "object": "invoice",
                "account_country": "US",
                "account_name": "Acme",
                "amount_due": amount,
                "amount_paid": amount if paid else 0,
                "amount_overpaid": 0,
                "amount_remaining": 0 if paid else amount,
                "amount_shipping": 0,
                "attempt_count": attempt_count,
                "attempted": attempt_count > 0,
                "auto_advance": not paid,
                "billing_reason": "subscription_cycle",
                "collection_method": "charge_automatically",
                "created": created,
                "currency": "usd",
                "customer": customer["id"],
                "customer_email": customer["email"],
                "customer_name": customer["name"],
                "default_payment_method": None,
                "description": None,
                "due_date": None,
                "ending_balance": 0,
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{inv_id}",
                "invoice_pdf": None,
                "last_finalization_error": None,
                "livemode": False,
                "metadata": {},
                "next_payment_attempt": None if paid else created + 3 * DAY,
                "number": f"ABC123-{self.n:04d}",
                "lines": {
                    "object": "list",
                    "data": [line],
                    "has_more": False,
                    "url": f"/v1/invoices/{inv_id}/lines",
                },
                "parent": (
                    {
                        "type": "subscription_details",
                        "quote_details": None,
                        "subscription_details": {"metadata": {}, "subscription": sub["id"]},
                    }
                    if sub
                    else None
                ),
                "period_end": created,
                "period_start": created - 30 * DAY,
                "starting_balance": 0,
                "status": status,
                "status_transitions": {
                    "finalized_at": created,
                    "marked_uncollectible_at": None,
                    "paid_at": created if paid else None,
                    "voided_at": None,
                },
                "subtotal": amount,
                "total": amount,
                "test_clock": None,
            }
        )
        if sub is not None:
            sub["latest_invoice"] = inv["id"]
        return inv

    def payment(
        self,
        customer: JSON,
        invoice: JSON | None,
        amount: int,
        *,
        created: int = NOW - 10 * DAY,
        pm: JSON | None = None,
        status: str = "succeeded",
    ) -> tuple[JSON, JSON]:
        """A PaymentIntent with its charge (and the InvoicePayment when an invoice is given)."""
        pi_id, ch_id = self._id("pi"), self._id("ch")
        card = (pm or {}).get("card") or {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 8,
            "exp_year": 2030,
            "fingerprint": "fpA",
        }
        charge = self.state.add(
            {
                "id": ch_id,
                "object": "charge",
                "amount": amount,
                "amount_captured": amount if status == "succeeded" else 0,
                "amount_refunded": 0,
                "application": None,
                "application_fee": None,
                "application_fee_amount": None,
                "balance_transaction": self._id("txn"),
                "billing_details": None,
                "calculated_statement_descriptor": "ACME",
                "captured": status == "succeeded",
                "created": created,
                "currency": "usd",
                "customer": customer["id"],
                "description": "Subscription update",
                "disputed": False,
                "failure_balance_transaction": None,
                "failure_code": None,
                "failure_message": None,
                "fraud_details": {},
                "livemode": False,
                "metadata": {},
                "on_behalf_of": None,
                "outcome": {"type": "authorized", "seller_message": "Payment complete."},
                "paid": status == "succeeded",
                "payment_intent": pi_id,
                "payment_method": pm["id"] if pm else None,
                "payment_method_details": {
                    "type": "card",
                    "card": {
                        "brand": card["brand"],
                        "last4": card["last4"],
                        "exp_month": card["exp_month"],
                        "exp_year": card["exp_year"],
                        "fingerprint": card["fingerprint"],
                        "funding": "credit",
                        "country": "US",
                        "network": "visa",
                    },
                },
                "receipt_email": None,
                "receipt_number": None,
                "receipt_url": f"https://pay.stripe.com/receipts/{ch_id}",
                "refunded": False,
                "refunds": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/charges/{ch_id}/refunds",
                },
                "review": None,
                "shipping": None,
                "source_transfer": None,
                "statement_descriptor": None,
                "statement_descriptor_suffix": None,
                "status": status,
                "transfer_data": None,
                "transfer_group": None,
            }
        )
        intent = self.state.add(
            {
                "id": pi_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": amount if status == "succeeded" else 0,
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": "automatic",
                "client_secret": f"{pi_id}_secret_x",
                "confirmation_method": "automatic",
                "created": created,
                "currency": "usd",
                "customer": customer["id"],
                "description": None,
                "last_payment_error": None,
                "latest_charge": ch_id,
                "livemode": False,
                "metadata": {},
                "payment_method": pm["id"] if pm else None,
                "payment_method_types": ["card"],
                "status": "succeeded" if status == "succeeded" else "requires_payment_method",
            }
        )
        if invoice is not None:
            self.state.add(
                {
                    "id": self._id("inpay"),
                    "object": "invoice_payment",
                    "amount_paid": amount if status == "succeeded" else None,
                    "amount_requested": amount,
                    "created": created,
                    "currency": "usd",
                    "invoice": invoice["id"],
                    "is_default": True,
                    "livemode": False,
                    "payment": {"type": "payment_intent", "payment_intent": pi_id},
                    "status": "paid" if status == "succeeded" else "open",
                    "status_transitions": {
                        "canceled_at": None,
                        "paid_at": created if status == "succeeded" else None,
                    },
                }
            )
        return intent, charge

    def refund(self, charge: JSON, amount: int, *, created: int = NOW - 5 * DAY) -> JSON:
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        return self.state.add(
            {
                "id": self._id("re"),
                "object": "refund",
                "amount": amount,
                "balance_transaction": self._id("txn"),
                "charge": charge["id"],
                "created": created,
                "currency": charge["currency"],
                "destination_details": None,
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "reason": "requested_by_customer",
                "receipt_number": None,
                "source_transfer_reversal": None,
                "status": "succeeded",
                "transfer_reversal": None,
                "customer": charge["customer"],
                "customer_account": None,
                "payment_method": charge["payment_method"],
            }
        )

    def dispute(
        self, charge: JSON, *, refundable: bool = False, status: str = "needs_response"
    ) -> JSON:
        charge["disputed"] = True
        return self.state.add(
            {
                "id": self._id("dp"),
                "object": "dispute",
                "amount": charge["amount"],
                "balance_transactions": [],
                "charge": charge["id"],
                "created": NOW - 2 * DAY,
                "currency": charge["currency"],
                "evidence": {},
                "evidence_details": {
                    "due_by": NOW + 7 * DAY,
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": refundable,
                "livemode": False,
                "metadata": {},
                "payment_intent": charge["payment_intent"],
                "payment_method_details": {
                    "type": "card",
                    "card": {
                        "brand": "visa",
                        "case_type": "chargeback",
                        "network_reason_code": "10.4",
                    },
                },
                "reason": "fraudulent",
                "status": status,
            }
        )

    def portal_configuration(
        self,
        *,
        cancel: bool = True,
        payment_update: bool = True,
        is_default: bool = True,
        active: bool = True,
    ) -> JSON:
        return self.state.add(
            {
                "id": self._id("bpc"),
                "object": "billing_portal.configuration",
                "active": active,
                "application": None,
                "business_profile": {
                    "headline": None,
                    "privacy_policy_url": None,
                    "terms_of_service_url": None,
                },
                "created": NOW - 300 * DAY,
                "default_return_url": "https://acme.test/account",
                "features": {
                    "customer_update": {"allowed_updates": ["email"], "enabled": True},
                    "invoice_history": {"enabled": True},
                    "payment_method_update": {
                        "enabled": payment_update,
                        "payment_method_configuration": None,
                    },
                    "subscription_cancel": {
                        "cancellation_reason": {"enabled": False, "options": []},
                        "enabled": cancel,
                        "mode": "at_period_end",
                        "proration_behavior": "none",
                    },
                    "subscription_update": {
                        "default_allowed_updates": [],
                        "enabled": False,
                        "proration_behavior": "none",
                        "schedule_at_period_end": {"conditions": []},
                        "trial_update_behavior": "end_trial",
                        "billing_cycle_anchor": None,
                    },
                    "subscription_pause": {"enabled": False},
                },
                "is_default": is_default,
                "livemode": False,
                "login_page": {"enabled": False, "url": None},
                "metadata": {},
                "updated": NOW - 300 * DAY,
                "name": None,
            }
        )


@pytest.fixture
def world() -> World:
    return World(SandboxState())


@pytest.fixture
def sandbox(world: World) -> Sandbox:
    return Sandbox(world.state, now=DEFAULT_TEST_NOW)


@pytest.fixture
def client(sandbox: Sandbox) -> stripe.StripeClient:
    return sandbox.stripe_client("sk_test_engine1234")


@pytest.fixture
def acme(world: World) -> dict[str, Any]:
    """One customer with a card, a monthly subscription, two paid invoices and their charges,
    a partial refund, a duplicate-email customer, and a default portal configuration."""
    jane = world.customer(
        "jane@example.com", name="Jane Doe", metadata={"github": "janed"}, phone="+15555550100"
    )
    pm = world.payment_method(jane)
    product = world.product("Pro")
    price = world.price(product, 2000)
    sub = world.subscription(jane, price)
    inv_old = world.invoice(jane, sub, 2000, created=NOW - 40 * DAY)
    _, ch_old = world.payment(jane, inv_old, 2000, created=NOW - 40 * DAY, pm=pm)
    inv = world.invoice(jane, sub, 2000, created=NOW - 10 * DAY)
    pi, ch = world.payment(jane, inv, 2000, created=NOW - 10 * DAY, pm=pm)
    refund = world.refund(ch_old, 500)
    other = world.customer("Jane@Example.com", name="Jane D.", created=NOW - 5 * DAY)
    config = world.portal_configuration()
    return {
        "jane": jane,
        "pm": pm,
        "product": product,
        "price": price,
        "sub": sub,
        "inv_old": inv_old,
        "ch_old": ch_old,
        "inv": inv,
        "pi": pi,
        "ch": ch,
        "refund": refund,
        "other": other,
        "config": config,
    }


@pytest.fixture
def many_customers(world: World) -> list[JSON]:
    return [world.customer(f"user{i}@example.com", created=NOW - i * 60) for i in range(25)]


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Instant SDK retry back-off (sync retries otherwise sleep ≥0.5 s)."""
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n, r=None: 0.0)
    return
