"""The classification engine: which bucket an operator is offered, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billing_tui.core.anomalies import detect
from billing_tui.core.classify import Answers, Bucket, Classification, questions, suggest
from billing_tui.core.model import CustomerSnapshot
from tests.domain.domain_builders import (
    PRO_ANNUAL,
    PRO_MONTHLY,
    TEAM_MONTHLY,
    ago,
    card,
    charge,
    customer,
    dispute,
    invoice,
    later,
    paid_subscription,
    payment_method,
    portal,
    proration_line,
    snapshot,
    subscription,
    world,
)


def classify(snap: CustomerSnapshot, **answers: str) -> Classification:
    return suggest(snap, detect(snap), _a(answers))


def _a(values: dict[str, str]) -> Answers:
    result = Answers()
    for key, value in values.items():
        result = result.with_answer(key, value)
    return result


def supporting(result: Classification, bucket: Bucket) -> list[str]:
    return [e.sentence for e in result.evidence_for(bucket) if e.supports]


def against(result: Classification, bucket: Bucket) -> list[str]:
    return [e.sentence for e in result.evidence_for(bucket) if not e.supports]


def double_checkout() -> tuple[CustomerSnapshot, tuple[str, str]]:
    first = paid_subscription(created=ago(days=3))
    second = paid_subscription(created=ago(days=3) + timedelta(seconds=94))
    return world(first, second), (first[0].id, second[0].id)


# --------------------------------------------------------------------------- duplicate vs team


def test_double_checkout_is_a_personal_duplicate_with_the_story() -> None:
    snap, (old, new) = double_checkout()
    result = classify(snap)
    assert result.suggested == Bucket.DUPLICATE_PERSONAL
    assert result.confidence >= 0.7
    (for_dup,) = [e for e in result.evidence_for(Bucket.DUPLICATE_PERSONAL) if e.supports]
    assert for_dup.refs == (old, new)
    assert "2 subscriptions to Pro Monthly created 94 s apart" in for_dup.sentence
    assert "paid by the same card" in for_dup.sentence
    assert "quantity 1 each" in for_dup.sentence
    assert any("no different people or teams" in s for s in against(result, Bucket.TEAM_INTENT))
    assert result.contract is None  # monthly, one seat, no proration


@pytest.mark.parametrize("question", ["q_team", "q_people"])
def test_a_yes_to_team_questions_turns_the_duplicate_into_team_intent(question: str) -> None:
    snap, refs = double_checkout()
    result = classify(snap, **{question: "yes"})
    assert result.suggested == Bucket.TEAM_INTENT
    moved = [e for e in result.evidence_for(Bucket.TEAM_INTENT) if e.supports and e.refs == refs]
    assert moved
    assert "team's purchase" in moved[0].sentence


def test_seats_are_team_intent_and_a_no_makes_them_a_mistake() -> None:
    team = paid_subscription(price=TEAM_MONTHLY, quantity=5)
    snap = world(team)
    result = classify(snap)
    assert result.suggested == Bucket.TEAM_INTENT
    assert any("5 seats" in s for s in supporting(result, Bucket.TEAM_INTENT))
    assert any("deliberate" in s for s in against(result, Bucket.DUPLICATE_PERSONAL))
    assert classify(snap, q_team="no").suggested == Bucket.DUPLICATE_PERSONAL


def test_subscriptions_for_named_people_are_team_intent() -> None:
    a = paid_subscription(created=ago(hours=2), metadata={"assignee": "ana"})
    b = paid_subscription(created=ago(hours=1), metadata={"assignee": "ben"})
    assert classify(world(a, b)).suggested == Bucket.TEAM_INTENT


def test_same_product_on_two_records_of_one_email_is_a_personal_duplicate() -> None:
    a = customer("cus_a", created=ago(days=30))
    b = customer("cus_b", created=ago(days=1))
    snap = world(paid_subscription("cus_a"), paid_subscription("cus_b"), customers=[a, b])
    result = classify(snap)
    assert result.suggested == Bucket.DUPLICATE_PERSONAL
    assert any("cus_b" in s for s in supporting(result, Bucket.DUPLICATE_PERSONAL))


def test_double_charge_is_a_duplicate_unless_seats_were_bought() -> None:
    a = charge(created=ago(hours=1))
    b = charge(created=ago(hours=1) + timedelta(minutes=2))
    assert classify(snapshot(charges=[a, b])).suggested == Bucket.DUPLICATE_PERSONAL
    team = paid_subscription(price=TEAM_MONTHLY, quantity=3, created=ago(days=30))
    result = classify(world(team, charges=[a, b]))
    assert result.suggested == Bucket.TEAM_INTENT
    assert any("separate purchases" in s for s in supporting(result, Bucket.TEAM_INTENT))


# --------------------------------------------------------------------------- failed payment


def test_past_due_is_a_failed_payment() -> None:
    sub = subscription(status="past_due")
    inv = invoice(sub, status="open", attempt_count=2)
    result = classify(snapshot(subscriptions=[sub], invoices=[inv]))
    assert result.suggested == Bucket.FAILED_PAYMENT
    assert result.evidence_for(Bucket.FAILED_PAYMENT)[0].refs == (sub.id, inv.id)


@pytest.mark.parametrize(
    "state",
    ["incomplete", "trial_without_card", "expired_card", "no_card"],
)
def test_other_payment_problems_are_failed_payment(state: str) -> None:
    if state == "incomplete":
        snap = snapshot(subscriptions=[subscription(status="incomplete")])
    elif state == "trial_without_card":
        trial = subscription(status="trialing", trial_end=later(days=2))
        snap = snapshot(subscriptions=[trial], payment_methods=[])
    elif state == "expired_card":
        pm = payment_method(pm_id="pm_old", details=card(exp_month=1, exp_year=2026))
        snap = snapshot(
            customers=[customer(default_payment_method_id="pm_old")],
            payment_methods=[pm],
            subscriptions=[subscription()],
        )
    else:
        snap = snapshot(subscriptions=[subscription()], payment_methods=[])
    assert classify(snap).suggested == Bucket.FAILED_PAYMENT


def test_expired_card_with_nothing_to_bill_suggests_nothing() -> None:
    pm = payment_method(pm_id="pm_old", details=card(exp_month=1, exp_year=2026))
    snap = snapshot(customers=[customer(default_payment_method_id="pm_old")], payment_methods=[pm])
    assert classify(snap).suggested is None


# --------------------------------------------------------------------------- self-serve


def test_portal_that_cannot_cancel_is_missing_self_serve() -> None:
    snap = world(paid_subscription(), portal_config=portal(cancel=False))
    result = classify(snap)
    assert result.suggested == Bucket.MISSING_SELF_SERVE
    assert result.evidence_for(Bucket.MISSING_SELF_SERVE)[0].refs == ("bpc_default",)
    # the customer says they can reach a cancel button: the portal is not the blocker
    assert classify(snap, q_cancel="yes").suggested is None


def test_no_portal_is_missing_self_serve() -> None:
    assert classify(world(paid_subscription(), portal_config=None)).suggested == (
        Bucket.MISSING_SELF_SERVE
    )


def test_customer_who_cannot_find_cancel_is_missing_self_serve() -> None:
    result = classify(world(paid_subscription()), q_cancel="no")
    assert result.suggested == Bucket.MISSING_SELF_SERVE


def annual_upgrade() -> tuple[CustomerSnapshot, str, str]:
    monthly = subscription(
        created=ago(days=200),
        status="canceled",
        canceled_at=ago(days=3),
        ended_at=ago(days=3),
    )
    annual_sub, annual_inv, annual_ch = paid_subscription(price=PRO_ANNUAL, created=ago(days=3))
    upgrade_inv = replace(
        annual_inv,
        lines=(
            proration_line(annual_sub.id, -1200, price_id=PRO_MONTHLY.id),
            proration_line(annual_sub.id, 19000, price_id=PRO_ANNUAL.id),
        ),
    )
    month_ch = charge(created=ago(days=6))
    month_inv = invoice(monthly, created=ago(days=6), paid_by=month_ch)
    snap = world(
        (annual_sub, upgrade_inv, annual_ch),
        subscriptions=[monthly],
        invoices=[month_inv],
        charges=[month_ch],
    )
    return snap, monthly.id, annual_sub.id


def test_annual_upgrade_is_explained_not_refunded() -> None:
    snap, monthly, annual = annual_upgrade()
    found = detect(snap)
    assert "duplicate_subscription" not in {a.code for a in found}
    assert "proration_activity" in {a.code for a in found}
    result = suggest(snap, found)
    assert result.suggested == Bucket.MISSING_SELF_SERVE
    switch = [e for e in result.evidence_for(Bucket.MISSING_SELF_SERVE) if e.supports]
    month_ch = snap.invoices_of(monthly)[0].payments[0].charge_id
    annual_ch = snap.invoices_of(annual)[0].payments[0].charge_id
    assert switch[0].refs == (monthly, annual, month_ch, annual_ch)
    assert "move to annual billing" in switch[0].sentence
    assert f"{month_ch} ($19.00)" in switch[0].sentence
    assert "first annual one" in switch[0].sentence
    assert any("no refund" in s for s in against(result, Bucket.DUPLICATE_PERSONAL))
    assert result.contract is not None
    (line,) = result.contract.lines
    assert line.subscription_id == annual
    assert line.interval == "year"
    assert line.pending_prorations.startswith("2 proration lines, $178.00 net")


def test_in_place_price_change_to_annual_is_a_plan_switch() -> None:
    sub, inv, ch = paid_subscription(price=PRO_ANNUAL, created=ago(days=100))
    update = invoice(
        sub,
        created=ago(days=2),
        billing_reason="subscription_update",
        lines=(proration_line(sub.id, -900, price_id=PRO_MONTHLY.id),),
    )
    result = classify(world((sub, inv, ch), invoices=[update]))
    assert result.suggested == Bucket.MISSING_SELF_SERVE
    assert any("plan switch" in s for s in supporting(result, Bucket.MISSING_SELF_SERVE))


def test_monthly_and_annual_both_live_is_missing_self_serve() -> None:
    snap = world(
        paid_subscription(created=ago(days=60)),
        paid_subscription(price=PRO_ANNUAL, created=ago(days=1)),
    )
    assert classify(snap).suggested == Bucket.MISSING_SELF_SERVE


# --------------------------------------------------------------------------- product failure


def test_dispute_is_a_product_failure() -> None:
    ch = replace(charge(), disputed=True)
    result = classify(snapshot(charges=[ch], disputes=[dispute(ch)]))
    assert result.suggested == Bucket.PRODUCT_FAILURE
    assert ch.id in result.evidence_for(Bucket.PRODUCT_FAILURE)[0].refs


def test_healthy_customer_suggests_nothing_until_the_ticket_is_answered() -> None:
    part = paid_subscription()
    snap = world(part)
    result = classify(snap)
    assert result.suggested is None
    assert result.confidence == 0.0
    assert {e.bucket for e in result.evidence} == set(Bucket)
    assert not any(e.supports for e in result.evidence)
    assert any(
        "ask what the customer reports" in s for s in against(result, Bucket.PRODUCT_FAILURE)
    )

    outage = classify(snap, q_complaint="product_broken")
    assert outage.suggested == Bucket.PRODUCT_FAILURE
    assert any("active and paid" in s for s in supporting(outage, Bucket.PRODUCT_FAILURE))
    assert classify(snap, q_complaint="other").suggested is None


@pytest.mark.parametrize(
    ("complaint", "bucket"),
    [
        ("charged_twice", Bucket.DUPLICATE_PERSONAL),
        ("bought_for_team", Bucket.TEAM_INTENT),
        ("payment_failed", Bucket.FAILED_PAYMENT),
        ("cannot_cancel", Bucket.MISSING_SELF_SERVE),
        ("product_broken", Bucket.PRODUCT_FAILURE),
    ],
)
def test_the_complaint_decides_when_the_billing_data_does_not(
    complaint: str, bucket: Bucket
) -> None:
    assert classify(world(paid_subscription()), q_complaint=complaint).suggested == bucket


def test_anomalies_outweigh_the_complaint() -> None:
    snap, _ = double_checkout()
    assert classify(snap, q_complaint="product_broken").suggested == Bucket.DUPLICATE_PERSONAL


def test_the_complaint_outweighs_an_account_wide_portal_gap() -> None:
    snap = world(paid_subscription(), portal_config=portal(cancel=False))
    assert classify(snap, q_complaint="product_broken").suggested == Bucket.PRODUCT_FAILURE


# --------------------------------------------------------------------------- contract, questions


def test_contract_check_for_annual_and_team_plans_but_not_plain_monthly() -> None:
    annual = paid_subscription(price=PRO_ANNUAL, created=ago(days=30))
    result = classify(world(annual))
    assert result.contract is not None
    assert result.contract.reasons == (f"{annual[0].id} is billed yearly",)
    (line,) = result.contract.lines
    assert (line.interval, line.quantity, line.pending_prorations) == ("year", 1, "none")
    assert line.price == "Pro Annual ($190.00/year)"
    assert line.period_start < line.period_end

    team = paid_subscription(price=TEAM_MONTHLY, quantity=4)
    contract = classify(world(team)).contract
    assert contract is not None
    assert contract.lines[0].quantity == 4
    assert classify(world(paid_subscription())).contract is None


def test_contract_check_blocks_money_until_confirmed() -> None:
    result = classify(world(paid_subscription(price=TEAM_MONTHLY, quantity=4))).confirm()
    assert not result.ready_for_money
    assert "contract" in (result.blocked_reason() or "")
    assert result.confirm_contract().ready_for_money


def test_questions_follow_the_case() -> None:
    healthy = world(paid_subscription())
    asked = [q.id for q in questions(healthy, detect(healthy))]
    assert asked == ["q_complaint", "q_cancel"]
    snap, _ = double_checkout()
    assert [q.id for q in classify(snap).questions] == [
        "q_complaint",
        "q_team",
        "q_people",
        "q_cancel",
    ]


def test_a_bad_answer_is_refused_with_the_allowed_values() -> None:
    snap, _ = double_checkout()
    with pytest.raises(ValueError, match="q_team: 'maybe' is not one of yes, no"):
        classify(snap, q_team="maybe")


def test_override_needs_a_reason() -> None:
    snap, _ = double_checkout()
    result = classify(snap)
    with pytest.raises(ValueError, match="reason"):
        result.confirm(Bucket.TEAM_INTENT)
    decided = result.confirm(Bucket.TEAM_INTENT, "customer bought it for a colleague")
    assert decided.overridden
    assert decided.final == Bucket.TEAM_INTENT


def test_the_working_bucket_is_the_suggestion_until_the_operator_decides() -> None:
    snap, _ = double_checkout()
    result = classify(snap)
    assert result.final is None
    assert result.working == result.suggested == Bucket.DUPLICATE_PERSONAL
    decided = result.confirm(Bucket.TEAM_INTENT, "customer bought it for a colleague")
    assert decided.working == decided.final == Bucket.TEAM_INTENT


def test_a_part_that_failed_to_load_is_never_read_as_all_clear() -> None:
    from billing_tui.core.model import PartFailure

    snap = world(
        paid_subscription(), failures=(PartFailure("invoices", "Stripe timed out", "cus_1"),)
    )
    result = classify(snap)
    failed = against(result, Bucket.FAILED_PAYMENT)
    assert any("invoices could not be loaded (Stripe timed out)" in s for s in failed)
    assert not any("No failed, open or incomplete payment" in s for s in failed)
