"""Account-wide plan analysis over model objects: plan mix, intervals, seats, churn, conversions.

Pure functions; the sweep (``billing_tui.gateway``) loads the subscriptions, these compute.
Every money figure is kept per currency: amounts in different currencies are never added.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from billing_tui.core.model import Money, Price, Subscription, SubscriptionStatus

#: Words in a product or price name that mark a per-seat (team) price.
TEAM_MARKERS = ("team", "seat", "business")

#: Seat histogram buckets: (label, lowest quantity, highest quantity).
SEAT_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("1", 1, 1),
    ("2–5", 2, 5),
    ("6–10", 6, 10),
    ("11–25", 11, 25),
    ("26–50", 26, 50),
    ("51+", 51, 10**9),
)


def _counts_as_active(sub: Subscription) -> bool:
    return sub.status in {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.UNPAID,
    }


def is_team_price(product_name: str, price_label: str) -> bool:
    text = f"{product_name} {price_label}".lower()
    return any(marker in text for marker in TEAM_MARKERS)


def interval_name(interval: str | None, count: int) -> str:
    if interval is None:
        return "one-off"
    if interval == "month" and count == 1:
        return "monthly"
    if interval == "year" and count == 1:
        return "annual"
    return f"every {count} {interval}s" if count > 1 else f"{interval}ly"


# --------------------------------------------------------------------------- plan mix


@dataclass(frozen=True)
class PlanMixRow:
    product_id: str
    product_name: str
    price_id: str
    price_label: str
    interval: str  # "monthly", "annual", "every 3 months" …
    currency: str
    subscriptions: int
    seats: int
    mrr: Money
    share: float  # of the total MRR in this currency, 0..1

    @property
    def arr(self) -> Money:
        return self.mrr.times(12)


def mrr_by_currency(subscriptions: Iterable[Subscription]) -> dict[str, Money]:
    """Total MRR per currency; invariant to order and to how the input is split."""
    totals: dict[str, Money] = {}
    for sub in subscriptions:
        mrr = sub.mrr
        totals[sub.currency] = totals.get(sub.currency, Money.zero(sub.currency)) + mrr
    return dict(sorted(totals.items()))


@dataclass
class _PriceTally:
    price: Price
    subscription_ids: set[str]
    seats: int
    mrr: Money


def plan_mix(subscriptions: Iterable[Subscription]) -> tuple[PlanMixRow, ...]:
    """Active subscriptions, seats and MRR per price, biggest MRR first within each currency."""
    subs = [s for s in subscriptions if _counts_as_active(s)]
    tallies: dict[str, _PriceTally] = {}
    for sub in subs:
        for item in sub.items:
            price = item.price
            tally = tallies.setdefault(
                price.id, _PriceTally(price, set(), 0, Money.zero(price.currency))
            )
            tally.subscription_ids.add(sub.id)
            tally.seats += item.quantity or 0
            tally.mrr = tally.mrr + replace(sub, items=(item,)).mrr
    totals = mrr_by_currency(subs)
    rows = [
        PlanMixRow(
            product_id=t.price.product_id,
            product_name=t.price.product_name,
            price_id=t.price.id,
            price_label=t.price.label,
            interval=interval_name(t.price.interval, t.price.interval_count),
            currency=t.price.currency,
            subscriptions=len(t.subscription_ids),
            seats=t.seats,
            mrr=t.mrr,
            share=_share(t.mrr, totals.get(t.price.currency)),
        )
        for t in tallies.values()
    ]
    rows.sort(key=lambda r: (r.currency, -r.mrr.amount, r.price_id))
    return tuple(rows)


def _share(part: Money, total: Money | None) -> float:
    return part.amount / total.amount if total is not None and total.amount else 0.0


# --------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class IntervalMixRow:
    currency: str
    interval: str
    subscriptions: int
    mrr: Money


def interval_mix(subscriptions: Iterable[Subscription]) -> tuple[IntervalMixRow, ...]:
    counts: Counter[tuple[str, str]] = Counter()
    mrr: dict[tuple[str, str], Money] = {}
    for sub in subscriptions:
        if not _counts_as_active(sub):
            continue
        first = sub.items[0].price if sub.items else None
        name = interval_name(first.interval, first.interval_count) if first else "one-off"
        key = (sub.currency, name)
        counts[key] += 1
        mrr[key] = mrr.get(key, Money.zero(sub.currency)) + sub.mrr
    return tuple(
        IntervalMixRow(currency=c, interval=i, subscriptions=counts[(c, i)], mrr=mrr[(c, i)])
        for c, i in sorted(counts)
    )


@dataclass(frozen=True)
class Conversion:
    customer_id: str
    product_id: str
    monthly_subscription_id: str
    annual_subscription_id: str
    converted_at: datetime


def monthly_to_annual(
    subscriptions: Iterable[Subscription],
    *,
    since: datetime,
    until: datetime,
    gap: timedelta = timedelta(days=7),
) -> tuple[Conversion, ...]:
    """Customers whose monthly subscription was replaced by an annual one of the same product.

    "Replaced": the annual one started in ``[since, until)`` and the monthly one ended (or was
    set to end) within ``gap`` of that start.
    """
    by_customer: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        by_customer[sub.customer_id].append(sub)
    found: list[Conversion] = []
    for customer_id, subs in by_customer.items():
        annual = [s for s in subs if s.intervals == {"year"} and since <= s.created < until]
        monthly = [s for s in subs if s.intervals == {"month"}]
        for a in annual:
            for m in monthly:
                if not (a.product_ids & m.product_ids) or m.created >= a.created:
                    continue
                ended = m.ended_at or m.canceled_at or m.cancel_at
                if ended is None and m.cancel_at_period_end:
                    ended = m.current_period_end
                if ended is not None and abs(ended - a.created) <= gap:
                    found.append(
                        Conversion(
                            customer_id=customer_id,
                            product_id=sorted(a.product_ids & m.product_ids)[0],
                            monthly_subscription_id=m.id,
                            annual_subscription_id=a.id,
                            converted_at=a.created,
                        )
                    )
                    break
    found.sort(key=lambda c: (c.converted_at, c.customer_id))
    return tuple(found)


# --------------------------------------------------------------------------- seats


@dataclass(frozen=True)
class SeatDistribution:
    histogram: tuple[tuple[str, int], ...]  # (bucket label, team subscriptions)
    team_single_seat: tuple[str, ...]  # team subscriptions with 1 seat
    personal_multi_seat: tuple[str, ...]  # personal prices with quantity > 1


def seat_distribution(subscriptions: Iterable[Subscription]) -> SeatDistribution:
    counts: Counter[str] = Counter()
    single: list[str] = []
    multi: list[str] = []
    for sub in subscriptions:
        if not _counts_as_active(sub):
            continue
        for item in sub.items:
            team = is_team_price(item.price.product_name, item.price.nickname or "")
            qty = item.quantity or 0
            if team:
                for label, low, high in SEAT_BUCKETS:
                    if low <= qty <= high:
                        counts[label] += 1
                        break
                if qty == 1:
                    single.append(sub.id)
            elif qty > 1:
                multi.append(sub.id)
    histogram = tuple((label, counts[label]) for label, _, _ in SEAT_BUCKETS)
    return SeatDistribution(histogram, tuple(sorted(set(single))), tuple(sorted(set(multi))))


# --------------------------------------------------------------------------- churn


@dataclass(frozen=True)
class Churn:
    days: int
    canceled: int
    by_reason: tuple[tuple[str, int], ...]
    mrr_lost: tuple[Money, ...]  # one per currency


def churn(subscriptions: Sequence[Subscription], *, now: datetime, days: int) -> Churn:
    """Subscriptions that ended in the last ``days`` days, by Stripe's cancellation reason."""
    start = now - timedelta(days=days)
    ended = [
        s
        for s in subscriptions
        if s.status == SubscriptionStatus.CANCELED
        and (when := s.ended_at or s.canceled_at) is not None
        and start <= when <= now
    ]
    reasons = Counter(s.cancellation_reason or "unknown" for s in ended)
    lost: dict[str, Money] = {}
    for sub in ended:
        was = replace(sub, status=SubscriptionStatus.ACTIVE).mrr  # what it brought in
        lost[sub.currency] = lost.get(sub.currency, Money.zero(sub.currency)) + was
    return Churn(
        days=days,
        canceled=len(ended),
        by_reason=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        mrr_lost=tuple(lost[c] for c in sorted(lost)),
    )


def monthly_churn(
    subscriptions: Sequence[Subscription], *, now: datetime, months: int = 12
) -> tuple[tuple[str, int], ...]:
    """Cancellations per calendar month for the last ``months`` months (oldest first)."""
    labels: list[str] = []
    year, month = now.year, now.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    labels.reverse()
    counts: Counter[str] = Counter()
    for sub in subscriptions:
        when = sub.ended_at or sub.canceled_at
        if sub.status == SubscriptionStatus.CANCELED and when is not None:
            counts[f"{when.year:04d}-{when.month:02d}"] += 1
    return tuple((label, counts[label]) for label in labels)
