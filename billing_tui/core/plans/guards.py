"""Guards: why a refund, a cancel, a portal link or any money move must not happen now.

Each returns the operator sentence (the plan's ``blocked_reason``) or None when it may run.
"""

from __future__ import annotations

from billing_tui.core.classify import Classification
from billing_tui.core.model import (
    Charge,
    CustomerSnapshot,
    Dispute,
    Money,
    PartLoad,
    PortalConfiguration,
    SnapshotPart,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing_tui.core.plans.plan import ActionKind, Plan
from billing_tui.core.text import count_label, date_label


def refund_guard(snapshot: CustomerSnapshot, charge: Charge, amount: Money | None) -> str | None:
    """Why refunding ``amount`` (None: the full remainder) of ``charge`` must not happen now."""
    disputes = [d for d in snapshot.disputes_of(charge.id) if d.is_open or charge.disputed]
    blocking = [d for d in disputes if not d.is_charge_refundable]
    if blocking:
        d = blocking[0]
        return (
            f"charge {charge.id} is disputed ({d.id}, {d.status}): respond to the dispute "
            "instead; a refund now would pay twice"
        )
    if charge.disputed and not disputes:
        return (
            f"charge {charge.id} is disputed: respond to the dispute instead; a refund now "
            "would pay twice"
        )
    if charge.status != "succeeded":
        return f"charge {charge.id} did not succeed ({charge.status}): there is nothing to refund"
    left = charge.refundable
    if left.amount <= 0:
        refunds = ", ".join(r.id for r in charge.refunds) or "earlier refunds"
        return (
            f"charge {charge.id} is already fully refunded "
            f"({charge.amount_refunded.format()} by {refunds})"
        )
    if amount is not None:
        if amount.currency != charge.amount.currency:
            return (
                f"the refund is in {amount.currency.upper()}, the charge in {left.currency.upper()}"
            )
        if amount.amount <= 0:
            return "a refund amount must be more than zero"
        if amount.amount > left.amount:
            return (
                f"a refund of {amount.format()} is more than the {left.format()} left to refund "
                f"on {charge.id}"
            )
    return None


def open_refundable_disputes(snapshot: CustomerSnapshot, charge: Charge) -> list[Dispute]:
    """Open inquiries on ``charge`` that a refund may settle (shown as warnings, not blocks)."""
    return [d for d in snapshot.disputes_of(charge.id) if d.is_open and d.is_charge_refundable]


def unknown_guard(sub: Subscription) -> str | None:
    """Why nothing may be done to ``sub`` while Stripe sent a value this version does not know
    (an unknown status or interval): what acting on it would do cannot be told."""
    if not sub.unknown_values:
        return None
    return (
        f"{sub.id} has {'; '.join(sub.unknown_values)}: this version cannot tell what acting on "
        "it would do; handle it in the Dashboard (or update billing-tui)"
    )


def cancel_guard(sub: Subscription) -> str | None:
    """Why ``sub`` cannot be canceled (already canceled, expired before paying, or holding a
    value this version does not understand)."""
    blocked = unknown_guard(sub)
    if blocked is not None:
        return blocked
    if sub.status == SubscriptionStatus.CANCELED:
        when = (
            f" since {date_label(sub.canceled_at or sub.ended_at)}"
            if (sub.canceled_at or sub.ended_at)
            else ""
        )
        return f"{sub.id} is already canceled{when}: there is nothing to cancel"
    if sub.status == SubscriptionStatus.INCOMPLETE_EXPIRED:
        return f"{sub.id} expired before its first payment (incomplete_expired): nothing to cancel"
    return None


def portal_flow_guard(
    portal: PortalConfiguration | None, flow: str | None, *, known: bool = True
) -> str | None:
    """Why a portal session (with ``flow``) cannot be created under this configuration."""
    if portal is None:
        if not known:
            return None if flow is None else "the portal configuration could not be read"
        return (
            "no active billing-portal configuration applies to this customer: save the "
            "customer-portal settings in the Dashboard first"
        )
    if not portal.active:
        return f"the portal configuration {portal.id} is not active"
    if flow == "payment_method_update" and not portal.payment_method_update_enabled:
        return f"the portal configuration {portal.id} does not let customers update their card"
    if flow == "subscription_cancel" and not portal.cancel_enabled:
        return f"the portal configuration {portal.id} does not let customers cancel"
    if flow == "subscription_update" and not portal.update_enabled:
        return f"the portal configuration {portal.id} does not let customers change their plan"
    return None


def seats_guard(
    sub: Subscription, quantity: int, item: SubscriptionItem | None = None
) -> str | None:
    """Why the seat count of ``item`` (default: the only item) cannot change to ``quantity``.

    A subscription with several items (a base plan plus a per-seat add-on) may change seats
    when the plan targets one item and that item is the seat item — the only one with more
    than one seat; when no item, or more than one, could be the seat item it is ambiguous and
    goes to the Dashboard."""
    blocked = cancel_guard(sub)
    if blocked is not None:
        blocked = blocked.replace("there is nothing to cancel", "seats cannot change")
        return blocked.replace("nothing to cancel", "seats cannot change")
    if not sub.items:
        return f"{sub.id} has no items"
    if quantity < 1:
        return "a subscription keeps at least 1 seat; cancel it instead"
    target = item if item is not None else sub.items[0]
    if len(sub.items) > 1 and (item is None or item != _only_seat_item(sub)):
        return f"{sub.id} has {len(sub.items)} items: change seats in the Dashboard"
    if quantity == (target.quantity or 1):
        return f"{sub.id} already has {count_label(quantity, 'seat')}"
    return None


def _only_seat_item(sub: Subscription) -> SubscriptionItem | None:
    """The one item holding more than one seat (None: none does, or several do)."""
    seated = [i for i in sub.items if (i.quantity or 1) > 1]
    return seated[0] if len(seated) == 1 else None


def money_guard(classification: Classification) -> str | None:
    """Why no money may move under this classification yet (unconfirmed, contract pending)."""
    return classification.blocked_reason()


#: What could go wrong if money moved without this part: said in the blocked reason.
_GAP_RISKS = {
    SnapshotPart.DISPUTES: "a refund could pay twice",
    SnapshotPart.CHARGES: "a cancel could leave a paid duplicate unrefunded, a refund could "
    "pay twice",
    SnapshotPart.REFUNDS: "a refund could pay back what was already paid back",
    SnapshotPart.SUBSCRIPTIONS: "a cancel or seat change could hit the wrong subscription",
    SnapshotPart.INVOICES: "the charges that paid each subscription are unknown",
    SnapshotPart.INVOICE_PAYMENTS: "the charges that paid each subscription are unknown",
    SnapshotPart.PAYMENT_METHODS: "the card a retry would charge is unknown",
    SnapshotPart.CUSTOMERS: "records of this person may be missing",
}


def completeness_guard(snapshot: CustomerSnapshot) -> str | None:
    """Why no money may move on this snapshot: a part it depends on did not load completely
    (a failed request, or a list that stopped before its last page). None when complete."""
    gaps = snapshot.completeness.money_gaps
    if not gaps:
        return None
    # disputes first: the gap that makes a refund pay twice is the one to name
    ranked = sorted(gaps, key=lambda g: g.part != SnapshotPart.DISPUTES)
    first = ranked[0]
    named = "; ".join(_gap_text(g) for g in ranked)
    return f"{named} — {_GAP_RISKS[first.part]}; reload (r) first"


def _gap_text(gap: PartLoad) -> str:
    return f"{gap.part.label} could not be loaded: {gap.reason}"


def settled(snapshot: CustomerSnapshot, plan: Plan) -> bool:
    """Whether what a money plan would do already holds in ``snapshot`` (nothing left to do):
    a fully refunded charge, a canceled subscription. A blocked plan that is settled is not a
    skipped money move."""
    if plan.target_id is None:
        return False
    if plan.kind == ActionKind.REFUND:
        charge = snapshot.charge(plan.target_id)
        return charge is not None and charge.refundable.amount <= 0
    if plan.kind == ActionKind.CANCEL_SUBSCRIPTION:
        sub = snapshot.subscription(plan.target_id)
        return sub is not None and cancel_guard(sub) is not None
    return False
