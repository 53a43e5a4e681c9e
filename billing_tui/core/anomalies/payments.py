"""Detectors of how a customer pays: failed and incomplete payments, cards, missing methods."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from billing_tui.core.anomalies.base import (
    CARD_EXPIRED,
    CARD_EXPIRES_BEFORE_RENEWAL,
    INCOMPLETE_CHECKOUT,
    NO_PAYMENT_METHOD,
    PAYMENT_FAILED,
    TRIAL_ENDING_WITHOUT_PAYMENT_METHOD,
    Anomaly,
    anomaly,
    capitalised,
    date_text,
)
from billing_tui.core.model import (
    CardDetails,
    Customer,
    CustomerSnapshot,
    Invoice,
    SubscriptionStatus,
)
from billing_tui.core.queries import (
    default_card,
    has_payment_method,
    live_by_customer,
    live_customers,
    oldest_first,
    subscription_name,
)
from billing_tui.core.settings import Settings
from billing_tui.core.text import card_label, human_gap


def _failure_reason(snapshot: CustomerSnapshot, invoice: Invoice) -> str:
    failed = [
        c
        for c in snapshot.charges
        if c.status == "failed"
        and (
            any(p.charge_id == c.id for p in invoice.payments)
            or (
                c.payment_intent_id is not None
                and any(p.payment_intent_id == c.payment_intent_id for p in invoice.payments)
            )
        )
    ]
    if not failed:
        return ""
    last = max(failed, key=lambda c: (c.created, c.id))
    reason = last.failure_message or last.failure_code
    return f" ({reason})" if reason else ""


def _invoice_failure(snapshot: CustomerSnapshot, invoice: Invoice) -> str:
    attempts = "attempt" if invoice.attempt_count == 1 else "attempts"
    retry = (
        f"; next retry {date_text(invoice.next_payment_attempt)}"
        if invoice.next_payment_attempt
        else "; no retry scheduled"
    )
    return (
        f"invoice {invoice.id} for {invoice.amount_remaining.format()} failed "
        f"{invoice.attempt_count} {attempts}{_failure_reason(snapshot, invoice)}{retry}"
    )


def detect_payment_failed(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    failed_invoices = sorted(
        (i for i in snapshot.invoices if i.status == "open" and i.attempt_count >= 1),
        key=lambda i: (i.created, i.id),
    )
    covered: set[str] = set()
    found: list[Anomaly] = []
    for sub in oldest_first(snapshot.subscriptions):
        if sub.status not in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
            continue
        invoices = [i for i in failed_invoices if i.subscription_id == sub.id]
        covered.update(i.id for i in invoices)
        status = "past due" if sub.status == SubscriptionStatus.PAST_DUE else "unpaid"
        what = "; ".join(_invoice_failure(snapshot, i) for i in invoices)
        detail = f"{subscription_name(sub)} ({sub.id}) is {status}" + (f": {what}" if what else "")
        found.append(
            anomaly(
                PAYMENT_FAILED,
                "Payment failed",
                detail,
                [sub.id, *(i.id for i in invoices)],
            )
        )
    for invoice in failed_invoices:
        if invoice.id in covered:
            continue
        refs = [invoice.subscription_id, invoice.id] if invoice.subscription_id else [invoice.id]
        found.append(
            anomaly(
                PAYMENT_FAILED,
                "Payment failed",
                capitalised(_invoice_failure(snapshot, invoice)),
                refs,
            )
        )
    return found


def detect_incomplete_checkout(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for sub in oldest_first(snapshot.subscriptions):
        if sub.status == SubscriptionStatus.INCOMPLETE:
            detail = (
                f"{subscription_name(sub)} ({sub.id}) was started {date_text(sub.created)} but its "
                "first payment never completed"
            )
        elif sub.status == SubscriptionStatus.INCOMPLETE_EXPIRED:
            detail = (
                f"{subscription_name(sub)} ({sub.id}) expired unpaid: the checkout of "
                f"{date_text(sub.created)} was never completed"
            )
        else:
            continue
        found.append(anomaly(INCOMPLETE_CHECKOUT, "Incomplete checkout", detail, (sub.id,)))
    return found


def _default_cards(snapshot: CustomerSnapshot) -> Iterator[tuple[Customer, str, CardDetails]]:
    """Each live customer with a known default card: the customer, the method id, the card."""
    for customer in live_customers(snapshot):
        default = default_card(snapshot, customer)
        if default is not None:
            yield customer, *default


def detect_card_expired(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for customer, pm_id, card in _default_cards(snapshot):
        if card.expires_before(now):
            found.append(
                anomaly(
                    CARD_EXPIRED,
                    "Card expired",
                    f"The default card {card_label(card)} of {customer.id} expired {card.expiry}",
                    (pm_id,),
                )
            )
    return found


def detect_card_expires_before_renewal(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    live = live_by_customer(snapshot)
    for customer, pm_id, card in _default_cards(snapshot):
        if card.expires_before(now):
            continue
        # Each renewing subscription's next renewal: any that falls after the card's last valid day.
        affected = [
            s
            for s in live.get(customer.id, [])
            if not s.cancel_at_period_end
            and s.cancel_at is None
            and s.current_period_end is not None
            and card.expires_before(s.current_period_end)
        ]
        if not affected:
            continue
        first = min(affected, key=lambda s: (s.current_period_end or now, s.id))
        found.append(
            anomaly(
                CARD_EXPIRES_BEFORE_RENEWAL,
                "Card expires before renewal",
                f"The default card {card_label(card)} expires {card.expiry}, before "
                f"{subscription_name(first)} renews on {date_text(first.current_period_end)}",
                [pm_id, *(s.id for s in affected)],
            )
        )
    return found


def detect_no_payment_method(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    if snapshot.failed("payment_methods"):
        return []  # unknown is not "none": the failure is shown elsewhere
    found: list[Anomaly] = []
    live = live_by_customer(snapshot)
    for customer in live_customers(snapshot):
        if has_payment_method(snapshot, customer):
            continue
        subs = [
            s
            for s in live.get(customer.id, [])
            if s.collection_method == "charge_automatically"
            and s.status != SubscriptionStatus.TRIALING
        ]
        if not subs:
            continue
        names = ", ".join(f"{subscription_name(s)} ({s.id})" for s in subs)
        found.append(
            anomaly(
                NO_PAYMENT_METHOD,
                "No payment method",
                f"{customer.id} has no payment method, but {names} charges automatically",
                [customer.id, *(s.id for s in subs)],
            )
        )
    return found


def detect_trial_ending_without_payment_method(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    if snapshot.failed("payment_methods"):
        return []
    horizon = now + timedelta(days=settings.trial_warning_days)
    found: list[Anomaly] = []
    for sub in oldest_first(snapshot.subscriptions):
        if sub.status != SubscriptionStatus.TRIALING or sub.trial_end is None:
            continue
        if sub.trial_end > horizon:
            continue
        customer = snapshot.customer(sub.customer_id)
        if customer is None or has_payment_method(snapshot, customer):
            continue
        left = (sub.trial_end - now).total_seconds()
        when = f"in {human_gap(left)}" if left >= 0 else f"{human_gap(left)} ago"
        found.append(
            anomaly(
                TRIAL_ENDING_WITHOUT_PAYMENT_METHOD,
                "Trial ending, no payment method",
                f"The trial of {subscription_name(sub)} ({sub.id}) ends {when} "
                f"({date_text(sub.trial_end)}) and {sub.customer_id} has no payment method",
                (sub.id,),
            )
        )
    return found
