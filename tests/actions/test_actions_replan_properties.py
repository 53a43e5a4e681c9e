"""Property: re-planning after each outcome never offers a superseded alternative as ready.

Generated cases (duplicate groups of 2–4 members, or a team plan with 1–3 personal plans to
fold in), then a generated run: each step the operator runs one of the ready plans, and it
succeeds, fails, or its answer is lost (or the operator records why a charge is not refunded).
Stripe's state follows each success; after every outcome the case is re-planned from that state
and the ledger, and the statements an operator relies on are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_tui.core.classify import Bucket
from billing_tui.core.model import Charge, CustomerSnapshot, Money, SubscriptionStatus
from billing_tui.core.plans import ActionKind, Plan, recommend
from billing_tui.core.plans.ledger import (
    CancelIntent,
    CaseLedger,
    Entry,
    NoRefundIntent,
    Outcome,
    OutcomeState,
    intent_of_plan,
)
from billing_tui.core.plans.replan import plan_no_refund
from tests.actions.actions_builders import (
    NOW,
    classified,
    paid_invoice_and_charge,
    portal,
    price,
    snapshot,
    subscription,
)

OUTCOMES = st.sampled_from(["succeeded", "succeeded", "failed", "pending", "no_refund"])


@dataclass(frozen=True)
class Shape:
    snapshot: CustomerSnapshot
    bucket: Bucket
    kept: str | None  # the duplicate group's original
    seat_ceiling: int  # no seat plan may ask for more than this


def duplicate_shape(members: int, gaps: list[int]) -> Shape:
    start = NOW - timedelta(days=3)
    subs, invoices, charges = [], [], []
    created = start
    for i in range(members):
        created = created + timedelta(seconds=gaps[i % len(gaps)] if i else 0)
        sub = subscription(f"sub_dup{i:05d}", created=created)
        inv, charge = paid_invoice_and_charge(sub)
        subs.append(sub)
        invoices.append(inv)
        charges.append(charge)
    snap = snapshot(
        subs=tuple(subs), invoices=tuple(invoices), charges=tuple(charges), portal_config=portal()
    )
    return Shape(snap, Bucket.DUPLICATE_PERSONAL, subs[0].id, 0)


def team_shape(seats: int, personal: int) -> Shape:
    team_price = price(1000, pid="price_team", product="prod_team", name="Team")
    team = subscription("sub_team0001", p=team_price, quantity=seats)
    people = [
        subscription(
            f"sub_pers{i:04d}",
            created=NOW - timedelta(days=10 + i),
            metadata={"for": f"person{i}@example.com"},
        )
        for i in range(personal)
    ]
    snap = snapshot(subs=(team, *people), portal_config=portal())
    return Shape(snap, Bucket.TEAM_INTENT, None, seats + personal)


SHAPES = st.one_of(
    st.builds(
        duplicate_shape,
        st.integers(min_value=2, max_value=4),
        st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=4),
    ),
    st.builds(
        team_shape, st.integers(min_value=2, max_value=12), st.integers(min_value=1, max_value=3)
    ),
)


# --------------------------------------------------------------------------- Stripe follows


def _with_charge(snap: CustomerSnapshot, charge: Charge) -> CustomerSnapshot:
    return replace(snap, charges=tuple(charge if c.id == charge.id else c for c in snap.charges))


def applied(snap: CustomerSnapshot, plan: Plan, comment: bool) -> CustomerSnapshot:
    """Stripe's state after ``plan`` succeeded."""
    target = plan.target_id or ""
    if plan.kind == ActionKind.CANCEL_SUBSCRIPTION:
        sub = snap.subscription(target)
        assert sub is not None
        if plan.param("mode") == "at_period_end":
            sub = replace(sub, cancel_at_period_end=True)
        else:
            note = "billing-tui case c by o" if comment else None
            sub = replace(
                sub, status=SubscriptionStatus.CANCELED, canceled_at=NOW, cancellation_comment=note
            )
        subs = tuple(sub if s.id == target else s for s in snap.subscriptions)
        return replace(snap, subscriptions=subs)
    if plan.kind == ActionKind.REFUND:
        charge = snap.charge(target)
        assert charge is not None
        assert plan.amount is not None
        refunded = charge.amount_refunded.amount + plan.amount.amount
        after = replace(
            charge,
            amount_refunded=Money(refunded, charge.amount.currency),
            refunded=refunded >= charge.amount.amount,
        )
        return _with_charge(snap, after)
    if plan.kind == ActionKind.UPDATE_QUANTITY:
        sub = snap.subscription(target)
        assert sub is not None
        item = replace(sub.items[0], quantity=int(plan.param("quantity") or 0))
        sub = replace(sub, items=(item, *sub.items[1:]))
        subs = tuple(sub if s.id == target else s for s in snap.subscriptions)
        return replace(snap, subscriptions=subs)
    return snap


