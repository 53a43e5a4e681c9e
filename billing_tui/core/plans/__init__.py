"""Action plans: what the workstation may do for a case, its diff, revenue impact and execution.

A :class:`Plan` is pure data computed from a snapshot and a classification; executing it is
write-ahead (the case log records the idempotency key before the Stripe call) and idempotent.

The safe order every recommendation follows (the "ladder"):

1. restore self-serve (a billing-portal session, with a flow where the portal allows it);
2. fix the duplicate or broken state (cancel the extra subscription, retry the open invoice,
   change seats);
3. refund only the affected charge;
4. document (``no_op``), then follow up (the handoff).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from billing_tui.core import anomalies as an
from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.model import (
    Charge,
    CustomerSnapshot,
    Dispute,
    Invoice,
    Money,
    PortalConfiguration,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    minor_unit_exponent,
)
from billing_tui.core.plans.plan import Failure as Failure
from billing_tui.core.plans.plan import FailureKind as FailureKind
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import brand_label, date_label

if TYPE_CHECKING:
    from billing_tui.gateway import Gateway
    from billing_tui.store.caselog import CaseLog


class ActionKind(StrEnum):
    PORTAL_SESSION = "portal_session"
    CANCEL_SUBSCRIPTION = "cancel_subscription"
    UPDATE_QUANTITY = "update_quantity"
    REFUND = "refund"
    RETRY_INVOICE_PAYMENT = "retry_invoice_payment"
    NO_OP = "no_op"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    ActionKind.PORTAL_SESSION: "portal link",
    ActionKind.CANCEL_SUBSCRIPTION: "cancel",
    ActionKind.UPDATE_QUANTITY: "change seats",
    ActionKind.REFUND: "refund",
    ActionKind.RETRY_INVOICE_PAYMENT: "retry payment",
    ActionKind.NO_OP: "document only",
}


class Step(IntEnum):
    """The rung of the safe ladder a plan sits on; plans are always sorted by it."""

    RESTORE_SELF_SERVE = 1
    FIX_STATE = 2
    REFUND = 3
    DOCUMENT = 4

    @property
    def label(self) -> str:
        return {
            Step.RESTORE_SELF_SERVE: "restore self-serve",
            Step.FIX_STATE: "fix the state",
            Step.REFUND: "refund the affected charge",
            Step.DOCUMENT: "document",
        }[self]


_STEP_OF = {
    ActionKind.PORTAL_SESSION: Step.RESTORE_SELF_SERVE,
    ActionKind.CANCEL_SUBSCRIPTION: Step.FIX_STATE,
    ActionKind.UPDATE_QUANTITY: Step.FIX_STATE,
    ActionKind.RETRY_INVOICE_PAYMENT: Step.FIX_STATE,
    ActionKind.REFUND: Step.REFUND,
    ActionKind.NO_OP: Step.DOCUMENT,
}


@dataclass(frozen=True)
class DiffRow:
    """One field that changes: ``object_id.field: before → after``.

    ``estimate`` marks a value the workstation computed itself (a proration preview) rather
    than one Stripe will report back exactly.
    """

    object_id: str
    field: str
    before: str
    after: str
    estimate: bool = False

    def text(self) -> str:
        approx = " (estimate)" if self.estimate else ""
        return f"{self.object_id}.{self.field}: {self.before} → {self.after}{approx}"


@dataclass(frozen=True)
class RevenueImpact:
    refund: Money | None = None  # money returned to the customer now
    mrr_delta: Money | None = None  # change in monthly recurring revenue (negative = loss)
    arr_delta: Money | None = None
    effective: datetime | None = None  # when the MRR change takes effect (None: now)

    def describe(self) -> str:
        parts: list[str] = []
        if self.refund:
            parts.append(f"refund {self.refund.format()}")
        if self.mrr_delta:
            parts.append(f"MRR {_signed(self.mrr_delta)}")
        if self.arr_delta:
            parts.append(f"ARR {_signed(self.arr_delta)}")
        if parts and self.effective is not None and self.mrr_delta:
            parts.append(f"from {self.effective:%Y-%m-%d}")
        return ", ".join(parts) or "no revenue change"


def _signed(money: Money) -> str:
    return money.format() if money.amount < 0 else f"+{money.format()}"


@dataclass(frozen=True)
class Plan:
    """One proposed action, with everything the operator must see before confirming it."""

    kind: ActionKind
    title: str  # "Cancel sub_… (Pro Monthly) immediately, no proration"
    target_id: str | None  # the subscription, charge, invoice or customer it acts on
    params: tuple[tuple[str, str], ...] = ()  # the call's parameters, for the diff and the key
    diff: tuple[DiffRow, ...] = ()
    api_calls: tuple[str, ...] = ()  # e.g. "POST /v1/refunds charge=ch_… amount=1900"
    reversible: bool = True
    reversal: str = ""  # how to undo it, or why it cannot be undone
    impact: RevenueImpact = field(default_factory=RevenueImpact)
    moves_money: bool = False  # refunds, cancels and quantity changes
    blocked_reason: str | None = None  # set when the plan cannot run; shown greyed with this
    rationale: str = ""  # why this step, in the safe order
    confirm_phrase: str | None = None  # what a LIVE operator must type to confirm
    # --- additive fields (actions helper)
    customer_id: str | None = None  # the customer the action concerns
    amount: Money | None = None  # the refund (or retried invoice) amount
    recommended: bool = True  # False: an alternative offered alongside ("on request")
    warnings: tuple[str, ...] = ()  # shown with the plan; never block it

    @property
    def possible(self) -> bool:
        return self.blocked_reason is None

    @property
    def step(self) -> Step:
        return _STEP_OF[self.kind]

    @property
    def param_map(self) -> dict[str, str]:
        return dict(self.params)

    def param(self, name: str) -> str | None:
        return self.param_map.get(name)


@dataclass(frozen=True)
class ActionOutcome:
    """What happened when a plan was executed (or why it was not)."""

    plan: Plan
    status: str  # succeeded | failed | skipped
    message: str
    stripe_ids: tuple[str, ...] = ()
    request_id: str | None = None
    idempotency_key: str | None = None
    # --- additive fields
    action_id: str | None = None  # the case-log action record
    url: str | None = None  # a portal session's URL (short-lived)
    replayed: bool = False  # True: the case log already held this action's result
    failure: Failure | None = None  # why it failed or was skipped (None when it succeeded)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


# --------------------------------------------------------------------------- formatting

def money_phrase(money: Money) -> str:
    """The amount as an operator types it to confirm: ``19.00``, ``1200`` (JPY), no symbol."""
    exp = minor_unit_exponent(money.currency)
    return f"{money.major:.{exp}f}"


def parse_money(text: str, currency: str) -> Money:
    """``"9.50"`` in USD → ``Money(950, "usd")``; ``"1200"`` in JPY → ``Money(1200, "jpy")``.

    Raises ``ValueError`` with a sentence for anything that is not a plain positive amount in
    the currency's precision (no symbols, no thousands separators).
    """
    raw = text.strip()
    exp = minor_unit_exponent(currency)
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount (write it like 19.00)") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{text!r}: an amount must be more than zero")
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        places = "no decimals" if exp == 0 else f"at most {exp} decimals"
        raise ValueError(f"{text!r}: {currency.upper()} amounts have {places}")
    return Money(int(minor), currency)


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


def _date(value: datetime | None) -> str:
    return date_label(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def next_invoice_text(sub: Subscription) -> str:
    """What the subscription will bill next and when, as the diff shows it."""
    if (
        not sub.is_live
        or sub.cancel_at_period_end
        or (
            sub.cancel_at is not None and sub.cancel_at <= (sub.current_period_end or sub.cancel_at)
        )
    ):
        return "none"
    return f"{sub.period_amount.format()} on {_date(sub.current_period_end)}"


def observe(snapshot: CustomerSnapshot, object_id: str, field_name: str) -> str:
    """The current value of ``object_id.field`` as the diff renders it.

    Diff rows render their values exactly this way, so reading a fresh snapshot through it
    after execution checks the "after" column against what Stripe reports (the tests do).
    """
    sub = snapshot.subscription(object_id)
    if sub is not None:
        match field_name:
            case "status":
                return sub.status.value
            case "cancel_at_period_end":
                return _bool(sub.cancel_at_period_end)
            case "cancel_at":
                return _date(sub.cancel_at)
            case "quantity":
                return str(sub.quantity)
            case "next_invoice":
                return next_invoice_text(sub)
    charge = snapshot.charge(object_id)
    if charge is not None:
        match field_name:
            case "amount_refunded":
                return charge.amount_refunded.format()
            case "refunded":
                return _bool(charge.refunded)
    invoice = snapshot.invoice(object_id)
    if invoice is not None:
        match field_name:
            case "status":
                return invoice.status
            case "amount_remaining":
                return invoice.amount_remaining.format()
    for sub in snapshot.subscriptions:
        for item in sub.items:
            if item.id == object_id and field_name == "quantity":
                return str(item.quantity or 0)
    raise KeyError(f"{object_id}.{field_name} is not a field the diff knows")


# --------------------------------------------------------------------------- guards


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


def _open_refundable_disputes(snapshot: CustomerSnapshot, charge: Charge) -> list[Dispute]:
    return [d for d in snapshot.disputes_of(charge.id) if d.is_open and d.is_charge_refundable]


def _cancel_guard(sub: Subscription) -> str | None:
    if sub.status == SubscriptionStatus.CANCELED:
        when = (
            f" since {_date(sub.canceled_at or sub.ended_at)}"
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


def _money_guard(classification: Classification) -> str | None:
    return classification.blocked_reason()


# --------------------------------------------------------------------------- impact


def mrr_change(sub: Subscription, new_quantity: int | None = None) -> Money:
    """MRR delta of cancelling ``sub`` (``new_quantity`` None) or changing its quantity."""
    if new_quantity is None:
        return -sub.mrr
    if not sub.items:
        return Money.zero(sub.currency)
    changed = _with_quantity(sub, new_quantity)
    return changed.mrr - sub.mrr


def arr_of(mrr: Money) -> Money:
    return mrr.times(12)


def _with_quantity(sub: Subscription, quantity: int) -> Subscription:
    first, *rest = sub.items
    return replace(sub, items=(replace(first, quantity=quantity), *rest))


def _primary_item(sub: Subscription) -> SubscriptionItem | None:
    return sub.items[0] if sub.items else None


# --------------------------------------------------------------------------- plan builders


def _finish(plan: Plan, classification: Classification | None, *, live: bool) -> Plan:
    """Apply the guards that hold for every plan: classification, then the live confirmation."""
    if plan.moves_money and classification is not None and plan.blocked_reason is None:
        reason = _money_guard(classification)
        if reason is not None:
            plan = replace(plan, blocked_reason=reason)
    if live and plan.kind not in (ActionKind.NO_OP, ActionKind.PORTAL_SESSION):
        phrase = (
            money_phrase(plan.amount)
            if plan.kind == ActionKind.REFUND and plan.amount
            else plan.target_id
        )
        plan = replace(plan, confirm_phrase=phrase)
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
        DiffRow(charge.id, "refunded", _bool(charge.refunded), _bool(full)),
    )
    params = (
        ("charge", charge.id),
        ("amount", str(refund.amount)),
        ("currency", refund.currency),
        ("reason", reason),
        # the state the plan was made against: a second, deliberate partial refund (planned
        # after the first one) is a new intent; the same plan sent again is not
        ("refunded_before", str(charge.amount_refunded.amount)),
    )
    card = f" on {brand_label(charge.card.brand)} ····{charge.card.last4}" if charge.card else ""
    warnings: list[str] = []
    for d in _open_refundable_disputes(snapshot, charge):
        warnings.append(
            f"an inquiry ({d.id}, {d.status}) is open on {charge.id}; Stripe allows the refund, "
            "which usually closes it"
        )
    partial = " (partial)" if not full and amount is not None else ""
    what = refund.format() if refund.amount > 0 else "nothing left"
    plan = Plan(
        kind=ActionKind.REFUND,
        title=f"Refund {what}{partial} of {charge.id}{card} (reason: {reason})",
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
    return _finish(plan, classification, live=live)


def plan_cancel(
    snapshot: CustomerSnapshot,
    subscription_id: str,
    *,
    at_period_end: bool = False,
    classification: Classification | None = None,
    live: bool = False,
    why: str = "",
    recommended: bool = True,
) -> Plan:
    """Cancel now (``prorate=false``, ``invoice_now=false``) or at the end of the period."""
    sub = snapshot.subscription(subscription_id)
    if sub is None:
        raise KeyError(f"{subscription_id} is not a subscription of this case")
    blocked = _cancel_guard(sub)
    end = sub.current_period_end
    mrr = mrr_change(sub)
    if at_period_end:
        if blocked is None and sub.cancel_at_period_end:
            blocked = f"{sub.id} already cancels at the end of its period ({_date(end)})"
        diff: tuple[DiffRow, ...] = (
            DiffRow(sub.id, "cancel_at_period_end", _bool(sub.cancel_at_period_end), "true"),
            DiffRow(sub.id, "next_invoice", next_invoice_text(sub), "none"),
        )
        params: tuple[tuple[str, str], ...] = (
            ("subscription", sub.id),
            ("mode", "at_period_end"),
        )
        plan = Plan(
            kind=ActionKind.CANCEL_SUBSCRIPTION,
            title=f"Cancel {sub.id} ({sub.label}) at the end of the period ({_date(end)})",
            target_id=sub.id,
            params=params,
            diff=diff,
            api_calls=(
                f"POST /v1/subscriptions/{sub.id} cancel_at_period_end=true "
                "metadata[case_id] metadata[operator] metadata[action]",
            ),
            reversible=True,
            reversal=(
                f"cancel_at_period_end can be undone until {_date(end)} "
                f"(POST /v1/subscriptions/{sub.id} cancel_at_period_end=false)"
            ),
            impact=RevenueImpact(mrr_delta=mrr, arr_delta=arr_of(mrr), effective=end),
            moves_money=True,
            blocked_reason=blocked,
            rationale=why or "stop the renewal; the customer keeps access until the period ends",
            customer_id=sub.customer_id,
            recommended=recommended,
        )
    else:
        diff = (
            DiffRow(sub.id, "status", sub.status.value, "canceled"),
            DiffRow(sub.id, "next_invoice", next_invoice_text(sub), "none"),
        )
        params = (
            ("subscription", sub.id),
            ("mode", "immediately"),
            ("prorate", "false"),
            ("invoice_now", "false"),
        )
        plan = Plan(
            kind=ActionKind.CANCEL_SUBSCRIPTION,
            title=f"Cancel {sub.id} ({sub.label}) immediately, no proration, no final invoice",
            target_id=sub.id,
            params=params,
            diff=diff,
            api_calls=(
                f"DELETE /v1/subscriptions/{sub.id} prorate=false invoice_now=false "
                "cancellation_details[comment]",
            ),
            reversible=False,
            reversal=(
                "an immediate cancel cannot be undone: the customer would need to subscribe again"
            ),
            impact=RevenueImpact(mrr_delta=mrr, arr_delta=arr_of(mrr)),
            moves_money=True,
            blocked_reason=blocked,
            rationale=why or "stop the subscription now",
            customer_id=sub.customer_id,
            recommended=recommended,
        )
    return _finish(plan, classification, live=live)


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
    item = _primary_item(sub)
    blocked = _cancel_guard(sub)
    if blocked is not None:
        blocked = blocked.replace("there is nothing to cancel", "seats cannot change")
        blocked = blocked.replace("nothing to cancel", "seats cannot change")
    if item is None:
        blocked = blocked or f"{sub.id} has no items"
        item_id, old_qty = "", 0
    else:
        item_id, old_qty = item.id, item.quantity or 1
    if blocked is None and quantity < 1:
        blocked = "a subscription keeps at least 1 seat; cancel it instead"
    if blocked is None and quantity == old_qty:
        blocked = f"{sub.id} already has {quantity} seat(s)"
    if blocked is None and len(sub.items) > 1:
        blocked = f"{sub.id} has {len(sub.items)} items: change seats in the Dashboard"
    new_sub = _with_quantity(sub, max(quantity, 1)) if sub.items else sub
    mrr = new_sub.mrr - sub.mrr
    rows = [DiffRow(item_id or sub.id, "quantity", str(old_qty), str(quantity))]
    behaviour = "create_prorations" if prorate_now else "none"
    warnings: list[str] = []
    if prorate_now and item is not None and item.price.unit_amount is not None:
        proration = _proration_estimate(item, old_qty, quantity, now or snapshot.loaded_at)
        est = new_sub.period_amount + proration
        rows.append(
            DiffRow(
                sub.id,
                "next_invoice",
                next_invoice_text(sub),
                f"{est.format()} on {_date(sub.current_period_end)}"
                if next_invoice_text(sub) != "none"
                else "none",
                estimate=True,
            )
        )
        warnings.append(
            f"proration preview: {_signed(proration)} for the rest of the period "
            f"(to {_date(sub.current_period_end)}), added to the next invoice; an estimate"
        )
        title = f"Change {sub.id} to {quantity} seat(s) now, prorated"
        reversal = (
            f"set the quantity back to {old_qty} (another proration); credits already issued stay"
        )
    else:
        rows.append(
            DiffRow(sub.id, "next_invoice", next_invoice_text(sub), next_invoice_text(new_sub))
        )
        title = (
            f"Change {sub.id} to {quantity} seat(s) from the next renewal "
            f"({_date(sub.current_period_end)}), no proration"
        )
        reversal = f"set the quantity back to {old_qty} before {_date(sub.current_period_end)}"
    plan = Plan(
        kind=ActionKind.UPDATE_QUANTITY,
        title=title,
        target_id=sub.id,
        params=(
            ("subscription", sub.id),
            ("item", item_id),
            ("quantity", str(quantity)),
            ("proration_behavior", behaviour),
            ("quantity_before", str(old_qty)),
        ),
        diff=tuple(rows),
        api_calls=(
            f"POST /v1/subscriptions/{sub.id} items[0][id]={item_id} items[0][quantity]={quantity} "
            f"proration_behavior={behaviour} metadata[case_id] metadata[operator] metadata[action]",
        ),
        reversible=True,
        reversal=reversal,
        impact=RevenueImpact(mrr_delta=mrr, arr_delta=arr_of(mrr)),
        moves_money=True,
        blocked_reason=blocked,
        rationale=why or "keep the subscription, change only the number of seats",
        customer_id=sub.customer_id,
        recommended=recommended,
        warnings=tuple(warnings),
    )
    return _finish(plan, classification, live=live)


def _proration_estimate(item: SubscriptionItem, old: int, new: int, now: datetime) -> Money:
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
    sub = snapshot.subscription(inv.subscription_id) if inv.subscription_id else None
    if sub is not None and sub.status in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
        diff.append(DiffRow(sub.id, "status", sub.status.value, "active"))
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
    return _finish(plan, classification, live=live)


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


# --------------------------------------------------------------------------- recommendations


def duplicate_groups(
    snapshot: CustomerSnapshot, settings: Settings = DEFAULT_SETTINGS
) -> list[tuple[Subscription, ...]]:
    """Subscriptions that duplicate each other, oldest (the one to keep) first.

    On one customer: the ``duplicate_subscription`` rule (same plan, created within the
    duplicate window, one seat each, not for different people). Across customer records that
    share an email: the same product live on both (``cross_customer_duplicate``).
    """
    groups = [tuple(g) for g in an.duplicate_groups(snapshot, settings)]
    taken = {s.id for g in groups for s in g}
    by_email: dict[str, list[str]] = {}
    for customer in snapshot.customers:
        email = (customer.email or "").strip().casefold()
        if email:
            by_email.setdefault(email, []).append(customer.id)
    for customer_ids in by_email.values():
        if len(customer_ids) < 2:
            continue
        by_product: dict[str, list[Subscription]] = {}
        for sub in snapshot.live_subscriptions:
            if sub.customer_id in customer_ids and sub.id not in taken and sub.quantity <= 1:
                for product in sorted(sub.product_ids):
                    by_product.setdefault(product, []).append(sub)
        for subs in by_product.values():
            subs.sort(key=lambda s: (s.created, s.id))
            original = subs[0]
            extras = [
                s
                for s in subs[1:]
                if s.customer_id != original.customer_id
                and not _different_people(original, s, settings)
            ]
            if extras:
                groups.append((original, *extras))
                taken.update(s.id for s in (original, *extras))
    return groups


def _different_people(a: Subscription, b: Subscription, settings: Settings) -> bool:
    pa, pb = an.person(a, settings), an.person(b, settings)
    return pa is not None and pb is not None and pa != pb


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


def _bucket_of(classification: Classification) -> Bucket | None:
    return classification.bucket if classification.confirmed else classification.suggested


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
    bucket = _bucket_of(classification)
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
    groups = duplicate_groups(snap, ctx.settings)
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
                        f"{_gap(original.created, extra.created)} later): cancel the newer one "
                        "now, keep the original"
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
    if not groups:
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


def _gap(first: datetime, second: datetime) -> str:
    seconds = int(abs((second - first).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _seat_target(cls: Classification, sub: Subscription) -> tuple[int, bool]:
    """The seat count the customer asked for (answers ``seats``), or one fewer as an offer."""
    raw = cls.answers.get("seats") or cls.answers.get("target_quantity")
    if raw is not None and raw.strip().isdigit() and int(raw) != sub.quantity:
        return int(raw), True
    return max(sub.quantity - 1, 1), False


def _team(ctx: _Ctx) -> list[Plan]:
    """Keep the seats (no refund). Seat changes and consolidation are offered on request,
    and recommended only when the operator recorded the seat count asked for (``seats``)."""
    snap, cls = ctx.snapshot, ctx.classification
    plans: list[Plan] = []
    live = snap.live_subscriptions
    teams = [s for s in live if s.quantity > 1 and len(s.items) == 1]
    personal = [s for s in live if s.quantity == 1 and an.person(s, ctx.settings) is not None]
    for sub in teams:
        target, asked = _seat_target(cls, sub)
        consolidate = not asked and personal and sub.customer_id == personal[0].customer_id
        if consolidate:
            target = sub.quantity + len(personal)
            people = ", ".join(p for s in personal if (p := an.person(s, ctx.settings)))
            why = f"move the personal plans ({people}) onto the team: {target} seats"
        elif target < sub.quantity:
            why = "seat reduction: keep the subscription, bill fewer seats"
        else:
            why = "more seats on the team subscription"
        plans.append(
            plan_update_quantity(
                snap,
                sub.id,
                target,
                classification=cls,
                live=ctx.live,
                now=ctx.now,
                recommended=asked and target < sub.quantity,
                why=f"{why}, from the next renewal without proration",
            )
        )
        plans.append(
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
            )
        )
        if consolidate:
            for extra in personal:
                plans.append(
                    plan_cancel(
                        snap,
                        extra.id,
                        at_period_end=True,
                        classification=cls,
                        live=ctx.live,
                        recommended=False,
                        why=f"{an.person(extra, ctx.settings)}'s personal plan ends at its "
                        "period end once the seat is on the team (with the customer's agreement)",
                    )
                )
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
                due = f", evidence due {_date(d.evidence_due_by)}" if d.evidence_due_by else ""
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


# --------------------------------------------------------------------------- idempotency


def idempotency_key(
    case_id: str, kind: ActionKind | str, params: Iterable[tuple[str, str]] | Mapping[str, str]
) -> str:
    """A deterministic key for one intent: the same case, action and parameters → the same key.

    A retry after a crash, a timeout or a second click reuses it, so Stripe replays the first
    result instead of refunding or updating twice.
    """
    items = sorted(params.items() if isinstance(params, Mapping) else params)
    canonical = "\n".join(f"{k}={v}" for k, v in items)
    digest = hashlib.sha256(f"{case_id}\n{kind}\n{canonical}".encode()).hexdigest()[:24]
    return f"btui-{case_id}-{ActionKind(kind).value}-{digest}"


# --------------------------------------------------------------------------- execution


class _ActionRecordLike(Protocol):
    """The part of ``caselog.ActionRecord`` execution reads."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def params(self) -> Mapping[str, str]: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def result(self) -> Mapping[str, Any]: ...
    @property
    def operator(self) -> str: ...


