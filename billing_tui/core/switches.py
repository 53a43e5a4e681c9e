"""Plan switches: a customer moving from monthly to annual billing, which is not a duplicate.

:func:`plan_switches` finds a live annual subscription next to a live monthly one of the same
product, one that replaced a recently canceled monthly, or a price changed in place (a
prorated invoice). The classifier votes ``missing_self_serve`` on each (the customer could not
switch themselves) and explains the charges instead of refunding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from billing_tui.core.model import Charge, CustomerSnapshot, Subscription, SubscriptionStatus
from billing_tui.core.queries import oldest_first, proration_invoices, subscription_name
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import date_label, human_gap


@dataclass(frozen=True)
class PlanSwitch:
    """A customer moved from one plan interval to another (usually monthly → annual)."""

    new: Subscription
    old: Subscription | None  # None: the price changed in place on ``new``
    sentence: str
    charge_ids: tuple[str, ...] = ()  # the last monthly and first annual charges, when close

    @property
    def refs(self) -> tuple[str, ...]:
        subs = (self.old.id, self.new.id) if self.old is not None else (self.new.id,)
        return subs + self.charge_ids


def _switch_charges(
    snapshot: CustomerSnapshot, old: Subscription, new: Subscription
) -> tuple[str, tuple[str, ...]]:
    """``"; ch_a ($19.00) … ch_b (…) …"`` when the two plans were each charged within a week."""

    def paid(sub: Subscription) -> list[Charge]:
        return sorted(
            (
                c
                for inv in snapshot.invoices_of(sub.id)
                for c in snapshot.charges_of_invoice(inv)
                if c.status == "succeeded"
            ),
            key=lambda c: (c.created, c.id),
        )

    old_paid, new_paid = paid(old), paid(new)
    if not old_paid or not new_paid:
        return "", ()
    last, first = old_paid[-1], new_paid[0]
    if abs((first.created - last.created).total_seconds()) > 7 * 86400:
        return "", ()
    text = (
        f"; the charges {last.id} ({last.amount.format()}) and {first.id} "
        f"({first.amount.format()}) are the last monthly payment and the first annual one"
    )
    return text, (last.id, first.id)


def plan_switches(
    snapshot: CustomerSnapshot, settings: Settings = DEFAULT_SETTINGS, now: datetime | None = None
) -> tuple[PlanSwitch, ...]:
    """Monthly → annual moves: both live, a recently canceled monthly replaced, or in place."""
    when = now or snapshot.loaded_at
    since = when - timedelta(days=settings.proration_lookback_days)
    subs = oldest_first(snapshot.subscriptions)
    found: list[PlanSwitch] = []
    for new in subs:
        if not new.is_live or "year" not in new.intervals:
            continue
        swaps = [
            switch
            for old in _monthly_before(subs, new)
            if (switch := _swap(snapshot, old, new, since)) is not None
        ]
        found.extend(swaps)
        if not swaps and (changed := _price_changed(snapshot, new, settings, when)) is not None:
            found.append(changed)
    return tuple(found)


def _monthly_before(subs: list[Subscription], new: Subscription) -> list[Subscription]:
    """The customer's subscriptions, created no later than ``new``, with a monthly price of a
    product that ``new`` bills yearly."""
    annual_products = {i.price.product_id for i in new.items if i.price.interval == "year"}
    return [
        s
        for s in subs
        if s.id != new.id
        and s.customer_id == new.customer_id
        and s.created <= new.created
        and any(
            i.price.interval == "month" and i.price.product_id in annual_products for i in s.items
        )
    ]


def _swap(
    snapshot: CustomerSnapshot, old: Subscription, new: Subscription, since: datetime
) -> PlanSwitch | None:
    """``old`` (monthly) and ``new`` (annual) both live, or ``old`` canceled since ``since``."""
    ended = old.canceled_at or old.ended_at
    if old.is_live:
        how = "are both live"
    elif old.status == SubscriptionStatus.CANCELED and ended is not None and ended >= since:
        how = f"were swapped: the monthly was canceled {_relative(ended, new.created)}"
    else:
        return None
    charges_text, charge_ids = _switch_charges(snapshot, old, new)
    return PlanSwitch(
        new,
        old,
        f"{subscription_name(old)} ({old.id}) and {subscription_name(new)} "
        f"({new.id}) {how} — a move to annual billing, not a second "
        f"checkout{charges_text}",
        charge_ids,
    )


def _price_changed(
    snapshot: CustomerSnapshot, new: Subscription, settings: Settings, when: datetime
) -> PlanSwitch | None:
    """A recent prorated invoice of ``new`` whose lines name a price it no longer has."""
    for invoice in proration_invoices(snapshot, settings, when):
        if any(
            line.price_id is not None and line.price_id not in new.price_ids
            for line in invoice.prorations_of(new.id)
        ):
            return PlanSwitch(
                new,
                None,
                f"{new.id} changed price to {subscription_name(new)} on "
                f"{date_label(invoice.created)} ({invoice.id} prorates the unused "
                "time): a plan switch, not a second purchase",
            )
    return None


def _relative(when: datetime, anchor: datetime) -> str:
    seconds = (when - anchor).total_seconds()
    if abs(seconds) < 3600:
        return "as the annual started"
    side = "after" if seconds > 0 else "before"
    return f"{human_gap(seconds)} {side} the annual started"
