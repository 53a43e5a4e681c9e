"""Recommendations: the plans for a case, per bucket, in the safe order (the ladder).

1. restore self-serve (a billing-portal session, with a flow where the portal allows it);
2. fix the duplicate or broken state (cancel the extra subscription, retry the open invoice,
   change seats);
3. refund only the affected charge;
4. document (``no_op``), then follow up (the handoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_tui.core import queries
from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.model import Charge, CustomerSnapshot, Invoice, SnapshotPart, Subscription
from billing_tui.core.plans.build import (
    plan_cancel,
    plan_note,
    plan_portal,
    plan_refund,
    plan_retry_invoice,
    plan_update_quantity,
)
from billing_tui.core.plans.guards import portal_flow_guard
from billing_tui.core.plans.plan import Plan
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import date_label, human_gap


def cancellable_duplicates(
    snapshot: CustomerSnapshot, settings: Settings = DEFAULT_SETTINGS
) -> list[tuple[Subscription, ...]]:
    """Subscriptions that duplicate each other, oldest (the one to keep) first.

    The groups are the ONE definition, :func:`billing_tui.core.queries.duplicate_groups` across
    customers — exactly what the ``duplicate_subscription`` and ``cross_customer_duplicate``
    detectors raise — narrowed by :func:`~billing_tui.core.queries.cancellable` to what may be
    canceled (a cross-customer group keeps its team seats and other people's plans).
    """
    groups = queries.duplicate_groups(snapshot, settings, across_customers=True)
    return [g.subscriptions for g in queries.cancellable(groups, settings)]


def paid_charges_of(snapshot: CustomerSnapshot, sub: Subscription) -> tuple[Charge, ...]:
    """The successful charges that paid the subscription's invoices, newest first."""
    found: list[Charge] = []
    for inv in snapshot.invoices_of(sub.id):
        for charge in snapshot.charges_of_invoice(inv):
            if charge.status == "succeeded" and charge not in found:
                found.append(charge)
    return tuple(sorted(found, key=lambda c: (c.created, c.id), reverse=True))


def _latest_paid_charge(snapshot: CustomerSnapshot) -> Charge | None:
    paid = [c for c in snapshot.charges if c.status == "succeeded"]
    return max(paid, key=lambda c: (c.created, c.id), default=None)


def _open_invoices(snapshot: CustomerSnapshot) -> list[Invoice]:
    return sorted(
        (i for i in snapshot.invoices if i.status == "open" and i.amount_remaining.amount > 0),
        key=lambda i: (i.created, i.id),
    )


def recommend(
    classification: Classification,
    snapshot: CustomerSnapshot,
    *,
    live: bool = False,
    now: datetime | None = None,
    portal_known: bool | None = None,
    return_url: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[Plan, ...]:
    """The plans for this case, in the safe order; guards set ``Plan.blocked_reason``.

    Before the operator confirms, the plans follow the *suggested* bucket so they can be
    previewed, and every money-moving plan is blocked with the classification's reason.
    """
    bucket = classification.working
    when = now or snapshot.loaded_at
    customer = snapshot.primary.id if snapshot.customers else None
    known = snapshot.portal_known if portal_known is None else portal_known
    plans: list[Plan] = []
    if bucket is None:
        if customer and snapshot.portal is not None:
            plans.append(
                plan_portal(
                    snapshot,
                    customer,
                    portal_known=known,
                    return_url=return_url,
                    recommended=False,
                    why="the customer can check invoices and payment methods themselves",
                )
            )
        plans.append(
            plan_note(
                "Document: no billing problem found in the evidence",
                customer_id=customer,
                why="nothing points at a billing problem; write down what was checked",
            )
        )
        return tuple(sorted(plans, key=lambda p: (p.step, not p.recommended)))
    ctx = _Ctx(snapshot, classification, live, when, known, return_url, settings)
    match bucket:
        case Bucket.DUPLICATE_PERSONAL:
            plans += _duplicate(ctx)
        case Bucket.TEAM_INTENT:
            plans += _team(ctx)
        case Bucket.FAILED_PAYMENT:
            plans += _failed_payment(ctx)
        case Bucket.MISSING_SELF_SERVE:
            plans += _missing_self_serve(ctx)
        case Bucket.PRODUCT_FAILURE:
            plans += _product_failure(ctx)
    return tuple(sorted(plans, key=lambda p: (p.step, not p.recommended)))


@dataclass(frozen=True)
class _Ctx:
    snapshot: CustomerSnapshot
    classification: Classification
    live: bool
    now: datetime
    portal_known: bool
    return_url: str | None = None
    settings: Settings = DEFAULT_SETTINGS

    @property
    def customer(self) -> str | None:
        return self.snapshot.primary.id if self.snapshot.customers else None


def _duplicate(ctx: _Ctx) -> list[Plan]:
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    groups = cancellable_duplicates(snap, ctx.settings)
    for group in groups:
        original, extras = group[0], group[1:]
        for extra in extras:
            cross = extra.customer_id != original.customer_id
            where = f" on the second customer record {extra.customer_id}" if cross else ""
            plans.append(
                plan_cancel(
                    snap,
                    extra.id,
                    classification=cls,
                    live=ctx.live,
                    why=(
                        f"{extra.id}{where} duplicates {original.id} (created "
                        f"{human_gap((extra.created - original.created).total_seconds())} "
                        "later): cancel the newer one now, keep the original"
                    ),
                )
            )
            plans.append(
                plan_cancel(
                    snap,
                    extra.id,
                    at_period_end=True,
                    classification=cls,
                    live=ctx.live,
                    recommended=False,
                    why="the reversible alternative: stop the renewal, undo possible until then",
                )
            )
            for charge in paid_charges_of(snap, extra):
                plans.append(
                    plan_refund(
                        snap,
                        charge.id,
                        reason="duplicate",
                        classification=cls,
                        live=ctx.live,
                        why=f"refund only the duplicate's charge; {original.id} stays paid",
                    )
                )
    subs_gap = snap.completeness.part(SnapshotPart.SUBSCRIPTIONS)
    if not groups and not subs_gap.complete:
        plans.append(
            plan_note(
                f"Reload: the subscriptions could not be loaded ({subs_gap.reason}), so "
                "whether a duplicate is still live is unknown",
                customer_id=ctx.customer,
                why="no money moves until a reload loads every subscription",
            )
        )
    elif not groups:
        plans.append(
            plan_note(
                "Document: no duplicate subscription is live any more",
                customer_id=ctx.customer,
                why="the evidence pointed at a duplicate, but no two live subscriptions match",
            )
        )
    plans.append(
        plan_note(
            "Document the duplicate and the fix; file the missing duplicate guard",
            customer_id=ctx.customer,
            why="checkout allowed a second subscription to the same plan",
        )
    )
    return plans


def _seat_target(cls: Classification, sub: Subscription) -> tuple[int, bool]:
    """The seat count the customer asked for (answers ``seats``), or one fewer as an offer."""
    raw = cls.answers.get("seats") or cls.answers.get("target_quantity")
    if raw is not None and raw.strip().isdigit() and int(raw) != sub.quantity:
        return int(raw), True
    return max(sub.quantity - 1, 1), False


def _team(ctx: _Ctx) -> list[Plan]:
    """Keep the seats (no refund). Seat changes and consolidation are offered on request,
    and recommended only when the operator recorded the seat count asked for (``seats``)."""
    snap = ctx.snapshot
    plans: list[Plan] = []
    live = snap.live_subscriptions
    teams = [s for s in live if s.quantity > 1 and len(s.items) == 1]
    personal = [s for s in live if s.quantity == 1 and queries.person(s, ctx.settings) is not None]
    for sub in teams:
        plans += _team_seat_plans(ctx, sub, personal)
    if ctx.customer and snap.portal is not None and snap.portal.update_enabled:
        sub_ids = [s.id for s in teams or live if s.customer_id == ctx.customer]
        plans.append(
            plan_portal(
                snap,
                ctx.customer,
                flow="subscription_update",
                subscription_id=sub_ids[0] if sub_ids else None,
                portal_known=ctx.portal_known,
                return_url=ctx.return_url,
                recommended=False,
                why="let the team owner manage seats themselves",
            )
        )
    plans.append(
        plan_note(
            "Explain the billing model: each seat is billed; keep the seats, no refund",
            customer_id=ctx.customer,
            why="the purchases were deliberate (a team), so nothing is refunded",
        )
    )
    return plans


def _team_seat_plans(ctx: _Ctx, sub: Subscription, personal: list[Subscription]) -> list[Plan]:
    """One team subscription's seat change (from the renewal, or now prorated) and, when the
    customer's personal plans move onto the team, their period-end cancels."""
    snap, cls = ctx.snapshot, ctx.classification
    target, asked = _seat_target(cls, sub)
    consolidate = not asked and personal and sub.customer_id == personal[0].customer_id
    moving = personal if consolidate else []
    if moving:
        target = sub.quantity + len(moving)
    why = _seat_change_why(ctx, sub, target, moving)
    plans = [
        plan_update_quantity(
            snap,
            sub.id,
            target,
            classification=cls,
            live=ctx.live,
            now=ctx.now,
            recommended=asked and target < sub.quantity,
            why=f"{why}, from the next renewal without proration",
        ),
        plan_update_quantity(
            snap,
            sub.id,
            target,
            prorate_now=True,
            classification=cls,
            live=ctx.live,
            now=ctx.now,
            recommended=asked and target > sub.quantity,
            why=f"{why}, now, prorated on the next invoice",
        ),
    ]
    for extra in moving:
        plans.append(
            plan_cancel(
                snap,
                extra.id,
                at_period_end=True,
                classification=cls,
                live=ctx.live,
                recommended=False,
                why=f"{queries.person(extra, ctx.settings)}'s personal plan ends at its "
                "period end once the seat is on the team (with the customer's agreement)",
            )
        )
    return plans


def _seat_change_why(ctx: _Ctx, sub: Subscription, target: int, moving: list[Subscription]) -> str:
    """Why the seat count changes: consolidating the personal plans, fewer seats, or more."""
    if moving:
        people = ", ".join(p for s in moving if (p := queries.person(s, ctx.settings)))
        return f"move the personal plans ({people}) onto the team: {target} seats"
    if target < sub.quantity:
        return "seat reduction: keep the subscription, bill fewer seats"
    return "more seats on the team subscription"


def _card_can_pay(snapshot: CustomerSnapshot, now: datetime) -> bool:
    """Whether the customer's default card (or a live subscription's) is on file and valid."""
    ids = [c.default_payment_method_id for c in snapshot.customers]
    ids += [s.default_payment_method_id for s in snapshot.live_subscriptions]
    for pm_id in ids:
        pm = snapshot.payment_method(pm_id)
        if pm is not None and pm.card is not None:
            return not pm.card.expires_before(now)
    return False


def _failed_payment(ctx: _Ctx) -> list[Plan]:
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    if ctx.customer:
        flow_block = portal_flow_guard(snap.portal, "payment_method_update", known=ctx.portal_known)
        flow = "payment_method_update" if flow_block is None else None
        plans.append(
            plan_portal(
                snap,
                ctx.customer,
                flow=flow,
                portal_known=ctx.portal_known,
                return_url=ctx.return_url,
                why="the customer puts in a working card themselves",
            )
        )
    card_ok = _card_can_pay(snap, ctx.now)
    for inv in _open_invoices(snap):
        plans.append(
            plan_retry_invoice(
                snap,
                inv.id,
                classification=cls,
                live=ctx.live,
                recommended=card_ok,
                why=(
                    "collect the open invoice with the card on file"
                    if card_ok
                    else "after the customer has put in a working card (the card on file "
                    "cannot pay)"
                ),
            )
        )
    plans.append(
        plan_note(
            "Document the failed payment; no refund",
            customer_id=ctx.customer,
            why="nothing was collected twice, so nothing is refunded",
        )
    )
    return plans


def _missing_self_serve(ctx: _Ctx) -> list[Plan]:
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    if ctx.customer:
        live_subs = [s for s in snap.live_subscriptions if s.customer_id == ctx.customer]
        plans.append(
            plan_portal(
                snap,
                ctx.customer,
                portal_known=ctx.portal_known,
                return_url=ctx.return_url,
                why="give the customer the portal to manage their billing themselves",
            )
        )
        cancel_ok = portal_flow_guard(snap.portal, "subscription_cancel", known=ctx.portal_known)
        if cancel_ok is None and live_subs and snap.portal is not None:
            plans.append(
                plan_portal(
                    snap,
                    ctx.customer,
                    flow="subscription_cancel",
                    subscription_id=live_subs[0].id,
                    portal_known=ctx.portal_known,
                    return_url=ctx.return_url,
                    recommended=False,
                    why="deep-link straight to the cancel page",
                )
            )
        for sub in live_subs:
            if cancel_ok is not None or snap.portal is None:
                plans.append(
                    plan_cancel(
                        snap,
                        sub.id,
                        at_period_end=True,
                        classification=cls,
                        live=ctx.live,
                        why="the portal cannot cancel, so cancel at period end on request",
                    )
                )
    prorated = [i for i in snap.invoices if i.has_proration]
    if prorated:
        latest = max(prorated, key=lambda i: (i.created, i.id))
        plans.append(
            plan_note(
                f"Explain the proration on {latest.id} ({latest.total.format()}); no refund",
                customer_id=ctx.customer,
                why="the upgrade was billed as designed: credit for the unused time, "
                "charge for the new plan",
            )
        )
    plans.append(
        plan_note(
            "Document the missing self-serve control; file the product gap",
            customer_id=ctx.customer,
            why="the customer could not do this themselves",
        )
    )
    return plans


def _product_failure(ctx: _Ctx) -> list[Plan]:
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    disputed = [
        c
        for c in snap.charges
        if any(d.is_open and not d.is_charge_refundable for d in snap.disputes_of(c.id))
    ]
    charge = max(disputed, key=lambda c: (c.created, c.id)) if disputed else None
    why = "the product failed the customer: refund the affected charge (partial allowed)"
    if charge is not None:
        why = (
            f"the customer disputed {charge.id}: that is the affected charge, and the dispute "
            "(not a refund) is how it is settled"
        )
    for c in disputed:
        for d in snap.disputes_of(c.id):
            if d.is_open and not d.is_charge_refundable:
                due = f", evidence due {date_label(d.evidence_due_by)}" if d.evidence_due_by else ""
                plans.append(
                    plan_note(
                        f"Respond to dispute {d.id} on {c.id} ({d.status}, {d.reason}{due}) in "
                        "the Dashboard",
                        customer_id=ctx.customer,
                        why="the dispute settles the money; answer it instead of refunding",
                    )
                )
    charge = charge or _latest_paid_charge(snap)
    if charge is not None:
        plans.append(
            plan_refund(
                snap,
                charge.id,
                reason="requested_by_customer",
                classification=cls,
                live=ctx.live,
                why=why,
            )
        )
    plans.append(
        plan_note(
            "Apologise and log the product issue",
            customer_id=ctx.customer,
            why="the cause is the product, not billing",
        )
    )
    return plans