def _target(params: Mapping[str, str]) -> str | None:
    """The object an action's recorded parameters act on."""
    for name in ("charge", "subscription", "invoice", "customer"):
        if params.get(name):
            return params[name]
    return None


def _result_ids(result: Mapping[str, Any]) -> tuple[str, ...]:
    ids = result.get("stripe_ids") or ()
    return tuple(str(i) for i in ids) if isinstance(ids, list | tuple) else ()


def plan_idempotency_key(case_id: str, plan: Plan) -> str:
    """The key :func:`execute` sends for ``plan`` (before any ``-retryN`` / ``-nN`` suffix).

    A plan's parameters carry the state it was planned against (a refund's
    ``refunded_before``, a seat change's ``quantity_before``): pressing the key twice on the
    same view replays the first call, while a deliberate second partial refund of the same
    amount, planned after the first one shows on the charge, is a new intent with a new key.
    """
    return idempotency_key(case_id, plan.kind, dict(plan.params))


def _replayed(plan: Plan, record: _ActionRecordLike) -> ActionOutcome:
    result = record.result
    return ActionOutcome(
        plan=plan,
        status="succeeded",
        message=f"already done in this case ({', '.join(_result_ids(result)) or record.id}); "
        "nothing was sent again",
        stripe_ids=_result_ids(result),
        request_id=str(result.get("request_id")) if result.get("request_id") else None,
        idempotency_key=record.idempotency_key,
        action_id=record.id,
        replayed=True,
    )


