"""Hand-built sandbox states for the engine tests (wire-shaped dicts as Stripe returns them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox, resources
from billing_tui.sandbox.state import SandboxState

NOW = int(DEFAULT_TEST_NOW.timestamp())
DAY = 86_400
JSON = dict[str, Any]


class World:
    """Builds a consistent little Stripe account inside a state, through the sandbox's own
    factories (``billing_tui.sandbox.resources``): an object here looks exactly like one the
    catalog, the population or an endpoint makes."""

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
        return resources.customer(
            self.state,
            id=self._id("cus"),
            email=email,
            name=name,
            created=created,
            metadata=metadata,
            balance=balance,
            default_payment_method=default_pm,
            phone=phone,
            invoice_prefix="ABC123",
        )

    def product(self, name: str) -> JSON:
        return resources.product(
            self.state, id=self._id("prod"), name=name, created=NOW - 400 * DAY
        )

    def price(
        self, product: JSON, amount: int, interval: str = "month", currency: str = "usd"
    ) -> JSON:
        return resources.price(
            self.state,
            id=self._id("price"),
            product=product["id"],
            unit_amount=amount,
            currency=currency,
            interval=interval,
            created=NOW - 400 * DAY,
        )

    def payment_method(
        self,
        customer: JSON,
        *,
        last4: str = "4242",
        exp_month: int = 8,
        exp_year: int = 2030,
        fingerprint: str = "fpA",
        make_default: bool = True,
    ) -> JSON:
        return resources.payment_method(
            self.state,
            id=self._id("pm"),
            customer=customer["id"],
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            fingerprint=fingerprint,
            created=NOW - 90 * DAY,
            make_default=make_default,
        )

    def subscription(
        self,
        customer: JSON,
        price: JSON,
        *,
        status: str = "active",
        created: int = NOW - 40 * DAY,
        quantity: int = 1,
        anchor: int = NOW - 10 * DAY,
        metadata: dict[str, str] | None = None,
    ) -> JSON:
        """A one-item subscription; its current period runs from ``anchor`` (monthly: to about
        20 days from now)."""
        return resources.subscription(
            self.state,
            id=self._id("sub"),
            customer=customer["id"],
            items=[(price["id"], quantity)],
            item_ids=[self._id("si")],
            created=created,
            status=status,
            billing_cycle_anchor=anchor,
            metadata=metadata,
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
        line: JSON = {
            "id": self._id("il"),
            "amount": amount,
            "description": "1 × Pro (at $20.00 / month)",
            "period_start": created,
            "period_end": created + 30 * DAY,
        }
        if sub is not None:
            item = sub["items"]["data"][0]
            line.update(price=item["price"]["id"], subscription_item=item["id"])
        return resources.invoice(
            self.state,
            id=self._id("in"),
            customer=customer["id"],
            lines=[line],
            created=created,
            status=status,
            subscription=sub["id"] if sub else None,
            attempt_count=attempt_count,
            period_start=created - 30 * DAY,
            period_end=created,
            next_payment_attempt=None if status == "paid" else created + 3 * DAY,
        )

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
        """A PaymentIntent with its charge (and the InvoicePayment when an invoice is given);
        paid with ``pm``, else a new (non-default) card of the customer."""
        card = pm or self.payment_method(customer, make_default=False)
        ok = status == "succeeded"
        pi_id, ch_id = self._id("pi"), self._id("ch")
        intent = resources.payment_intent(
            self.state,
            id=pi_id,
            customer=customer["id"],
            amount=amount,
            currency="usd",
            status="succeeded" if ok else "requires_payment_method",
            payment_method=card["id"],
            latest_charge=ch_id,
            created=created,
            description="Subscription update",
        )
        charge = resources.charge(
            self.state,
            id=ch_id,
            customer=customer["id"],
            amount=amount,
            currency="usd",
            payment_method=card["id"],
            payment_intent=pi_id,
            status="succeeded" if ok else "failed",
            created=created,
            description="Subscription update",
            balance_transaction=self._id("txn"),
        )
        if invoice is not None:
            resources.invoice_payment(
                self.state,
                id=self._id("inpay"),
                invoice=invoice["id"],
                payment_intent=pi_id,
                amount_requested=amount,
                status="paid" if ok else "open",
                created=created,
            )
        return intent, charge

    def refund(self, charge: JSON, amount: int, *, created: int = NOW - 5 * DAY) -> JSON:
        return resources.refund(
            self.state,
            id=self._id("re"),
            charge=charge["id"],
            amount=amount,
            reason="requested_by_customer",
            created=created,
            balance_transaction=self._id("txn"),
        )

    def dispute(
        self, charge: JSON, *, refundable: bool = False, status: str = "needs_response"
    ) -> JSON:
        """``refundable`` is what the status implies: an inquiry (``warning_*``) can still be
        refunded, a chargeback cannot."""
        assert refundable == status.startswith("warning_"), "refundable follows the status"
        return resources.dispute(
            self.state,
            id=self._id("dp"),
            charge=charge["id"],
            reason="fraudulent",
            status=status,
            created=NOW - 2 * DAY,
            due_by=NOW + 7 * DAY,
        )

    def portal_configuration(
        self,
        *,
        cancel: bool = True,
        payment_update: bool = True,
        is_default: bool = True,
        active: bool = True,
    ) -> JSON:
        return resources.portal_configuration(
            self.state,
            id=self._id("bpc"),
            is_default=is_default,
            active=active,
            created=NOW - 300 * DAY,
            subscription_cancel=cancel,
            payment_method_update=payment_update,
            subscription_update=False,
            default_return_url="https://acme.test/account",
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
