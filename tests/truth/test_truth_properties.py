"""Properties over generated billing states (hypothesis): duplicate groups of 2–5 members at any
quantity, personal or named for one team, single- or multi-item, in USD or EUR, with a past-due
renewal next to them or not, some charges already partly refunded.

- the group is found whole, and a quantity alone never makes it a team purchase;
- the plans never cancel (or refund) the kept subscription, never refund more than is left,
  and cover every extra member;
- the checker accepts the handoff written before and after those plans ran.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_tui.core.anomalies import codes, detect
from billing_tui.core.classify import Bucket, suggest
from billing_tui.core.handoff import case_truth, check_handoff, load_templates, render
from billing_tui.core.handoff.document import TakenAction
from billing_tui.core.model import (
    Charge,
    CustomerSnapshot,
    Invoice,
    Money,
    Price,
    Subscription,
    SubscriptionStatus,
)
from billing_tui.core.plans import ActionKind, Plan, recommend
from billing_tui.core.queries import cancellable, duplicate_groups
from tests.domain.domain_builders import (
    PRO_MONTHLY,
    TEAM_MONTHLY,
    ago,
    charge,
    invoice,
    paid_subscription,
    snapshot,
    subscription,
)

PRO_EUR = Price("price_pro_m_eur", "prod_pro", "Pro", "eur", 1800, "month", nickname="Pro EUR")
BACKUP = Price("price_backup_m", "prod_backup", "Backup", "usd", 900, "month", nickname="Backup")
ADDON = Price("price_addon_m", "prod_addon", "Seats add-on", "usd", 500, "month", nickname="Seats")
TEMPLATES = load_templates()
PROFILE = settings(
    max_examples=500 if os.environ.get("CI") else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    snapshot: CustomerSnapshot
    members: tuple[str, ...]  # the generated duplicate group, oldest first
    past_due: bool


@st.composite
def cases(draw: st.DrawFn) -> Case:
    members = draw(st.integers(2, 5))
    price = draw(st.sampled_from((PRO_MONTHLY, TEAM_MONTHLY, PRO_EUR)))
    quantity = draw(st.integers(1, 10))
    multi = draw(st.booleans()) and price.currency == "usd"
    team = draw(st.sampled_from((None, "northwind")))  # one team named on every member
    gaps = draw(st.lists(st.integers(1, 3 * 86400), min_size=members - 1, max_size=members - 1))
    start = ago(days=5)
    subs: list[Subscription] = []
    invoices: list[Invoice] = []
    charges: list[Charge] = []
    when = start
    for index in range(members):
        if index:
            when = when + timedelta(seconds=gaps[index - 1])
        sub, inv, ch = paid_subscription(
            price=price,
            created=when,
            quantity=quantity,
            prices=[price, ADDON] if multi else None,
            metadata={"team": team} if team else None,
        )
        refunded = draw(st.sampled_from((0, 0, 100, ch.amount.amount)))
        if refunded:
            ch = replace(ch, amount_refunded=Money(refunded, ch.amount.currency))
            ch = replace(ch, refunded=refunded >= ch.amount.amount)
        subs.append(sub)
        invoices.append(inv)
        charges.append(ch)
    past_due = draw(st.booleans())
    if past_due:
        late = subscription(price=BACKUP, status="past_due", created=ago(days=60))
        open_inv = invoice(late, status="open", attempt_count=2, created=ago(days=2))
        failed = charge(amount=900, status="failed", created=ago(days=2))
        late = replace(late, latest_invoice_id=open_inv.id)
        subs.append(late)
        invoices.append(open_inv)
        charges.append(failed)
    snap = snapshot(subscriptions=subs, invoices=invoices, charges=charges)
    return Case(snap, tuple(s.id for s in subs[:members]), past_due)


def _plans(case: Case) -> tuple[Plan, ...]:
    found = detect(case.snapshot)
    decided = suggest(case.snapshot, found).confirm(Bucket.DUPLICATE_PERSONAL, "duplicate")
    return recommend(decided.confirm_contract(), case.snapshot)


@PROFILE
@given(cases())
def test_the_generated_group_is_found_whole_and_is_not_a_team_purchase(case: Case) -> None:
    groups = [g for g in duplicate_groups(case.snapshot) if set(g.ids) & set(case.members)]
    assert [g.ids for g in groups] == [case.members]
    found = detect(case.snapshot)
    assert "duplicate_subscription" in codes(found)
    result = suggest(case.snapshot, found)
    assert result.suggested in (Bucket.DUPLICATE_PERSONAL, Bucket.FAILED_PAYMENT)
    assert Bucket.TEAM_INTENT not in (result.suggested, *result.secondary)
    if case.past_due:
        assert {Bucket.DUPLICATE_PERSONAL, Bucket.FAILED_PAYMENT} == {
            result.suggested,
            *result.secondary,
        }


@PROFILE
@given(cases())
def test_plans_keep_the_oldest_cover_every_extra_and_refund_at_most_what_is_left(
    case: Case,
) -> None:
    plans = _plans(case)
    kept, extras = case.members[0], set(case.members[1:])
    paid_by = {inv.subscription_id: inv for inv in case.snapshot.invoices}
    kept_charges = {c.id for c in case.snapshot.charges_of_invoice(paid_by[kept])}
    cancels = {p.target_id for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION}
    assert kept not in cancels
    assert extras <= {
        p.target_id
        for p in plans
        if p.kind == ActionKind.CANCEL_SUBSCRIPTION and p.param("mode") == "immediately"
    }
    for plan in plans:
        if plan.kind != ActionKind.REFUND:
            continue
        target = case.snapshot.charge(plan.target_id or "")
        assert target is not None
        assert plan.target_id not in kept_charges
        assert plan.amount is not None
        assert plan.amount.amount <= target.refundable.amount
        if target.refundable.amount == 0:
            assert plan.blocked_reason is not None  # nothing left: shown, never runnable
    if case.past_due:
        assert any(p.kind == ActionKind.RETRY_INVOICE_PAYMENT for p in plans)


def _after(case: Case, plans: tuple[Plan, ...]) -> tuple[CustomerSnapshot, list[TakenAction]]:
    """The snapshot once every runnable cancel-now and refund went through, and those actions."""
    subs = {s.id: s for s in case.snapshot.subscriptions}
    charges = {c.id: c for c in case.snapshot.charges}
    taken: list[TakenAction] = []
    for plan in plans:
        if not plan.possible or plan.target_id is None:
            continue
        if plan.kind == ActionKind.CANCEL_SUBSCRIPTION and plan.param("mode") == "immediately":
            subs[plan.target_id] = replace(
                subs[plan.target_id], status=SubscriptionStatus.CANCELED, ended_at=ago(minutes=1)
            )
        elif plan.kind == ActionKind.REFUND and plan.amount is not None:
            ch = charges[plan.target_id]
            done = ch.amount_refunded + plan.amount
            charges[ch.id] = replace(ch, amount_refunded=done, refunded=done == ch.amount)
        else:
            continue
        taken.append(_taken(plan))
    after = replace(
        case.snapshot, subscriptions=tuple(subs.values()), charges=tuple(charges.values())
    )
    return after, taken


def _taken(plan: Plan) -> TakenAction:
    return TakenAction(
        plan.kind,
        "succeeded",
        plan.title,
        params=dict(plan.params),
        amount=plan.amount,
        rationale=plan.rationale,
    )


@PROFILE
@given(cases(), st.sampled_from(("en", "zh")))
def test_the_checker_accepts_every_generated_handoff(case: Case, locale: str) -> None:
    found = detect(case.snapshot)
    decided = suggest(case.snapshot, found).confirm(Bucket.DUPLICATE_PERSONAL, "duplicate")
    decided = decided.confirm_contract()
    before = render(case.snapshot, found, decided, locale=locale, templates=TEMPLATES)
    truth = case_truth(case.snapshot, (), decided)
    assert check_handoff(before, truth, TEMPLATES) == (), before.text()
    after, taken = _after(case, recommend(decided, case.snapshot))
    doc = render(after, detect(after), decided, taken, locale=locale, templates=TEMPLATES)
    truth = case_truth(after, taken, decided)
    assert check_handoff(doc, truth, TEMPLATES) == (), doc.text()
    assert not cancellable(duplicate_groups(after, across_customers=True))  # all extras gone
    if case.past_due:
        assert truth.open_issues  # the renewal is still open: never "nothing else is needed"