def _uncertain(exc: Exception) -> bool:
    """The request may or may not have been applied (no answer, or a 5xx)."""
    return failure_of(exc).kind == FailureKind.UNCERTAIN


def _skipped(plan: Plan, message: str) -> ActionOutcome:
    """Nothing was sent: a guard, a missing LIVE confirmation or an unsettled earlier action."""
    return ActionOutcome(plan, "skipped", message, failure=Failure(FailureKind.REFUSED, message))


def failure_of(exc: Exception) -> Failure:
    """The typed failure for an exception the gateway (or a malformed plan) raised."""
    from billing_tui import gateway as gw

    message = str(exc)
    if isinstance(exc, gw.PermissionDenied):
        return Failure(FailureKind.PERMISSION, message, permission=exc.permission)
    if isinstance(exc, gw.NetworkDown | gw.StripeUnavailable):
        return Failure(FailureKind.UNCERTAIN, message)
    if isinstance(exc, gw.CardDeclined):
        return Failure(FailureKind.DECLINED, message, param=exc.param, code=exc.code)
    if isinstance(exc, gw.InvalidRequest):
        return Failure(FailureKind.INVALID, message, param=exc.param, code=exc.code)
    if isinstance(exc, gw.MalformedId):
        return Failure(FailureKind.INVALID, message)
    if isinstance(exc, gw.NotFound):
        return Failure(FailureKind.NOT_FOUND, message)
    if isinstance(exc, gw.RateLimited):
        return Failure(FailureKind.UNAVAILABLE, message)
    return Failure(FailureKind.OTHER, message)


