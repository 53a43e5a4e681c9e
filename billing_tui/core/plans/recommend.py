"""Recommendations: the plans for a case, per bucket, in the safe order (the ladder).

1. restore self-serve (a billing-portal session, with a flow where the portal allows it);
2. fix the duplicate or broken state (cancel the extra subscription, retry the open invoice,
   change seats);
3. refund only the affected charge;
4. document (``no_op``), then follow up (the handoff).

The plans follow the case, not just the snapshot: the :class:`~billing_tui.core.plans.ledger.
CaseLedger` (what the case already did) is the second input. A canceled duplicate's charge
stays owed until refunded or declined with a reason; alternatives of a done action are shown
superseded; seat changes are computed from the count before the case changed it; a retry of
an invoice waits for a card that can pay (:mod:`billing_tui.core.plans.replan`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
from billing_tui.core.plans.ledger import (
    EMPTY_LEDGER,
    CancelIntent,
    CaseLedger,
    OwedCharge,
    RefundIntent,
    RetryIntent,
)
from billing_tui.core.plans.plan import ActionKind, Plan
from billing_tui.core.plans.replan import (
    done_seat_target,
    owed_duplicate_refunds,
    seats_before_case,
    supersede,
)
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import date_label, human_gap

#: The answer naming the duplicate the operator keeps (default: the oldest of its group).
KEEP_ANSWER = "keep"


def cancellable_duplicates(
    snapshot: CustomerSnapshot, settings: Settings = DEFAULT_SETTINGS, *, keep: str | None = None
) -> list[tuple[Subscription, ...]]:
    """Subscriptions that duplicate each other, oldest (the one to keep) first.

    The groups are the ONE definition, :func:`billing_tui.core.queries.duplicate_groups` across
    customers — exactly what the ``duplicate_subscription`` and ``cross_customer_duplicate``
    detectors raise — narrowed by :func:`~billing_tui.core.queries.cancellable` to what may be
    canceled (a cross-customer group keeps its team seats and other people's plans). ``keep``
    (the operator's pick, answer ``keep``) is kept instead of the oldest.
    """
    groups = queries.duplicate_groups(snapshot, settings, across_customers=True)
    return [g.subscriptions for g in queries.cancellable(groups, settings, keep=keep)]


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
    ledger: CaseLedger = EMPTY_LEDGER,
) -> tuple[Plan, ...]:
    """The plans for this case, in the safe order; guards set ``Plan.blocked_reason``.

    Before the operator confirms, the plans follow the *suggested* bucket so they can be
    previewed, and every money-moving plan is blocked with the classification's reason.
    ``ledger`` is what the case already did: plans it made moot are marked superseded, and a
    refund it still owes is proposed whatever the bucket.
    """
    plans = _recommend(
        classification, snapshot, live, now, portal_known, return_url, settings, ledger
    )
    plans += _owed_refunds(classification, snapshot, ledger, live, plans)
    plans += _done_by_case(classification, snapshot, ledger, live, plans)
    marked = supersede(plans, ledger, snapshot)
    return tuple(sorted(marked, key=lambda p: (p.step, p.superseded, not p.recommended)))


def _owed_refunds(
    classification: Classification,
    snapshot: CustomerSnapshot,
    ledger: CaseLedger,
    live: bool,
    planned: list[Plan],
) -> list[Plan]:
    """The refunds of canceled duplicates' charges the case still owes, not planned yet."""
    already = {p.target_id for p in planned if p.kind == ActionKind.REFUND}
    paid = {s.id: paid_charges_of(snapshot, s) for s in snapshot.subscriptions}
    found: list[Plan] = []
    for owed in owed_duplicate_refunds(snapshot, ledger, paid):
        if owed.charge.id in already:
            continue
        already.add(owed.charge.id)
        found.append(
            plan_refund(
                snapshot,
                owed.charge.id,
                reason="duplicate",
                classification=classification,
                live=live,
                why=owed.why(),
            )
        )
    return found


def owed_charges(snapshot: CustomerSnapshot, ledger: CaseLedger) -> tuple[OwedCharge, ...]:
    """The refunds the case owes on this snapshot (canceled duplicates' charges not refunded
    yet), as the case log keeps them with the observation."""
    paid = {s.id: paid_charges_of(snapshot, s) for s in snapshot.subscriptions}
    return tuple(
        OwedCharge(o.charge.id, o.duplicate.id, o.charge.refundable)
        for o in owed_duplicate_refunds(snapshot, ledger, paid)
    )


#: The refund reasons Stripe takes (what a recorded refund may have used).
_REFUND_REASONS = ("duplicate", "requested_by_customer", "fraudulent")


def _done_by_case(
    classification: Classification,
    snapshot: CustomerSnapshot,
    ledger: CaseLedger,
    live: bool,
    planned: list[Plan],
) -> list[Plan]:
    """The plans of cancels and refunds the case did that the snapshot no longer suggests
    (the subscription is canceled, the charge refunded), with their alternatives: kept on
    the list so they show as done or superseded instead of vanishing."""
    cancels = {p.target_id for p in planned if p.kind == ActionKind.CANCEL_SUBSCRIPTION}
    refunds = {p.target_id for p in planned if p.kind == ActionKind.REFUND}
    retries = {p.target_id for p in planned if p.kind == ActionKind.RETRY_INVOICE_PAYMENT}
    found: list[Plan] = []
    for entry in ledger.done:
        intent = entry.intent
        if isinstance(intent, RetryIntent) and intent.invoice_id not in retries:
            if snapshot.invoice(intent.invoice_id) is not None:
                retries.add(intent.invoice_id)
                found.append(
                    plan_retry_invoice(
                        snapshot, intent.invoice_id, classification=classification, live=live
                    )
                )
        elif isinstance(intent, CancelIntent) and intent.subscription_id not in cancels:
            if snapshot.subscription(intent.subscription_id) is None:
                continue
            cancels.add(intent.subscription_id)
            for at_end in (False, True):
                found.append(
                    plan_cancel(
                        snapshot,
                        intent.subscription_id,
                        at_period_end=at_end,
                        classification=classification,
                        live=live,
                        recommended=False,
                    )
                )
        elif isinstance(intent, RefundIntent) and intent.charge_id not in refunds:
            if snapshot.charge(intent.charge_id) is None:
                continue
            refunds.add(intent.charge_id)
            found.append(
                plan_refund(
                    snapshot,
                    intent.charge_id,
                    reason=intent.reason if intent.reason in _REFUND_REASONS else "duplicate",
                    classification=classification,
                    live=live,
                    recommended=False,
                )
            )
    return found


def _recommend(
    classification: Classification,
    snapshot: CustomerSnapshot,
    live: bool,
    now: datetime | None,
    portal_known: bool | None,
    return_url: str | None,
    settings: Settings,
    ledger: CaseLedger,
) -> list[Plan]:
    """The bucket's plans (unsorted, before the ledger marks what is moot)."""
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
        return plans
    ctx = _Ctx(snapshot, classification, live, when, known, return_url, settings, ledger)
    plans += _BRANCHES[bucket](ctx)
    # the case's other problems keep their own plans (not their documentation notes)
    for other in classification.secondary:
        plans += [p for p in _BRANCHES[other](ctx) if p.kind != ActionKind.NO_OP]
    unique = {(p.kind, p.target_id, p.params): p for p in reversed(plans)}
    return [p for p in plans if unique.get((p.kind, p.target_id, p.params)) is p]


@dataclass(frozen=True)
class _Ctx:
    snapshot: CustomerSnapshot
    classification: Classification
    live: bool
    now: datetime
    portal_known: bool
    return_url: str | None = None
    settings: Settings = DEFAULT_SETTINGS
    ledger: CaseLedger = EMPTY_LEDGER

    @property
    def customer(self) -> str | None:
        return self.snapshot.primary.id if self.snapshot.customers else None


def _duplicate(ctx: _Ctx) -> list[Plan]:
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    groups = cancellable_duplicates(snap, ctx.settings, keep=cls.answers.get(KEEP_ANSWER))
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
                        f"{'later' if extra.created >= original.created else 'earlier'}): "
                        f"cancel it now, keep {original.id}"
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
    paid = {s.id: paid_charges_of(snap, s) for s in snap.subscriptions}
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
    elif (
        not groups
        and not owed_duplicate_refunds(snap, ctx.ledger, paid)
        and not _case_canceled(ctx.ledger)
    ):
        # (when this case canceled the duplicate, the note below documents it: no second note)
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


def _case_canceled(ledger: CaseLedger) -> bool:
    """Whether this case canceled a subscription (done, or sent with its answer lost)."""
    return any(
        isinstance(e.intent, CancelIntent) and e.outcome.may_have_happened for e in ledger.entries
    )


def _seat_target(ctx: _Ctx, sub: Subscription) -> tuple[int, bool]:
    """The seat count the customer asked for (answers ``seats``), or one fewer as an offer.

    A count the case already set (the ledger's seat change, still what Stripe shows) stays the
    target, so its plans show as done instead of offering "one fewer" of the new count.
    """
    cls = ctx.classification
    raw = cls.answers.get("seats") or cls.answers.get("target_quantity")
    if raw is not None and raw.strip().isdigit():
        asked = int(raw)
        if asked != sub.quantity or done_seat_target(ctx.ledger, sub) == asked:
            return asked, True
    return max(seats_before_case(ctx.ledger, sub) - 1, 1), False


def _team(ctx: _Ctx) -> list[Plan]:
    """Keep the seats (no refund). Seat changes and consolidation are offered on request,
    and recommended only when the operator recorded the seat count asked for (``seats``)."""
    snap = ctx.snapshot
    plans: list[Plan] = []
    live = snap.live_subscriptions
    teams = [s for s in live if (i := queries.seat_item(s)) is not None and (i.quantity or 1) > 1]
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
    target, asked = _seat_target(ctx, sub)
    consolidate = not asked and personal and sub.customer_id == personal[0].customer_id
    moving = personal if consolidate else []
    if moving:
        # to N seats, from the count before the case changed it: never "+len(moving)" again
        target = seats_before_case(ctx.ledger, sub) + len(moving)
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


def _waits_for_card(ctx: _Ctx) -> str:
    """Why a retry waits: it depends on the card update (the portal link, then the customer)."""
    sent = ctx.ledger.portal_links()
    if sent:
        return (
            f"waits for the card update: the link was sent ({sent[-1].action_id}), but the "
            "card on file still cannot pay — reload once the customer has put in a new card"
        )
    return (
        "waits for the card update: the card on file cannot pay, so a retry now would be "
        "declined — send the card-update link first, then reload"
    )


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
        retry = plan_retry_invoice(
            snap,
            inv.id,
            classification=cls,
            live=ctx.live,
            recommended=card_ok,
            why=(
                "collect the open invoice with the card on file"
                if card_ok
                else "after the customer has put in a working card (the card on file cannot pay)"
            ),
        )
        if not card_ok and retry.blocked_reason is None:
            retry = replace(retry, blocked_reason=_waits_for_card(ctx))
        plans.append(retry)
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


_BRANCHES: dict[Bucket, Callable[[_Ctx], list[Plan]]] = {
    Bucket.DUPLICATE_PERSONAL: _duplicate,
    Bucket.TEAM_INTENT: _team,
    Bucket.FAILED_PAYMENT: _failed_payment,
    Bucket.MISSING_SELF_SERVE: _missing_self_serve,
    Bucket.PRODUCT_FAILURE: _product_failure,
}
