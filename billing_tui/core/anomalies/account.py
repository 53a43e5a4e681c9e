"""Detectors of the account around a customer: prorations, balances, the billing portal."""

from __future__ import annotations

from datetime import datetime

from billing_tui.core.anomalies.base import (
    CUSTOMER_BALANCE,
    PORTAL_CANCEL_DISABLED,
    PORTAL_INVOICE_HISTORY_DISABLED,
    PORTAL_MISSING,
    PORTAL_PAYMENT_UPDATE_DISABLED,
    PRORATION_ACTIVITY,
    Anomaly,
    anomaly,
    date_text,
)
from billing_tui.core.model import CustomerSnapshot, Money
from billing_tui.core.queries import live_customers, proration_invoices
from billing_tui.core.settings import Settings


def detect_proration_activity(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    invoices = proration_invoices(snapshot, settings, now)
    if not invoices:
        return []
    parts: list[str] = []
    sub_ids: list[str] = []
    for invoice in invoices:
        lines = invoice.proration_lines
        net = invoice.proration_net
        count = f"{len(lines)} proration line{'s' if len(lines) != 1 else ''}"
        parts.append(f"{invoice.id} of {date_text(invoice.created)} ({count}, {net.format()} net)")
        for sid in [invoice.subscription_id, *(line.subscription_id for line in lines)]:
            if sid and sid not in sub_ids:
                sub_ids.append(sid)
    return [
        anomaly(
            PRORATION_ACTIVITY,
            "Recent proration",
            "Prorated changes in the last "
            f"{settings.proration_lookback_days} days: {'; '.join(parts)}. Check the contract "
            "shape before acting",
            [*(i.id for i in invoices), *sub_ids],
        )
    ]


def detect_customer_balance(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for customer in live_customers(snapshot):
        if customer.balance == 0:
            continue
        money = customer.balance_money
        amount = (
            Money(abs(customer.balance), money.currency).format()
            if money is not None
            else f"{abs(customer.balance)} minor units (currency unknown)"
        )
        if customer.balance < 0:
            detail = f"{customer.id} has a credit of {amount}, applied to the next invoices"
        else:
            detail = f"{customer.id} owes {amount}, added to the next invoice"
        found.append(anomaly(CUSTOMER_BALANCE, "Customer balance", detail, (customer.id,)))
    return found


def detect_portal(snapshot: CustomerSnapshot, settings: Settings, now: datetime) -> list[Anomaly]:
    if not snapshot.portal_known:
        return []  # the portal could not be read: the failure is shown, not guessed at
    portal = snapshot.portal
    if portal is None or not portal.active:
        return [
            anomaly(
                PORTAL_MISSING,
                "No billing portal",
                "No active billing-portal configuration applies to this customer: they cannot "
                "cancel, change card or see invoices themselves",
            )
        ]
    found: list[Anomaly] = []
    if not portal.cancel_enabled:
        found.append(
            anomaly(
                PORTAL_CANCEL_DISABLED,
                "Portal cannot cancel",
                f"The billing portal ({portal.id}) has cancellation turned off: the customer "
                "cannot cancel by themselves",
                (portal.id,),
            )
        )
    if not portal.payment_method_update_enabled:
        found.append(
            anomaly(
                PORTAL_PAYMENT_UPDATE_DISABLED,
                "Portal cannot update card",
                f"The billing portal ({portal.id}) does not let the customer change their "
                "payment method",
                (portal.id,),
            )
        )
    if not portal.invoice_history_enabled:
        found.append(
            anomaly(
                PORTAL_INVOICE_HISTORY_DISABLED,
                "Portal hides invoices",
                f"The billing portal ({portal.id}) does not show the invoice history",
                (portal.id,),
            )
        )
    return found