@dataclass(frozen=True)
class _Done:
    stripe_ids: tuple[str, ...]
    request_id: str | None
    message: str
    url: str | None = None


def metadata_for(case_id: str, operator: str, kind: ActionKind | str) -> dict[str, str]:
    """What goes on the Stripe object so the Dashboard shows who did it and why."""
    return {"case_id": case_id, "operator": operator, "action": ActionKind(kind).value}


async def _perform(
    gateway: Gateway,
    kind: ActionKind,
    params: Mapping[str, str],
    key: str,
    metadata: Mapping[str, str],
) -> _Done:
    """Send one action's call. The same (kind, params, key, metadata) always sends the same
    request, so a re-send after a crash is replayed by Stripe instead of applied twice."""
    if kind == ActionKind.REFUND:
        amount = int(params["amount"]) if params.get("amount") else None
        refund = await gateway.create_refund(
            params["charge"],
            amount=amount,
            reason=params.get("reason") or None,
            metadata=metadata,
            idempotency_key=key,
        )
        money = refund.obj.amount
        return _Done(
            (refund.obj.id,),
            refund.request_id,
            f"refunded {money.format()} of {params['charge']} "
            f"({refund.obj.id}, {refund.obj.status})",
        )
    if kind == ActionKind.CANCEL_SUBSCRIPTION:
        sub_id = params["subscription"]
        if params.get("mode") == "at_period_end":
            updated = await gateway.update_subscription(
                sub_id, cancel_at_period_end=True, metadata=metadata, idempotency_key=key
            )
            end = updated.obj.current_period_end
            return _Done(
                (sub_id,),
                updated.request_id,
                f"{sub_id} cancels at the end of its period ({_date(end)}); "
                "undo possible until then",
            )
        canceled = await gateway.cancel_subscription(
            sub_id,
            invoice_now=params.get("invoice_now") == "true",
            prorate=params.get("prorate") == "true",
            comment=(
                f"billing-tui case {metadata.get('case_id', '')} by {metadata.get('operator', '')}"
            ),
        )
        note = f" ({canceled.note})" if canceled.note else ""
        return _Done(
            (sub_id,), canceled.request_id, f"{sub_id} is {canceled.obj.status.value}{note}"
        )
    if kind == ActionKind.UPDATE_QUANTITY:
        sub_id = params["subscription"]
        updated = await gateway.update_subscription(
            sub_id,
            quantity=int(params["quantity"]),
            item_id=params.get("item") or None,
            proration_behavior=params.get("proration_behavior") or None,
            metadata=metadata,
            idempotency_key=key,
        )
        return _Done(
            (sub_id,),
            updated.request_id,
            f"{sub_id} now has {updated.obj.quantity} seat(s)",
        )
    if kind == ActionKind.PORTAL_SESSION:
        session = await gateway.create_portal_session(
            params["customer"],
            return_url=params.get("return_url") or "",
            flow_type=params.get("flow") or None,
            subscription_id=params.get("subscription") or None,
            configuration=params.get("configuration") or None,
            idempotency_key=key,
        )
        return _Done(
            (session.obj.id,),
            session.request_id,
            f"portal session {session.obj.id} created (the link is short-lived)",
            url=session.obj.url,
        )
    if kind == ActionKind.RETRY_INVOICE_PAYMENT:
        paid = await gateway.pay_invoice(params["invoice"], idempotency_key=key)
        return _Done(
            (paid.obj.id,),
            paid.request_id,
            f"{paid.obj.id} is {paid.obj.status} ({paid.obj.amount_paid.format()} paid)",
        )
    raise ValueError(f"{kind} has no Stripe call")


