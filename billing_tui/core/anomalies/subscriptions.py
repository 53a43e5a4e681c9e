"""Detectors of what a customer holds: duplicates, team purchases, mixed intervals, cancellations.

The groups of duplicate subscriptions come from :func:`billing_tui.core.queries.duplicate_groups`
(the one definition the planner reads too); these functions only phrase them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from billing_tui.core.anomalies.base import (
    CANCEL_PENDING,
    CROSS_CUSTOMER_DUPLICATE,
    DUPLICATE_CUSTOMER,
    DUPLICATE_SUBSCRIPTION,
    MIXED_INTERVAL,
    TEAM_PURCHASE_PATTERN,
    Anomaly,
    anomaly,
    date_text,
)
from billing_tui.core.model import CustomerSnapshot, Subscription
from billing_tui.core.queries import (
    CardRef,
    customers_by_email,
    duplicate_groups,
    live_by_customer,
    live_customers,
    oldest_first,
    paying_card,
    person,
    plan_name,
    seat_item,
    seats_text,
    shared_plans,
    subscription_name,
)
from billing_tui.core.settings import Settings
from billing_tui.core.text import card_label, human_gap, human_span, mask_email, normalise_email


def _card_sentence(refs: Sequence[CardRef | None]) -> str:
    if any(r is None for r in refs):
        return "the paying card is unknown for at least one of them"
    known = [r for r in refs if r is not None]
    keys = {r.key for r in known}
    if len(keys) == 1:
        return f"paid by the same card ({card_label(known[0].card)})"
    labels = ", ".join(dict.fromkeys(card_label(r.card) for r in known))
    return f"paid by different cards ({labels})"


def _quantities(subs: Sequence[Subscription]) -> str:
    """``quantity 1 each``, ``quantity 5 each``, or each one's items when they differ."""
    shapes = [seats_text(s) for s in subs]
    if len(set(shapes)) == 1 and len(subs[0].items) == 1:
        return f"quantity {subs[0].items[0].quantity or 1} each"
    if len(set(shapes)) == 1:
        return f"{shapes[0]} each"
    return "holding " + ", ".join(f"{s.id}: {shape}" for s, shape in zip(subs, shapes, strict=True))


