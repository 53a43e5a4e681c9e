"""Plans follow the case: what the case already did (the ledger) and what it still owes.

- :func:`owed_duplicate_refunds` — the charge of a duplicate subscription that was canceled
  (by this case, or by billing-tui in an earlier case that Stripe still shows) while the
  subscription it duplicated stays live, and that is not refunded yet: its refund is still
  proposed until it is done or the operator records why not.
- :func:`supersede` — plans made moot by a done action are kept on the list but marked
  superseded (not runnable): after "cancel now", "cancel at period end" of the same
  subscription; a seat change to the count the case already set; a refund of a charge the case
  fully refunded; a note already written.
- :func:`seats_before_case` — the seat count a seat change is computed from (the count
  before the case changed it), so a re-plan proposes "to N seats", never "+2 again".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from billing_tui.core import queries
from billing_tui.core.model import Charge, CustomerSnapshot, Subscription, SubscriptionStatus
from billing_tui.core.plans.ledger import (
    NO_REFUND,
    CancelIntent,
    CaseLedger,
    Entry,
    NoteIntent,
    RefundIntent,
    RetryIntent,
    SeatIntent,
    intent_of_plan,
)
from billing_tui.core.plans.plan import ActionKind, Plan
from billing_tui.core.text import normalise_email

#: How billing-tui's own cancels start their ``cancellation_details.comment`` (desk.execute).
TOOL_COMMENT_PREFIX = "billing-tui"


def canceled_by_tool(sub: Subscription) -> bool:
    """Whether Stripe shows billing-tui canceled ``sub`` (now: the cancellation comment; at
    period end: the metadata the update wrote)."""
    comment = sub.cancellation_comment or ""
    by_metadata = sub.metadata.get("action") == ActionKind.CANCEL_SUBSCRIPTION.value and bool(
        sub.metadata.get("case_id")
    )
    return comment.startswith(TOOL_COMMENT_PREFIX) or (by_metadata and sub.cancel_at_period_end)


def _stopped(sub: Subscription) -> bool:
    """Canceled, or set to cancel at its period end."""
    return sub.status == SubscriptionStatus.CANCELED or sub.cancel_at_period_end


def _same_person(snapshot: CustomerSnapshot, a: Subscription, b: Subscription) -> bool:
    if a.customer_id == b.customer_id:
        return True
    emails = {c.id: normalise_email(c.email) for c in snapshot.customers}
    mine = emails.get(a.customer_id)
    return mine is not None and mine == emails.get(b.customer_id)


def kept_original(snapshot: CustomerSnapshot, sub: Subscription) -> Subscription | None:
    """The live subscription ``sub`` duplicated: same plan, same person, older, still renewing."""
    kept = [
        k
        for k in snapshot.live_subscriptions
        if k.id != sub.id
        and not k.cancel_at_period_end
        and k.created <= sub.created
        and queries.shared_plans(k, sub)
        and _same_person(snapshot, k, sub)
    ]
    return min(kept, key=lambda k: (k.created, k.id), default=None)


@dataclass(frozen=True)
class OwedRefund:
    """A duplicate's charge still to refund: the charge, the canceled duplicate, the kept one."""

    charge: Charge
    duplicate: Subscription
    kept: Subscription
    cancel_action: str | None  # the case's cancel (act-…), None when only Stripe tells

    def why(self) -> str:
        who = (
            f"this case canceled it ({self.cancel_action})"
            if self.cancel_action
            else "billing-tui canceled it (Stripe's cancellation details)"
        )
        return (
            f"{self.duplicate.id} duplicated {self.kept.id}, which stays live, and {who}: "
            f"refund its charge {self.charge.id} as well, or record why not"
        )


def owed_duplicate_refunds(
    snapshot: CustomerSnapshot, ledger: CaseLedger, paid: dict[str, tuple[Charge, ...]]
) -> list[OwedRefund]:
    """Charges of canceled duplicates still to refund (``paid``: each subscription's paid
    charges, newest first). A charge with a recorded "not refunding because …" is included:
    :func:`supersede` shows its refund as decided."""
    cancels: dict[str, str | None] = {}
    for sub in snapshot.subscriptions:
        entry = ledger.cancel_of(sub.id)
        if entry is not None:
            cancels[sub.id] = entry.action_id
    return owed_refunds_of_cancels(snapshot, cancels, paid)


def owed_refunds_of_cancels(
    snapshot: CustomerSnapshot,
    cancels: Mapping[str, str | None],
    paid: Mapping[str, tuple[Charge, ...]],
) -> list[OwedRefund]:
    """:func:`owed_duplicate_refunds` from the case's cancels (subscription id → the cancel's
    action id, or None when the action id is not known) — the one rule, for the planner and
    the handoff's facts alike. A subscription Stripe shows billing-tui canceled counts too."""
    owed: list[OwedRefund] = []
    for sub in snapshot.subscriptions:
        if sub.id not in cancels and not (canceled_by_tool(sub) and _stopped(sub)):
            continue
        kept = kept_original(snapshot, sub)
        if kept is None:
            continue
        action = cancels.get(sub.id)
        for charge in paid.get(sub.id, ()):
            if charge.refundable.amount > 0 and charge.amount.amount > 0:
                owed.append(OwedRefund(charge, sub, kept, action))
    return owed