async def execute(
    plan: Plan,
    gateway: Gateway,
    caselog: CaseLog,
    case_id: str,
    *,
    operator: str,
    confirmation: str | None = None,
    live: bool = False,
) -> ActionOutcome:
    """Run one plan, write-ahead: the case log holds the action and its idempotency key before
    the call, ``in_flight`` while it runs, and the Stripe ids / request id or error after.

    Executing the same plan again in the same case reuses the key (or, once it succeeded,
    returns the recorded result without calling Stripe), so nothing happens twice. An
    outcome Stripe did not answer (network, 5xx) stays ``in_flight`` for :func:`reconcile`.
    """
    if plan.blocked_reason is not None:
        return _skipped(plan, f"not done: {plan.blocked_reason}")
    if live and plan.kind not in (ActionKind.NO_OP, ActionKind.PORTAL_SESSION):
        phrase = plan.confirm_phrase or (
            money_phrase(plan.amount)
            if plan.kind == ActionKind.REFUND and plan.amount
            else plan.target_id
        )
        if not confirmation or confirmation.strip() != phrase:
            return _skipped(
                plan, f"live mode: type {phrase} to confirm this action; nothing was sent"
            )
    params = dict(plan.params)
    base = plan_idempotency_key(case_id, plan)
    key = base
    case = caselog.get(case_id)
    chain = [
        a
        for a in case.actions
        if a.idempotency_key == base or a.idempotency_key.startswith(f"{base}-")
    ]
    if plan.moves_money and not chain:
        pending = [
            a
            for a in case.actions
            if a.status in ("planned", "in_flight")
            and a.kind == plan.kind.value
            and _target(a.params) == plan.target_id
        ]
        if pending:
            return _skipped(
                plan,
                f"an earlier {plan.kind.label} of {plan.target_id} ({pending[0].id}) has no "
                "recorded result yet: reconcile it (or run that plan again) first; nothing "
                "was sent",
            )
    if chain:
        last = chain[-1]
        if last.status == "succeeded" and plan.kind != ActionKind.PORTAL_SESSION:
            return _replayed(plan, last)
        if last.status in ("succeeded", "failed"):
            # a failed call, or a new portal link (each is a fresh, short-lived session)
            key = f"{base}-{'n' if last.status == 'succeeded' else 'retry'}{len(chain)}"
        else:
            key = last.idempotency_key
    record = caselog.plan_action(
        case_id, kind=plan.kind.value, params=params, idempotency_key=key, operator=operator
    )
    if record.status == "succeeded":
        return _replayed(plan, record)
    if plan.kind == ActionKind.NO_OP:
        caselog.finish_action(
            case_id,
            record.id,
            status="succeeded",
            result={"note": plan.title, "stripe_ids": [], "title": plan.title},
        )
        return ActionOutcome(
            plan, "succeeded", f"documented: {plan.title}", idempotency_key=key, action_id=record.id
        )
    caselog.mark_in_flight(case_id, record.id)
    from billing_tui.gateway import GatewayError

    try:
        done = await _perform(
            gateway, plan.kind, params, key, metadata_for(case_id, operator, plan.kind)
        )
    except (GatewayError, ValueError) as exc:
        request_id = getattr(exc, "request_id", None)
        failure = failure_of(exc)
        if failure.kind == FailureKind.UNCERTAIN:
            message = (
                f"{exc} The outcome is unknown: the action stays in flight and is re-sent with "
                "the same idempotency key when you run it again (or at the next start)."
            )
            return ActionOutcome(
                plan,
                "failed",
                message,
                request_id=request_id,
                idempotency_key=key,
                action_id=record.id,
                failure=replace(failure, message=message),
            )
        caselog.finish_action(
            case_id,
            record.id,
            status="failed",
            result={
                "error": str(exc),
                "error_type": type(exc).__name__,
                "request_id": request_id,
                "title": plan.title,
            },
        )
        return ActionOutcome(
            plan,
            "failed",
            str(exc),
            request_id=request_id,
            idempotency_key=key,
            action_id=record.id,
            failure=failure,
        )
    caselog.finish_action(
        case_id,
        record.id,
        status="succeeded",
        result={
            "stripe_ids": list(done.stripe_ids),
            "request_id": done.request_id,
            "message": done.message,
            "title": plan.title,
            "impact": plan.impact.describe(),
            "rationale": plan.rationale,
        },
    )
    return ActionOutcome(
        plan,
        "succeeded",
        done.message,
        stripe_ids=done.stripe_ids,
        request_id=done.request_id,
        idempotency_key=key,
        action_id=record.id,
        url=done.url,
    )


