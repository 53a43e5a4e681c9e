"""Detectors of money taken: disputed, refunded and doubled charges."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from billing_tui.core.anomalies.base import (
    DISPUTED_CHARGE,
    DOUBLE_CHARGE,
    REFUNDED_CHARGE,
    Anomaly,
    anomaly,
    date_text,
)
from billing_tui.core.model import Charge, CustomerSnapshot, Money
from billing_tui.core.queries import charge_subscriptions, components, duplicate_groups
from billing_tui.core.settings import Settings
from billing_tui.core.text import card_label, human_gap

_CLOSED_DISPUTE_STATUSES = frozenset({"won", "lost", "warning_closed", "prevented"})


def detect_disputed_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    charges = {c.id: c for c in snapshot.charges}
    charge_ids = sorted(
        {c.id for c in snapshot.charges if c.disputed}
        | {d.charge_id for d in snapshot.disputes if d.status not in _CLOSED_DISPUTE_STATUSES}
    )
    for charge_id in charge_ids:
        disputes = sorted(snapshot.disputes_of(charge_id), key=lambda d: (d.created, d.id))
        charge = charges.get(charge_id)
        amount = charge.amount.format() if charge else (disputes[0].amount.format())
        when = f", {date_text(charge.created)}" if charge else ""
        if disputes:
            latest = disputes[-1]
            due = (
                f", evidence due {date_text(latest.evidence_due_by)}"
                if latest.evidence_due_by
                else ""
            )
            state = f"disputed ({latest.reason.replace('_', ' ')}, {latest.status}{due})"
        else:
            state = "marked disputed"
        found.append(
            anomaly(
                DISPUTED_CHARGE,
                "Disputed charge",
                f"Charge {charge_id} ({amount}{when}) is {state}; never refund a disputed "
                "charge: answer the dispute",
                [charge_id, *(d.id for d in disputes)],
            )
        )
    return found


def detect_refunded_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    since = now - timedelta(days=settings.recent_days)
    found: list[Anomaly] = []
    for charge in sorted(snapshot.charges, key=lambda c: (c.created, c.id)):
        if charge.amount_refunded.amount <= 0 or charge.created < since:
            continue
        refunds = sorted(charge.refunds, key=lambda r: (r.created, r.id))
        how = "fully" if charge.amount_refunded.amount >= charge.amount.amount else "partly"
        found.append(
            anomaly(
                REFUNDED_CHARGE,
                "Charge refunded",
                f"Charge {charge.id} of {date_text(charge.created)} was {how} refunded: "
                f"{charge.amount_refunded.format()} of {charge.amount.format()}",
                [charge.id, *(r.id for r in refunds)],
            )
        )
    return found


def detect_double_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    window = settings.double_charge_window_seconds
    paid_subs = charge_subscriptions(snapshot)
    covered_groups = [set(group.ids) for group in duplicate_groups(snapshot, settings)]

    def covered(a: Charge, b: Charge) -> bool:
        sa, sb = paid_subs.get(a.id), paid_subs.get(b.id)
        return any(sa in g and sb in g for g in covered_groups)

    by_key: dict[tuple[str, Money], list[Charge]] = defaultdict(list)
    for charge in sorted(snapshot.charges, key=lambda c: (c.created, c.id)):
        # A fully refunded charge is no longer money taken twice: once the extra one is
        # refunded (and its subscription canceled) the case must not flag itself again.
        if charge.status == "succeeded" and charge.customer_id and not charge.refunded:
            by_key[(charge.customer_id, charge.amount)].append(charge)
    found: list[Anomaly] = []
    for (_customer, amount), charges in sorted(by_key.items()):
        edges: list[tuple[str, str]] = []
        for i, a in enumerate(charges):  # sorted by time: stop at the first one too late
            for b in charges[i + 1 :]:
                if (b.created - a.created).total_seconds() > window:
                    break
                if not covered(a, b):
                    edges.append((a.id, b.id))
        by_id = {c.id: c for c in charges}
        for component in components([c.id for c in charges], edges):
            group = [by_id[cid] for cid in component]
            gap = human_gap((group[-1].created - group[0].created).total_seconds())
            cards = {c.card.fingerprint if c.card else None for c in group}
            same = (
                f", same card ({card_label(group[0].card)})"
                if len(cards) == 1 and None not in cards
                else ""
            )
            found.append(
                anomaly(
                    DOUBLE_CHARGE,
                    "Double charge",
                    f"{len(group)} successful charges of {amount.format()} {gap} apart{same}, "
                    "not explained by a duplicate subscription",
                    component,
                )
            )
    return found
