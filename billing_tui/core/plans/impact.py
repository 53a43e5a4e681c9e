"""Revenue impact: the MRR / ARR change of a cancel or a seat change, and the proration estimate.

Estimates only: what Stripe bills is what it reports back; the diff marks computed values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from billing_tui.core.model import Money, Subscription, SubscriptionItem


def mrr_change(sub: Subscription, new_quantity: int | None = None) -> Money:
    """MRR delta of cancelling ``sub`` (``new_quantity`` None) or changing its quantity."""
    if new_quantity is None:
        return -sub.mrr
    if not sub.items:
        return Money.zero(sub.currency)
    changed = with_quantity(sub, new_quantity)
    return changed.mrr - sub.mrr


def arr_of(mrr: Money) -> Money:
    """The annual figure of a monthly one."""
    return mrr.times(12)


def with_quantity(sub: Subscription, quantity: int) -> Subscription:
    """``sub`` as it would be with its seat item (:func:`primary_item`) at ``quantity`` seats."""
    item = primary_item(sub)
    return replace(
        sub, items=tuple(replace(i, quantity=quantity) if i is item else i for i in sub.items)
    )


def primary_item(sub: Subscription) -> SubscriptionItem | None:
    """The item a seat change acts on: the one with the most seats (the first of equals)."""
    if not sub.items:
        return None
    return max(sub.items, key=lambda i: ((i.quantity or 1), -sub.items.index(i)))


def proration_estimate(item: SubscriptionItem, old: int, new: int, now: datetime) -> Money:
    """Stripe-style proration: (new - old) × unit × the unused fraction of the period."""
    unit = item.price.unit_amount or 0
    total = (item.current_period_end - item.current_period_start).total_seconds()
    left = (item.current_period_end - now).total_seconds()
    fraction = (
        Decimal(0)
        if total <= 0
        else max(Decimal(0), min(Decimal(1), Decimal(left) / Decimal(total)))
    )
    amount = (Decimal((new - old) * unit) * fraction).quantize(Decimal(1))
    return Money(int(amount), item.price.currency)


def by_currency(values: Iterable[Money]) -> tuple[Money, ...]:
    """One total per currency, by currency code: amounts in different currencies are listed,
    never summed (a customer paying $19.00 and €7.00 has MRR "$19.00 · €7.00")."""
    totals: dict[str, Money] = {}
    for value in values:
        totals[value.currency] = totals.get(value.currency, Money.zero(value.currency)) + value
    return tuple(totals[c] for c in sorted(totals))


def money_text(values: Iterable[Money], joiner: str = " · ") -> str:
    """Per-currency amounts as text (``$19.00 · €7.00``); empty for none."""
    return joiner.join(m.format() for m in by_currency(values))


def mrr_by_currency(subs: Iterable[Subscription]) -> tuple[Money, ...]:
    """The MRR of ``subs``, one figure per currency."""
    return by_currency(s.mrr for s in subs)