async def reconcile(gateway: Gateway, caselog: CaseLog) -> list[str]:
    """Settle actions a crash left unfinished, and say what happened to each.

    ``in_flight``: re-sent with the same idempotency key (Stripe replays the first result), or
    for an immediate cancel (a DELETE, which has no key) the subscription is read back.
    ``planned``: the call was never sent, so the action is marked failed.
    """
    from billing_tui.gateway import GatewayError

    messages: list[str] = []
    for case, action in caselog.in_flight(include_planned=True):
        label = f"{case.id} {action.kind} ({action.id})"
        if action.status == "planned":
            caselog.finish_action(
                case.id,
                action.id,
                status="failed",
                result={"error": "interrupted before the call was sent; nothing changed in Stripe"},
            )
            messages.append(f"{label}: interrupted before it was sent; nothing changed in Stripe")
            continue
        try:
            kind = ActionKind(action.kind)
        except ValueError:
            messages.append(f"{label}: unknown action kind; left as is")
            continue
        params = dict(action.params)
        try:
            if kind == ActionKind.CANCEL_SUBSCRIPTION and params.get("mode") != "at_period_end":
                sub = await gateway.retrieve_subscription(params["subscription"])
                if sub.status == SubscriptionStatus.CANCELED:
                    caselog.finish_action(
                        case.id,
                        action.id,
                        status="succeeded",
                        result={"stripe_ids": [sub.id], "message": "read back: canceled"},
                    )
                    messages.append(f"{label}: {sub.id} is canceled (read back): done")
                else:
                    caselog.finish_action(
                        case.id,
                        action.id,
                        status="failed",
                        result={
                            "error": f"read back: {sub.id} is {sub.status.value}, not canceled"
                        },
                    )
                    messages.append(
                        f"{label}: {sub.id} is still {sub.status.value}: the cancel did not "
                        "happen; run it again if it is still wanted"
                    )
                continue
            done = await _perform(
                gateway,
                kind,
                params,
                action.idempotency_key,
                metadata_for(case.id, action.operator, kind),
            )
        except (GatewayError, ValueError) as exc:
            if _uncertain(exc):
                messages.append(f"{label}: still no answer from Stripe ({exc}); left in flight")
                continue
            caselog.finish_action(
                case.id,
                action.id,
                status="failed",
                result={"error": str(exc), "error_type": type(exc).__name__},
            )
            messages.append(f"{label}: failed: {exc}")
            continue
        caselog.finish_action(
            case.id,
            action.id,
            status="succeeded",
            result={
                "stripe_ids": list(done.stripe_ids),
                "request_id": done.request_id,
                "message": done.message,
            },
        )
        messages.append(f"{label}: re-sent with the same key: {done.message}")
    return messages
