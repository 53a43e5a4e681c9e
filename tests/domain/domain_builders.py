"""Small factories that build model objects for the domain tests (no sandbox, no Stripe).

Every factory takes the few fields a test cares about and fills the rest with plain, valid
defaults, so a test reads as the billing story it checks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from billing_tui.core.model import (
    CardDetails,
    Charge,
    Customer,
    CustomerSnapshot,
    Dispute,
    Invoice,
    InvoiceLine,
    Money,
    Payment,
    PaymentMethod,
    PortalConfiguration,
    Price,
    Refund,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

_seq = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_seq):06d}"


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def later(**kw: float) -> datetime:
    return NOW + timedelta(**kw)


PRO_MONTHLY = Price("price_pro_m", "prod_pro", "Pro", "usd", 1900, "month", nickname="Pro Monthly")
PRO_ANNUAL = Price("price_pro_y", "prod_pro", "Pro", "usd", 19000, "year", nickname="Pro Annual")
TEAM_MONTHLY = Price(
    "price_team_m", "prod_team", "Team", "usd", 1200, "month", nickname="Team Monthly"
)
PRO_MONTHLY_V2 = Price(
    "price_pro_m2", "prod_pro", "Pro", "usd", 2100, "month", nickname="Pro Monthly (2026)"
)


def card(
    last4: str = "4242",
    *,
    brand: str = "visa",
    exp_month: int = 4,
    exp_year: int = 2029,
    fingerprint: str | None = "fpA",
) -> CardDetails:
    return CardDetails(brand, last4, exp_month, exp_year, fingerprint)


def payment_method(
    customer_id: str | None = "cus_1",
    *,
    pm_id: str | None = None,
    details: CardDetails | None = None,
) -> PaymentMethod:
    return PaymentMethod(pm_id or _id("pm"), "card", customer_id, ago(days=300), details or card())


def customer(
    cus_id: str = "cus_1",
    *,
    email: str | None = "jane.doe@example.com",
    created: datetime | None = None,
    **kw: object,
) -> Customer:
    return Customer(cus_id, email, "Jane Doe", created or ago(days=400), **kw)  # type: ignore[arg-type]


def subscription(
    customer_id: str = "cus_1",
    *,
    sub_id: str | None = None,
    price: Price = PRO_MONTHLY,
    prices: Iterable[Price] | None = None,
    quantity: int = 1,
    status: str = "active",
    created: datetime | None = None,
    period_start: datetime | None = None,
    period_end: datetime | None = None,
    metadata: Mapping[str, str] | None = None,
    **kw: object,
) -> Subscription:
    sid = sub_id or _id("sub")
    start = period_start or ago(days=10)
    if period_end is None:
        span = timedelta(days=365) if price.interval == "year" else timedelta(days=30)
        period_end = start + span
    items = tuple(
        SubscriptionItem(_id("si"), p, quantity, start, period_end)
        for p in (prices if prices is not None else [price])
    )
    return Subscription(
        sid,
        customer_id,
        SubscriptionStatus(status),
        items,
        created or ago(days=40),
        items[0].price.currency,
        metadata=MappingProxyType(dict(metadata or {})),
        **kw,  # type: ignore[arg-type]
    )


def charge(
    customer_id: str = "cus_1",
    *,
    ch_id: str | None = None,
    amount: int = 1900,
    currency: str = "usd",
    created: datetime | None = None,
    status: str = "succeeded",
    details: CardDetails | None = None,
    refunded: int = 0,
    refunds: tuple[Refund, ...] = (),
    **kw: object,
) -> Charge:
    money = Money(amount, currency)
    return Charge(
        ch_id or _id("ch"),
        customer_id,
        money,
        money if status == "succeeded" else Money(0, currency),
        Money(refunded, currency),
        status,
        created or ago(days=5),
        paid=status == "succeeded",
        refunded=refunded >= amount,
        card=details or card(),
        payment_intent_id=_id("pi"),
        refunds=refunds,
        **kw,  # type: ignore[arg-type]
    )


def refund(ch: Charge, amount: int | None = None, *, created: datetime | None = None) -> Refund:
    return Refund(
        _id("re"),
        ch.id,
        Money(amount if amount is not None else ch.amount.amount, ch.amount.currency),
        "succeeded",
        created or ch.created + timedelta(days=1),
    )


def refunded_charge(ch: Charge, amount: int | None = None) -> Charge:
    re = refund(ch, amount)
    return replace(ch, amount_refunded=re.amount, refunded=re.amount == ch.amount, refunds=(re,))


def invoice(
    sub: Subscription | None = None,
    *,
    customer_id: str | None = None,
    inv_id: str | None = None,
    status: str = "paid",
    amount: int | None = None,
    created: datetime | None = None,
    paid_by: Charge | None = None,
    attempt_count: int | None = None,
    billing_reason: str = "subscription_create",
    lines: tuple[InvoiceLine, ...] = (),
    **kw: object,
) -> Invoice:
    total = amount if amount is not None else (sub.period_amount.amount if sub else 1900)
    currency = sub.currency if sub else "usd"
    when = created or (sub.created if sub else ago(days=5))
    iid = inv_id or _id("in")
    paid = total if status == "paid" else 0
    payments: tuple[Payment, ...] = ()
    if paid_by is not None:
        payments = (
            Payment(
                _id("inpay"),
                iid,
                Money(total, currency),
                Money(paid, currency),
                "paid" if status == "paid" else "open",
                when,
                payment_intent_id=paid_by.payment_intent_id,
                charge_id=paid_by.id,
            ),
        )
    return Invoice(
        iid,
        customer_id or (sub.customer_id if sub else "cus_1"),
        status,
        Money(total, currency),
        Money(total, currency),
        Money(paid, currency),
        Money(total - paid, currency),
        when,
        subscription_id=sub.id if sub else None,
        billing_reason=billing_reason,
        attempt_count=attempt_count if attempt_count is not None else (1 if paid else 0),
        lines=lines,
        payments=payments,
        **kw,  # type: ignore[arg-type]
    )


def proration_line(
    sub_id: str, amount: int, *, price_id: str | None = None, currency: str = "usd"
) -> InvoiceLine:
    return InvoiceLine(
        _id("il"),
        Money(amount, currency),
        "Unused time" if amount < 0 else "Remaining time",
        ago(days=3),
        later(days=27),
        proration=True,
        subscription_id=sub_id,
        price_id=price_id,
    )


def dispute(ch: Charge, *, status: str = "needs_response", reason: str = "fraudulent") -> Dispute:
    return Dispute(
        _id("dp"),
        ch.id,
        ch.amount,
        status,
        reason,
        ch.created + timedelta(days=3),
        evidence_due_by=NOW + timedelta(days=10),
    )


def portal(
    *,
    cancel: bool = True,
    payment_update: bool = True,
    invoice_history: bool = True,
    active: bool = True,
    portal_id: str = "bpc_default",
) -> PortalConfiguration:
    return PortalConfiguration(
        portal_id,
        active=active,
        is_default=True,
        invoice_history_enabled=invoice_history,
        payment_method_update_enabled=payment_update,
        cancel_enabled=cancel,
        cancel_mode="at_period_end" if cancel else None,
    )


_DEFAULT_PORTAL = object()


def snapshot(
    *,
    customers: Iterable[Customer] | None = None,
    subscriptions: Iterable[Subscription] = (),
    invoices: Iterable[Invoice] = (),
    charges: Iterable[Charge] = (),
    disputes: Iterable[Dispute] = (),
    payment_methods: Iterable[PaymentMethod] | None = None,
    portal_config: PortalConfiguration | object | None = _DEFAULT_PORTAL,
    portal_known: bool = True,
    **kw: object,
) -> CustomerSnapshot:
    """A snapshot at :data:`NOW`; by default one customer with one valid card and a full portal."""
    custs = tuple(customers) if customers is not None else (customer(),)
    pms = (
        tuple(payment_methods)
        if payment_methods is not None
        else tuple(payment_method(c.id) for c in custs)
    )
    config = portal() if portal_config is _DEFAULT_PORTAL else portal_config
    assert config is None or isinstance(config, PortalConfiguration)
    return CustomerSnapshot(
        customers=custs,
        subscriptions=tuple(subscriptions),
        invoices=tuple(invoices),
        charges=tuple(charges),
        disputes=tuple(disputes),
        payment_methods=pms,
        portal=config,
        portal_known=portal_known,
        loaded_at=NOW,
        **kw,  # type: ignore[arg-type]
    )


def paid_subscription(
    customer_id: str = "cus_1",
    *,
    price: Price = PRO_MONTHLY,
    created: datetime | None = None,
    details: CardDetails | None = None,
    quantity: int = 1,
    **kw: object,
) -> tuple[Subscription, Invoice, Charge]:
    """A live subscription with its first invoice, paid by a charge on ``details``."""
    sub = subscription(customer_id, price=price, created=created, quantity=quantity, **kw)
    ch = charge(
        customer_id,
        amount=sub.period_amount.amount,
        currency=sub.currency,
        created=sub.created + timedelta(seconds=5),
        details=details,
    )
    inv = invoice(sub, paid_by=ch)
    return replace(sub, latest_invoice_id=inv.id), inv, ch


def world(*parts: tuple[Subscription, Invoice, Charge], **kw: object) -> CustomerSnapshot:
    """A snapshot of several :func:`paid_subscription` results (plus any extra fields)."""
    extra_subs = tuple(kw.pop("subscriptions", ()))  # type: ignore[call-overload]
    extra_invs = tuple(kw.pop("invoices", ()))  # type: ignore[call-overload]
    extra_chs = tuple(kw.pop("charges", ()))  # type: ignore[call-overload]
    return snapshot(
        subscriptions=(*(p[0] for p in parts), *extra_subs),
        invoices=(*(p[1] for p in parts), *extra_invs),
        charges=(*(p[2] for p in parts), *extra_chs),
        **kw,  # type: ignore[arg-type]
    )
