"""Plan builders: one function per action kind, from a snapshot to a guarded :class:`Plan`.

Every builder computes the diff, the Stripe call, the revenue impact and how to undo it, then
applies the guards (the action's own, the classification's for money moves, and the LIVE
confirmation phrase). Nothing here talks to Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing_tui.core.classify import Classification
from billing_tui.core.model import (
    CustomerSnapshot,
    Money,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing_tui.core.plans.guards import (
    cancel_guard,
    completeness_guard,
    money_guard,
    open_refundable_disputes,
    portal_flow_guard,
    refund_guard,
    seats_guard,
)
from billing_tui.core.plans.impact import (
    arr_of,
    mrr_change,
    primary_item,
    proration_estimate,
    with_quantity,
)
from billing_tui.core.plans.plan import (
    ActionKind,
    DiffRow,
    Plan,
    RevenueImpact,
    bool_text,
    confirm_phrase_for,
    next_invoice_text,
    signed,
)
from billing_tui.core.text import card_label, count_label, date_label


def _finish(
    plan: Plan,
    classification: Classification | None,
    snapshot: CustomerSnapshot,
    *,
    live: bool,
) -> Plan:
    """Apply the guards that hold for every plan: a complete snapshot and the classification
    for money moves, then the live confirmation."""
    if plan.moves_money and plan.blocked_reason is None:
        reason = completeness_guard(snapshot)
        if reason is None and classification is not None:
            reason = money_guard(classification)
        if reason is not None:
            plan = replace(plan, blocked_reason=reason)
    if live and plan.kind.needs_confirmation:
        plan = replace(plan, confirm_phrase=confirm_phrase_for(plan))
    return plan


def plan_refund(
    snapshot: CustomerSnapshot,
    charge_id: str,
    *,
    amount: Money | None = None,
    reason: str = "requested_by_customer",
    classification: Classification | None = None,
    live: bool = False,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """Refund ``amount`` (default: everything left) of one charge, with every guard applied."""
    if reason not in ("duplicate", "requested_by_customer", "fraudulent"):
        raise ValueError(
            f"unknown refund reason {reason!r}: duplicate, requested_by_customer or fraudulent"
        )
    charge = snapshot.charge(charge_id)
    if charge is None:
        raise KeyError(f"{charge_id} is not a charge of this case")
    blocked = refund_guard(snapshot, charge, amount)
    refund = amount if amount is not None else charge.refundable
    after_refunded = Money(
        charge.amount_refunded.amount + max(refund.amount, 0), charge.amount.currency
    )
    full = after_refunded.amount >= charge.amount_captured.amount
    diff = (
        DiffRow(
            charge.id, "amount_refunded", charge.amount_refunded.format(), after_refunded.format()
        ),
        DiffRow(charge.id, "refunded", bool_text(charge.refunded), bool_text(full)),
    )
    params = (
        ("charge", charge.id),
        ("amount", str(refund.amount)),
        ("currency", refund.currency),
        ("reason", reason),
        # what the operator asked for ("rest": whatever is left), which the intent is keyed on
        ("requested", str(amount.amount) if amount is not None else "rest"),
        # the state the plan was made against: shown and logged, never part of the intent
        ("refunded_before", str(charge.amount_refunded.amount)),
    )
    card = f" on {card_label(charge.card)}" if charge.card else ""
    warnings: list[str] = []
    for d in open_refundable_disputes(snapshot, charge):
        warnings.append(
            f"an inquiry ({d.id}, {d.status}) is open on {charge.id}; Stripe allows the refund, "
            "which usually closes it"
        )
    partial = " (partial)" if not full and amount is not None else ""
    title = (
        f"Refund {refund.format()}{partial} of {charge.id}{card} (reason: {reason})"
        if refund.amount > 0
        else f"Refund of {charge.id}{card} (reason: {reason}): "
        f"{charge.amount_refunded.format()} refunded, nothing left"
    )
    plan = Plan(
        kind=ActionKind.REFUND,
        title=title,
        target_id=charge.id,
        params=params,
        diff=diff,
        api_calls=(
            f"POST /v1/refunds charge={charge.id} amount={refund.amount} reason={reason} "
            "metadata[case_id] metadata[operator] metadata[action]",
        ),
        reversible=False,
        reversal="a refund cannot be undone; the customer sees it in 5–10 business days",
        impact=RevenueImpact(refund=refund if refund.amount > 0 else None),
        moves_money=True,
        blocked_reason=blocked,
        rationale=why or "refund only the affected charge",
        customer_id=charge.customer_id,
        amount=refund,
        recommended=recommended,
        warnings=tuple(warnings),
    )
    return _finish(plan, classification, snapshot, live=live)


def plan_cancel(
    snapshot: CustomerSnapshot,
    subscription_id: str,
    *,
    at_period_end: bool = False,
    cancel_at: datetime | None = None,
    classification: Classification | None = None,
    live: bool = False,
    now: datetime | None = None,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """Cancel now (``prorate=false``, ``invoice_now=false``), at the end of the period, or on
    ``cancel_at`` (Stripe's ``cancel_at``: a future time; renewals before it still bill)."""
    sub = snapshot.subscription(subscription_id)
    if sub is None:
        raise KeyError(f"{subscription_id} is not a subscription of this case")
    blocked = cancel_guard(sub)
    end = sub.current_period_end
    mrr = mrr_change(sub)
    if at_period_end and blocked is None and sub.cancel_at_period_end:
        blocked = f"{sub.id} already cancels at the end of its period ({date_label(end)})"
    if cancel_at is not None:
        blocked = blocked or _dated_cancel_guard(sub, cancel_at, now or snapshot.loaded_at)
        how = _dated_cancel(sub, cancel_at)
    else:
        how = _period_end_cancel(sub) if at_period_end else _immediate_cancel(sub)
    later = cancel_at if cancel_at is not None else (end if at_period_end else None)
    plan = Plan(
        kind=ActionKind.CANCEL_SUBSCRIPTION,
        title=how.title,
        target_id=sub.id,
        params=(("subscription", sub.id), *how.params),
        diff=(how.state, DiffRow(sub.id, "next_invoice", next_invoice_text(sub), how.next_invoice)),
        api_calls=(how.api_call,),
        reversible=later is not None,
        reversal=how.reversal,
        impact=RevenueImpact(mrr_delta=mrr, arr_delta=arr_of(mrr), effective=later),
        moves_money=True,
        blocked_reason=blocked,
        rationale=why or how.rationale,
        customer_id=sub.customer_id,
        recommended=recommended,
    )
    return _finish(plan, classification, snapshot, live=live)


@dataclass(frozen=True)
class _CancelMode:
    """What one way of canceling changes and sends: the state row, the call, the undo."""

    title: str
    params: tuple[tuple[str, str], ...]
    state: DiffRow
    api_call: str
    reversal: str
    rationale: str
    next_invoice: str = "none"


def _dated_cancel_guard(sub: Subscription, cancel_at: datetime, now: datetime) -> str | None:
    """Why ``sub`` cannot be set to cancel on ``cancel_at``: a time not in the future, or the
    date it already cancels on."""
    if cancel_at <= now:
        return f"a cancel date must be in the future (after {date_label(now)})"
    if sub.cancel_at is not None and date_label(sub.cancel_at) == date_label(cancel_at):
        return f"{sub.id} already cancels on {date_label(cancel_at)}"
    return None


def _dated_cancel(sub: Subscription, cancel_at: datetime) -> _CancelMode:
    on = date_label(cancel_at)
    end = sub.current_period_end
    renews = end is not None and cancel_at > end and not sub.cancel_at_period_end
    stamp = int(cancel_at.timestamp())
    return _CancelMode(
        title=f"Cancel {sub.id} ({sub.label}) on {on}",
        params=(("mode", "at_date"), ("cancel_at", str(stamp))),
        state=DiffRow(sub.id, "cancel_at", date_label(sub.cancel_at), on),
        api_call=(
            f"POST /v1/subscriptions/{sub.id} cancel_at={stamp} "
            "metadata[case_id] metadata[operator] metadata[action]"
        ),
        reversal=(
            f"cancel_at can be cleared until {on} (POST /v1/subscriptions/{sub.id} cancel_at=)"
        ),
        rationale=(
            f"stop the subscription on {on}; it renews on {date_label(end)} first"
            if renews
            else f"stop the subscription on {on}; the customer keeps access until then"
        ),
        next_invoice=next_invoice_text(sub) if renews else "none",
    )


def _period_end_cancel(sub: Subscription) -> _CancelMode:
    end = date_label(sub.current_period_end)
    return _CancelMode(
        title=f"Cancel {sub.id} ({sub.label}) at the end of the period ({end})",
        params=(("mode", "at_period_end"),),
        state=DiffRow(sub.id, "cancel_at_period_end", bool_text(sub.cancel_at_period_end), "true"),
        api_call=(
            f"POST /v1/subscriptions/{sub.id} cancel_at_period_end=true "
            "metadata[case_id] metadata[operator] metadata[action]"
        ),
        reversal=(
            f"cancel_at_period_end can be undone until {end} "
            f"(POST /v1/subscriptions/{sub.id} cancel_at_period_end=false)"
        ),
        rationale="stop the renewal; the customer keeps access until the period ends",
    )


def _immediate_cancel(sub: Subscription) -> _CancelMode:
    return _CancelMode(
        title=f"Cancel {sub.id} ({sub.label}) immediately, no proration, no final invoice",
        params=(("mode", "immediately"), ("prorate", "false"), ("invoice_now", "false")),
        state=DiffRow(sub.id, "status", sub.status.value, "canceled"),
        api_call=(
            f"DELETE /v1/subscriptions/{sub.id} prorate=false invoice_now=false "
            "cancellation_details[comment]"
        ),
        reversal="an immediate cancel cannot be undone: the customer would need to subscribe again",
        rationale="stop the subscription now",
    )


def plan_update_quantity(
    snapshot: CustomerSnapshot,
    subscription_id: str,
    quantity: int,
    *,
    prorate_now: bool = False,
    classification: Classification | None = None,
    live: bool = False,
    now: datetime | None = None,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """Change the seat count of ``subscription_id``'s first item.

    ``prorate_now=False``: the seat count changes now and billing follows at the next renewal,
    with no proration (``proration_behavior=none``). ``prorate_now=True``: Stripe credits or
    charges the rest of the period on the next invoice (``create_prorations``); the diff shows
    the workstation's estimate of that proration.
    """
    sub = snapshot.subscription(subscription_id)
    if sub is None:
        raise KeyError(f"{subscription_id} is not a subscription of this case")
    item = primary_item(sub)
    item_id, old_qty = (item.id, item.quantity or 1) if item is not None else ("", 0)
    blocked = seats_guard(sub, quantity, item)
    new_sub = with_quantity(sub, max(quantity, 1)) if sub.items else sub
    mrr = new_sub.mrr - sub.mrr
    behaviour = "create_prorations" if prorate_now else "none"
    if prorate_now and item is not None and item.price.unit_amount is not None:
        when = now or snapshot.loaded_at
        change = _prorated_seat_change(sub, new_sub, item, quantity, when)
    else:
        change = _renewal_seat_change(sub, new_sub, old_qty, quantity)
    seats = DiffRow(item_id or sub.id, "quantity", str(old_qty), str(quantity))
    plan = Plan(
        kind=ActionKind.UPDATE_QUANTITY,
        title=change.title,
        target_id=sub.id,
        params=(
            ("subscription", sub.id),
            ("item", item_id),
            ("quantity", str(quantity)),
            ("proration_behavior", behaviour),
            ("quantity_before", str(old_qty)),  # observed: shown, never part of the intent
        ),
        diff=(seats, change.next_invoice),
        api_calls=(
            f"POST /v1/subscriptions/{sub.id} items[0][id]={item_id} items[0][quantity]={quantity} "
            f"proration_behavior={behaviour} metadata[case_id] metadata[operator] metadata[action]",
        ),
        reversible=True,
        reversal=change.reversal,
        impact=RevenueImpact(mrr_delta=mrr, arr_delta=arr_of(mrr)),
        moves_money=True,
        blocked_reason=blocked,
        rationale=why or "keep the subscription, change only the number of seats",
        customer_id=sub.customer_id,
        recommended=recommended,
        warnings=change.warnings,
    )
    return _finish(plan, classification, snapshot, live=live)


@dataclass(frozen=True)
class _SeatChange:
    """How one way of changing seats bills: the next-invoice row, the title, the undo."""

    next_invoice: DiffRow
    title: str
    reversal: str
    warnings: tuple[str, ...] = ()


def _prorated_seat_change(
    sub: Subscription, new_sub: Subscription, item: SubscriptionItem, quantity: int, now: datetime
) -> _SeatChange:
    """Seats change now; Stripe prorates the rest of the period onto the next invoice."""
    old_qty = item.quantity or 1
    proration = proration_estimate(item, old_qty, quantity, now)
    est = new_sub.period_amount + proration
    end = date_label(sub.current_period_end)
    before = next_invoice_text(sub)
    return _SeatChange(
        next_invoice=DiffRow(
            sub.id,
            "next_invoice",
            before,
            f"{est.format()} on {end}" if before != "none" else "none",
            estimate=True,
        ),
        title=f"Change {sub.id} to {count_label(quantity, 'seat')} now, prorated",
        reversal=(
            f"set the quantity back to {old_qty} (another proration); credits already issued stay"
        ),
        warnings=(
            f"proration preview: {signed(proration)} for the rest of the period "
            f"(to {end}), added to the next invoice; an estimate",
        ),
    )


def _renewal_seat_change(
    sub: Subscription, new_sub: Subscription, old_qty: int, quantity: int
) -> _SeatChange:
    """Seats change now; billing follows at the next renewal, without proration."""
    end = date_label(sub.current_period_end)
    return _SeatChange(
        next_invoice=DiffRow(
            sub.id, "next_invoice", next_invoice_text(sub), next_invoice_text(new_sub)
        ),
        title=(
            f"Change {sub.id} to {count_label(quantity, 'seat')} from the next renewal ({end}), "
            "no proration"
        ),
        reversal=f"set the quantity back to {old_qty} before {end}",
    )


def plan_retry_invoice(
    snapshot: CustomerSnapshot,
    invoice_id: str,
    *,
    classification: Classification | None = None,
    live: bool = False,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """Attempt the open invoice again with the customer's current default payment method."""
    inv = snapshot.invoice(invoice_id)
    if inv is None:
        raise KeyError(f"{invoice_id} is not an invoice of this case")
    blocked: str | None = None
    if inv.status != "open":
        blocked = f"{inv.id} is {inv.status}, not open: there is nothing to retry"
    owner = snapshot.subscription(inv.subscription_id) if inv.subscription_id else None
    if blocked is None and owner is not None and not owner.is_live:
        twins = [
            s
            for s in snapshot.live_subscriptions
            if s.id != owner.id and s.product_ids & owner.product_ids
        ]
        if twins:
            blocked = (
                f"paying {inv.id} would start {owner.id} next to the live {twins[0].id} "
                f"(same product): a duplicate. Let {owner.id} expire instead"
            )
    diff: list[DiffRow] = [
        DiffRow(inv.id, "status", inv.status, "paid"),
        DiffRow(
            inv.id,
            "amount_remaining",
            inv.amount_remaining.format(),
            Money.zero(inv.amount_remaining.currency).format(),
        ),
    ]
    if owner is not None and owner.status in (
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.UNPAID,
    ):
        diff.append(DiffRow(owner.id, "status", owner.status.value, "active"))
    plan = Plan(
        kind=ActionKind.RETRY_INVOICE_PAYMENT,
        title=f"Retry payment of {inv.id} ({inv.amount_remaining.format()}) after the card update",
        target_id=inv.id,
        params=(("invoice", inv.id),),
        diff=tuple(diff),
        api_calls=(f"POST /v1/invoices/{inv.id}/pay",),
        reversible=False,
        reversal="a successful payment can only be given back with a refund",
        impact=RevenueImpact(),
        moves_money=True,
        blocked_reason=blocked,
        rationale=why or "collect the open invoice once the customer has a working card",
        customer_id=inv.customer_id,
        amount=inv.amount_remaining,
        recommended=recommended,
        warnings=("retry only after the customer has updated their card, or it fails again",),
    )
    return _finish(plan, classification, snapshot, live=live)


_FLOW_TEXT = {
    None: "the billing portal",
    "payment_method_update": "the portal's update-card page",
    "subscription_cancel": "the portal's cancel page",
    "subscription_update": "the portal's change-plan page",
}


def plan_portal(
    snapshot: CustomerSnapshot,
    customer_id: str,
    *,
    flow: str | None = None,
    subscription_id: str | None = None,
    portal_known: bool | None = None,
    return_url: str | None = None,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """A billing-portal session link for the customer (optionally deep-linked into a flow).

    The customer returns to ``return_url``, else the configuration's ``default_return_url``.
    """
    known = snapshot.portal_known if portal_known is None else portal_known
    portal = snapshot.portal
    blocked = portal_flow_guard(portal, flow, known=known)
    back = (portal.default_return_url if portal is not None else None) or return_url
    if blocked is None and not back:
        blocked = (
            f"no return URL: give the portal configuration {portal.id if portal else ''} a "
            "default redirect link (Dashboard → Settings → Billing → Customer portal), or set "
            "Settings.portal_return_url"
        )
    params: list[tuple[str, str]] = [("customer", customer_id), ("return_url", back or "")]
    if portal is not None:
        params.append(("configuration", portal.id))
    if flow is not None:
        params.append(("flow", flow))
    if subscription_id is not None:
        params.append(("subscription", subscription_id))
    call = f"POST /v1/billing_portal/sessions customer={customer_id}"
    if portal is not None:
        call += f" configuration={portal.id}"
    if flow is not None:
        call += f" flow_data[type]={flow}"
        if subscription_id:
            key = "subscription_cancel" if flow == "subscription_cancel" else "subscription_update"
            call += f" flow_data[{key}][subscription]={subscription_id}"
    warnings = () if known else ("the portal configuration could not be read; the link may fail",)
    return Plan(
        kind=ActionKind.PORTAL_SESSION,
        title=f"Send a link to {_FLOW_TEXT.get(flow, flow)} for {customer_id}",
        target_id=customer_id,
        params=tuple(params),
        api_calls=(call,),
        reversible=True,
        reversal="nothing changes until the customer acts; the link expires on its own",
        blocked_reason=blocked,
        rationale=why or "restore self-serve: the customer fixes it themselves",
        customer_id=customer_id,
        recommended=recommended,
        warnings=warnings,
    )


def plan_note(title: str, *, customer_id: str | None = None, why: str = "") -> Plan:
    """Document only: no Stripe call."""
    return Plan(
        kind=ActionKind.NO_OP,
        title=title,
        target_id=customer_id,
        params=(("note", title),),
        reversible=True,
        reversal="nothing to undo",
        rationale=why or "write down the decision",
        customer_id=customer_id,
    )


def with_refund_amount(
    plan: Plan,
    snapshot: CustomerSnapshot,
    amount: Money,
    *,
    classification: Classification | None = None,
    live: bool = False,
) -> Plan:
    """The same refund plan for a different (partial) amount, with every guard re-applied."""
    if plan.kind != ActionKind.REFUND or plan.target_id is None:
        raise ValueError("only a refund plan has an amount to change")
    return plan_refund(
        snapshot,
        plan.target_id,
        amount=amount,
        reason=plan.param("reason") or "requested_by_customer",
        classification=classification,
        live=live,
        why=plan.rationale,
        recommended=plan.recommended,
    )