def seats_before_case(ledger: CaseLedger, sub: Subscription) -> int:
    """The seat count to compute a seat change from: before the case's first change."""
    before = ledger.seats_before_case(sub.id)
    return before if before is not None else sub.quantity


def done_seat_target(ledger: CaseLedger, sub: Subscription) -> int | None:
    """The seat count the case set last on ``sub``, when Stripe still shows it."""
    changes = ledger.seat_changes(sub.id)
    if changes and changes[-1][1].quantity == sub.quantity:
        return sub.quantity
    return None


# --------------------------------------------------------------------------- superseded


def _moot_by(plan: Plan, entry: Entry, snapshot: CustomerSnapshot) -> bool:
    """Whether the done ``entry`` makes ``plan`` moot (an alternative of it, or itself)."""
    intent = entry.intent
    match intent:
        case CancelIntent():
            return plan.kind == ActionKind.CANCEL_SUBSCRIPTION and (
                plan.param("subscription") == intent.subscription_id
            )
        case SeatIntent():
            sub = snapshot.subscription(intent.subscription_id)
            return (
                plan.kind == ActionKind.UPDATE_QUANTITY
                and plan.param("subscription") == intent.subscription_id
                and plan.param("quantity") == str(intent.quantity)
                and sub is not None
                and sub.quantity == intent.quantity
            )
        case RefundIntent():
            charge = snapshot.charge(intent.charge_id)
            return (
                plan.kind == ActionKind.REFUND
                and plan.param("charge") == intent.charge_id
                and charge is not None
                and charge.refundable.amount <= 0
            )
        case RetryIntent():
            return (
                plan.kind == ActionKind.RETRY_INVOICE_PAYMENT
                and plan.param("invoice") == intent.invoice_id
            )
        case NoteIntent():
            return (
                plan.kind == ActionKind.NO_OP
                and plan.param("decision") is None
                and plan.param("note") == intent.note
            )
        case _:
            return False


def same_intent(plan: Plan, entry: Entry) -> bool:
    """Whether ``plan`` asks for what ``entry`` did (not an alternative of it)."""
    mine, done = intent_of_plan(plan), entry.intent
    match mine, done:
        case RefundIntent(), RefundIntent():
            return mine.charge_id == done.charge_id
        case SeatIntent(), SeatIntent():
            return (mine.quantity, mine.prorate_now) == (done.quantity, done.prorate_now)
        case _:
            return mine == done


def _superseded(plan: Plan, entry: Entry) -> Plan:
    what = entry.title or entry.kind.label
    reason = (
        f"done: {what} ({entry.action_id})"
        if same_intent(plan, entry)
        else f"superseded: {what} is done ({entry.action_id})"
    )
    return replace(plan, superseded_by=entry.action_id, recommended=False, blocked_reason=reason)


def _decided_not_to_refund(plan: Plan, ledger: CaseLedger) -> Plan:
    charge = plan.param("charge") or ""
    decided = ledger.no_refund(charge)
    if decided is None:
        return plan
    entry, intent = decided
    return replace(
        plan,
        superseded_by=entry.action_id,
        recommended=False,
        blocked_reason=f"not refunding {charge}: {intent.reason} (recorded, {entry.action_id})",
    )


def supersede(plans: list[Plan], ledger: CaseLedger, snapshot: CustomerSnapshot) -> list[Plan]:
    """``plans`` with those made moot by what the case did marked superseded (not runnable)."""
    done = ledger.done
    marked: list[Plan] = []
    for plan in plans:
        moot = next((e for e in reversed(done) if _moot_by(plan, e, snapshot)), None)
        if moot is not None:
            plan = _superseded(plan, moot)
        elif plan.kind == ActionKind.REFUND:
            plan = _decided_not_to_refund(plan, ledger)
        marked.append(plan)
    return marked


def plan_no_refund(charge_id: str, reason: str, *, customer_id: str | None = None) -> Plan:
    """Record "not refunding ``charge_id`` because ``reason``" (a ``no_op``: no Stripe call);
    once done, the refund of that charge is shown as decided instead of owed."""
    text = reason.strip()
    if not text:
        raise ValueError("say why the charge is not refunded (the handoff shows it)")
    title = f"Not refunding {charge_id}: {text}"
    return Plan(
        kind=ActionKind.NO_OP,
        title=title,
        target_id=charge_id,
        params=(("note", title), ("decision", NO_REFUND), ("charge", charge_id), ("reason", text)),
        reversible=True,
        reversal="nothing to undo: plan the refund again if the decision changes",
        rationale="the operator decided the charge stays: write down why",
        customer_id=customer_id,
        recommended=False,
    )


def plan_status(plan: Plan, ledger: CaseLedger) -> str:
    """How a plan stands against the case: ``done`` (the case did just this), ``superseded``
    (an alternative of something done, or a refund declined with a reason), ``blocked`` (a
    guard says why) or ``planned``. The one reading for ``triage`` and the action pane."""
    if plan.superseded_by is not None:
        entry = next((e for e in ledger.entries if e.action_id == plan.superseded_by), None)
        return "done" if entry is not None and same_intent(plan, entry) else "superseded"
    return "blocked" if plan.blocked_reason else "planned"