# --------------------------------------------------------------------------- the statements


def check(
    plans: tuple[Plan, ...], shape: Shape, snap: CustomerSnapshot, ledger: CaseLedger
) -> None:
    done_ids = {e.action_id for e in ledger.done}
    canceled = {e.intent.subscription_id for e in ledger.done if isinstance(e.intent, CancelIntent)}
    declined = {e.intent.charge_id for e in ledger.done if isinstance(e.intent, NoRefundIntent)}
    for plan in plans:
        if plan.superseded_by is not None:
            assert not plan.possible, plan
            assert not plan.recommended, plan
            assert plan.superseded_by in done_ids, plan
        if not plan.possible:
            continue
        if plan.kind == ActionKind.CANCEL_SUBSCRIPTION:
            assert plan.target_id not in canceled, f"ready again after a done cancel: {plan}"
            assert plan.target_id != shape.kept, "the kept subscription is never canceled"
        if plan.kind == ActionKind.REFUND:
            charge = snap.charge(plan.target_id or "")
            assert charge is not None
            assert charge.refundable.amount > 0
            assert plan.target_id not in declined
        if plan.kind == ActionKind.UPDATE_QUANTITY:
            sub = snap.subscription(plan.target_id or "")
            assert sub is not None
            quantity = int(plan.param("quantity") or 0)
            assert quantity != sub.quantity
            assert quantity <= shape.seat_ceiling, f"seats counted twice: {plan.title}"
    # what the case still owes stays proposed: every canceled duplicate's unrefunded charge
    if shape.bucket == Bucket.DUPLICATE_PERSONAL:
        ready_refunds = {p.target_id for p in plans if p.kind == ActionKind.REFUND and p.possible}
        for sub_id in canceled:
            for charge in snap.charges:
                if charge.id == f"ch_{sub_id[4:]}" and charge.refundable.amount > 0:
                    pending = [
                        e
                        for e in ledger.pending
                        if getattr(e.intent, "charge_id", None) == charge.id
                    ]
                    if charge.id not in declined and not pending:
                        assert charge.id in ready_refunds, f"owed refund of {charge.id} dropped"


@settings(max_examples=500, deadline=None)
@given(
    shape=SHAPES,
    steps=st.lists(st.tuples(st.integers(0, 30), OUTCOMES), max_size=7),
    comment=st.booleans(),
)
def test_replanning_after_each_outcome_never_offers_a_superseded_alternative_as_ready(
    shape: Shape, steps: list[tuple[int, str]], comment: bool
) -> None:
    decided = classified(shape.bucket)
    snap, ledger = shape.snapshot, CaseLedger(case_id="case-prop")
    plans = recommend(decided, snap, ledger=ledger, now=NOW)
    check(plans, shape, snap, ledger)
    for n, (pick, result) in enumerate(steps):
        action_id = f"act-{n:04d}"
        if result == "no_refund":
            owed = [p for p in plans if p.kind == ActionKind.REFUND and p.possible]
            if not owed:
                continue
            plan = plan_no_refund(owed[pick % len(owed)].target_id or "", "credit instead")
            result = "succeeded"
        else:
            ready = [p for p in plans if p.possible and p.kind != ActionKind.NO_OP]
            if not ready:
                break
            plan = ready[pick % len(ready)]
        state = OutcomeState(result)
        ledger = ledger.with_entry(
            Entry(action_id, plan.kind, intent_of_plan(plan), Outcome(state), title=plan.title)
        )
        if state == OutcomeState.SUCCEEDED:
            snap = applied(snap, plan, comment)
        plans = recommend(decided, snap, ledger=ledger, now=NOW)
        check(plans, shape, snap, ledger)