def detect_duplicate_subscription(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for group in duplicate_groups(snapshot, settings):
        subs = group.subscriptions
        plans = shared_plans(subs[0], subs[1])
        name = plan_name(plans[0]) if plans else subscription_name(subs[0])
        if len(subs) == 2:
            apart = f"created {human_gap(group.spread_seconds)} apart"
        else:
            apart = f"created within {human_span(group.spread_seconds)}"
        cards = _card_sentence([paying_card(snapshot, s) for s in subs])
        found.append(
            anomaly(
                DUPLICATE_SUBSCRIPTION,
                "Duplicate subscription",
                f"{len(subs)} subscriptions to {name} {apart}, {cards}, {_quantities(subs)}",
                group.ids,
            )
        )
    return found


def detect_duplicate_customer(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    by_email = customers_by_email(live_customers(snapshot))
    found: list[Anomaly] = []
    for customers in by_email.values():
        if len(customers) < 2:
            continue
        spellings = {c.email for c in customers}
        how = " (spelled differently)" if len(spellings) > 1 else ""
        listing = ", ".join(f"{c.id} created {date_text(c.created)}" for c in customers)
        masked = mask_email(normalise_email(customers[0].email))
        found.append(
            anomaly(
                DUPLICATE_CUSTOMER,
                "Several customers, one email",
                f"{len(customers)} customer records share {masked}{how}: {listing}",
                (c.id for c in customers),
            )
        )
    return found


def detect_cross_customer_duplicate(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for group in duplicate_groups(snapshot, settings, across_customers=True):
        if not group.across_customers:
            continue
        listing = ", ".join(f"{s.id} on {s.customer_id}" for s in group.subscriptions)
        found.append(
            anomaly(
                CROSS_CUSTOMER_DUPLICATE,
                "Same product on two customer records",
                f"{group.product_name} is live on {len(group.owners)} customer records for "
                f"{mask_email(group.email)}: {listing}",
                group.ids,
            )
        )
    return found


def _seat_anomaly(sub: Subscription, duplicated: set[str], settings: Settings) -> Anomaly | None:
    """A subscription's seats as a team purchase; None for a member of a duplicate group: its
    members name no different people or teams, so their quantity is the same purchase made
    again (the repeated purchase is the finding, not team intent)."""
    item = seat_item(sub)
    seats = (item.quantity or 1) if item is not None else 0
    if item is None or seats <= 1:
        return None
    if sub.id in duplicated:
        return None
    where = f"on {sub.id}"
    if len(sub.items) > 1:
        where += f" (one subscription with {len(sub.items)} items: {seats_text(sub)})"
    return anomaly(
        TEAM_PURCHASE_PATTERN,
        "Team purchase",
        f"{plan_name(item.price)} has {seats} seats (quantity {seats}) {where}",
        (sub.id,),
    )


def detect_team_purchase_pattern(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    duplicated = {sid for g in duplicate_groups(snapshot, settings) for sid in g.ids}
    found = [
        a
        for sub in oldest_first(snapshot.live_subscriptions)
        if (a := _seat_anomaly(sub, duplicated, settings)) is not None
    ]
    for subs in live_by_customer(snapshot).values():
        by_product: dict[str, list[Subscription]] = defaultdict(list)
        for sub in subs:
            for product_id in sorted(sub.product_ids):
                by_product[product_id].append(sub)
        for product_id in sorted(by_product):
            named = [s for s in by_product[product_id] if person(s, settings) is not None]
            people = {person(s, settings) for s in named}
            if len(people) < 2:
                continue
            name = next(
                i.price.product_name for i in named[0].items if i.price.product_id == product_id
            )
            found.append(
                anomaly(
                    TEAM_PURCHASE_PATTERN,
                    "Team purchase",
                    f"{len(named)} subscriptions to {name} name {len(people)} different people "
                    "in their metadata",
                    (s.id for s in named),
                )
            )
    return found


def detect_mixed_interval(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for subs in live_by_customer(snapshot).values():
        by_product: dict[str, dict[str, list[Subscription]]] = defaultdict(
            lambda: defaultdict(list)
        )
        names: dict[str, str] = {}
        for sub in subs:
            for item in sub.items:
                interval = item.price.interval
                if interval in ("month", "year") and item.price.interval_count == 1:
                    bucket = by_product[item.price.product_id][interval]
                    if sub not in bucket:
                        bucket.append(sub)
                    names.setdefault(item.price.product_id, item.price.product_name)
        for product_id in sorted(by_product):
            monthly = by_product[product_id]["month"]
            yearly = by_product[product_id]["year"]
            involved = oldest_first({s.id: s for s in monthly + yearly}.values())
            if not monthly or not yearly or len(involved) < 2:
                continue
            found.append(
                anomaly(
                    MIXED_INTERVAL,
                    "Monthly and annual of one product",
                    f"{names[product_id]} is billed both monthly ("
                    + ", ".join(s.id for s in monthly)
                    + ") and yearly ("
                    + ", ".join(s.id for s in yearly)
                    + ")",
                    (s.id for s in involved),
                )
            )
    return found


def detect_cancel_pending(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for sub in oldest_first(snapshot.live_subscriptions):
        if sub.cancel_at is not None:
            when = f"on {date_text(sub.cancel_at)}"
        elif sub.cancel_at_period_end:
            when = f"at the end of its period, {date_text(sub.current_period_end)}"
        else:
            continue
        found.append(
            anomaly(
                CANCEL_PENDING,
                "Cancellation scheduled",
                f"{subscription_name(sub)} ({sub.id}) is set to cancel {when}",
                (sub.id,),
            )
        )
    return found
