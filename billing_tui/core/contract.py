"""The contract shape an operator confirms before money moves on annual, team or prorated plans.

:func:`contract_check` lists, for every live subscription, its price, interval, seats, period
and pending prorations, with the reasons the check is required. It is part of a
:class:`~billing_tui.core.classify.Classification`; :attr:`ContractCheck.confirmed` gates money.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from billing_tui.core.anomalies import PRORATION_ACTIVITY, Anomaly
from billing_tui.core.model import CustomerSnapshot, Money, Subscription
from billing_tui.core.queries import max_quantity, oldest_first, proration_invoices
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import date_label


@dataclass(frozen=True)
class ContractLine:
    """One subscription's contract shape, as the operator must confirm it."""

    subscription_id: str
    price: str  # price label, e.g. "Team Annual ($240.00/year)"
    interval: str  # e.g. "year", "3 months"
    quantity: int
    period_start: str  # ISO date
    period_end: str
    pending_prorations: str  # e.g. "none" or "2 proration lines, -$12.00 net"


@dataclass(frozen=True)
class ContractCheck:
    """Required for annual plans, team plans and anything with proration activity."""

    reasons: tuple[str, ...]
    lines: tuple[ContractLine, ...]
    confirmed: bool = False


def _interval_text(sub: Subscription) -> str:
    parts: list[str] = []
    for item in sub.items:
        price = item.price
        text = price.interval_label or "one-off"
        if text not in parts:
            parts.append(text)
    return ", ".join(parts) or "unknown"


def _prorations_text(
    snapshot: CustomerSnapshot, sub: Subscription, settings: Settings, now: datetime
) -> str:
    lines = []
    invoices: list[str] = []
    currency = sub.currency
    for invoice in proration_invoices(snapshot, settings, now):
        for line in invoice.prorations_of(sub.id):
            lines.append(line)
            currency = line.amount.currency
            if invoice.id not in invoices:
                invoices.append(invoice.id)
    if not lines:
        return "none"
    net = Money(sum(line.amount.amount for line in lines), currency)
    count = f"{len(lines)} proration line{'s' if len(lines) != 1 else ''}"
    return f"{count}, {net.format()} net ({', '.join(invoices)})"


def contract_check(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    settings: Settings = DEFAULT_SETTINGS,
    now: datetime | None = None,
) -> ContractCheck | None:
    """The contract shape to confirm, when a live plan is annual, a team plan, or prorated."""
    when = now or snapshot.loaded_at
    live = oldest_first(snapshot.live_subscriptions)
    reasons: list[str] = []
    for sub in live:
        if "year" in sub.intervals:
            reasons.append(f"{sub.id} is billed yearly")
        seats = max_quantity(sub)
        if seats > 1:
            reasons.append(f"{sub.id} has {seats} seats")
    for anomaly in anomalies:
        if anomaly.code == PRORATION_ACTIVITY:
            invoices = [r for r in anomaly.refs if r.startswith("in_")] or list(anomaly.refs)
            reasons.append(f"recent proration on {', '.join(invoices)}")
    if not reasons:
        return None
    lines = tuple(
        ContractLine(
            subscription_id=sub.id,
            price=sub.label,
            interval=_interval_text(sub),
            quantity=max_quantity(sub),
            period_start=_iso(sub.current_period_start),
            period_end=_iso(sub.current_period_end),
            pending_prorations=_prorations_text(snapshot, sub, settings, when),
        )
        for sub in live
    )
    return ContractCheck(reasons=tuple(reasons), lines=lines)


def _iso(value: datetime | None) -> str:
    return date_label(value, "unknown")
