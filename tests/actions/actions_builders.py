"""Builders for snapshots made of model dataclasses (no Stripe, no sandbox), shared by tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.contract import ContractCheck
from billing_tui.core.model import (
    CardDetails,
    Charge,
    Customer,
    CustomerSnapshot,
    Dispute,
    Invoice,
    Money,
    Payment,
    PortalConfiguration,
    Price,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
VISA = CardDetails("visa", "4242", 12, 2030, fingerprint="fp_same")


def price(
    amount: int = 1900,
    currency: str = "usd",
    interval: str | None = "month",
    count: int = 1,
    *,
    pid: str = "price_pro_monthly",
    product: str = "prod_pro",
    name: str = "Pro",
) -> Price:
    return Price(pid, product, name, currency, amount, interval, count)


def customer(
    cid: str = "cus_jane0001", email: str = "jane.doe@example.com", **kw: object
) -> Customer:
    base = Customer(cid, email, "Jane Doe", NOW - timedelta(days=90))
    return replace(base, **kw)  # type: ignore[arg-type]


def subscription(
    sid: str,
    *,
    cust: str = "cus_jane0001",
    p: Price | None = None,
    quantity: int = 1,
    created: datetime | None = None,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    period_days: int = 30,
    **kw: object,
) -> Subscription:
    p = p or price()
    start = (created or NOW - timedelta(days=5)).replace(microsecond=0)
    item = SubscriptionItem(
        f"si_{sid[4:]}", p, quantity, start, start + timedelta(days=period_days)
    )
    base = Subscription(
        sid, cust, status, (item,), start, p.currency, latest_invoice_id=f"in_{sid[4:]}"
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def paid_invoice_and_charge(
    sub: Subscription, *, refunded: int = 0, disputed: bool = False, card: CardDetails = VISA
) -> tuple[Invoice, Charge]:
    amount = sub.period_amount
    inv_id = f"in_{sub.id[4:]}"
    ch_id = f"ch_{sub.id[4:]}"
    charge = Charge(
        ch_id,
        sub.customer_id,
        amount,
        amount,
        Money(refunded, amount.currency),
        "succeeded",
        sub.created,
        paid=True,
        refunded=refunded >= amount.amount,
        disputed=disputed,
        payment_intent_id=f"pi_{sub.id[4:]}",
        card=card,
    )
    payment = Payment(
        f"inpay_{sub.id[4:]}", inv_id, amount, amount, "paid", sub.created, charge_id=ch_id
    )
    invoice = Invoice(
        inv_id,
        sub.customer_id,
        "paid",
        amount,
        amount,
        amount,
        Money.zero(amount.currency),
        sub.created,
        subscription_id=sub.id,
        billing_reason="subscription_create",
        payments=(payment,),
    )
    return invoice, charge


def portal(**kw: object) -> PortalConfiguration:
    base = PortalConfiguration(
        "bpc_default01",
        active=True,
        is_default=True,
        payment_method_update_enabled=True,
        cancel_enabled=True,
        cancel_mode="at_period_end",
        update_enabled=True,
        invoice_history_enabled=True,
        default_return_url="https://example.com/account",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def snapshot(
    *,
    customers: tuple[Customer, ...] | None = None,
    subs: tuple[Subscription, ...] = (),
    invoices: tuple[Invoice, ...] = (),
    charges: tuple[Charge, ...] = (),
    disputes: tuple[Dispute, ...] = (),
    portal_config: PortalConfiguration | None = None,
    portal_known: bool = True,
) -> CustomerSnapshot:
    return CustomerSnapshot(
        customers=customers or (customer(),),
        subscriptions=subs,
        invoices=invoices,
        charges=charges,
        disputes=disputes,
        portal=portal_config,
        portal_known=portal_known,
        loaded_at=NOW,
    )


def duplicate_snapshot(
    *, refunded: int = 0, disputed: bool = False, dispute: Dispute | None = None
) -> CustomerSnapshot:
    first = subscription("sub_orig0001", created=NOW - timedelta(days=3))
    second = subscription("sub_dupe0002", created=NOW - timedelta(days=3) + timedelta(seconds=94))
    inv1, ch1 = paid_invoice_and_charge(first)
    inv2, ch2 = paid_invoice_and_charge(second, refunded=refunded, disputed=disputed)
    return snapshot(
        subs=(first, second),
        invoices=(inv1, inv2),
        charges=(ch1, ch2),
        disputes=(dispute,) if dispute else (),
        portal_config=portal(),
    )


def classified(
    bucket: Bucket | None, *, confirm: bool = True, contract: bool = False
) -> Classification:
    check = ContractCheck(reasons=("annual plan",), lines=()) if contract else None
    c = Classification(suggested=bucket, confidence=0.9, evidence=(), questions=(), contract=check)
    if confirm and bucket is not None:
        c = c.confirm()
    return c
