"""Recommendations, guards, diffs and revenue impact over model-built snapshots."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.model import (
    Dispute,
    Invoice,
    InvoiceLine,
    Money,
    SubscriptionStatus,
)
from billing_tui.core.plans import (
    ActionKind,
    Step,
    intent_of,
    money_phrase,
    observe,
    parse_money,
    parse_tag,
    plan_cancel,
    plan_refund,
    plan_update_quantity,
    recommend,
    with_refund_amount,
)
from tests.actions.actions_builders import (
    NOW,
    classified,
    customer,
    duplicate_snapshot,
    paid_invoice_and_charge,
    portal,
    price,
    snapshot,
    subscription,
)


def kinds(plans: tuple[object, ...]) -> list[str]:
    return [p.kind.value for p in plans]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- duplicate


def test_duplicate_cancels_the_newer_subscription_and_refunds_only_its_charge() -> None:
    snap = duplicate_snapshot()
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), snap)
    assert kinds(plans) == ["cancel_subscription", "cancel_subscription", "refund", "no_op"]
    cancel_now, cancel_later, refund, _note = plans
    assert cancel_now.target_id == "sub_dupe0002"
    assert cancel_now.recommended
    assert cancel_now.param_map == {
        "subscription": "sub_dupe0002",
        "mode": "immediately",
        "prorate": "false",
        "invoice_now": "false",
    }
    assert not cancel_now.reversible
    assert "cannot be undone" in cancel_now.reversal
    assert cancel_later.param("mode") == "at_period_end"
    assert not cancel_later.recommended
    assert cancel_later.reversible
    assert "can be undone until 2026-12-23" in cancel_later.reversal
    assert refund.target_id == "ch_dupe0002"
    assert refund.param("reason") == "duplicate"
    assert refund.amount == Money(1900, "usd")
    assert all(p.possible for p in plans)
    # the original subscription and its charge are never touched
    assert not any("orig0001" in (p.target_id or "") for p in plans)
    assert [p.step for p in plans] == sorted(p.step for p in plans)


def test_duplicate_refund_is_refused_when_the_charge_was_already_refunded() -> None:
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot(refunded=1900))
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    assert refund.blocked_reason is not None
    assert "ch_dupe0002 is already fully refunded ($19.00" in refund.blocked_reason
    # the cancel is still possible: refusing one step does not block the others
    assert next(p for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION).possible


def test_disputed_charge_refund_points_at_the_dispute() -> None:
    dispute = Dispute(
        "dp_0001abcd", "ch_dupe0002", Money(1900, "usd"), "needs_response", "duplicate", NOW
    )
    plans = recommend(
        classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot(disputed=True, dispute=dispute)
    )
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    assert refund.blocked_reason == (
        "charge ch_dupe0002 is disputed (dp_0001abcd, needs_response): respond to the dispute "
        "instead; a refund now would pay twice"
    )


def test_an_inquiry_that_allows_refunds_does_not_block_but_warns() -> None:
    inquiry = Dispute(
        "dp_0002abcd",
        "ch_dupe0002",
        Money(1900, "usd"),
        "warning_needs_response",
        "general",
        NOW,
        is_charge_refundable=True,
    )
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot(dispute=inquiry))
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    assert refund.possible
    assert any("dp_0002abcd" in w for w in refund.warnings)


def test_cross_customer_duplicate_cancels_on_the_second_customer() -> None:
    a = customer("cus_first001", "Jane.Doe@example.com")
    b = customer("cus_second02", "jane.doe@example.com ", created=NOW - timedelta(days=2))
    s1 = subscription("sub_first001", cust=a.id, created=NOW - timedelta(days=2))
    s2 = subscription("sub_second02", cust=b.id, created=NOW - timedelta(days=2, seconds=-300))
    i1, c1 = paid_invoice_and_charge(s1)
    i2, c2 = paid_invoice_and_charge(s2)
    snap = snapshot(customers=(a, b), subs=(s1, s2), invoices=(i1, i2), charges=(c1, c2))
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), snap)
    cancel = plans[0]
    assert cancel.kind == ActionKind.CANCEL_SUBSCRIPTION
    assert cancel.target_id == "sub_second02"
    assert cancel.customer_id == "cus_second02"
    assert "second customer record cus_second02" in cancel.rationale
    assert [p.target_id for p in plans if p.kind == ActionKind.REFUND] == ["ch_second02"]


# --------------------------------------------------------------------------- money guards


def test_unconfirmed_classification_blocks_every_money_move_but_shows_the_plans() -> None:
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL, confirm=False), duplicate_snapshot())
    money = [p for p in plans if p.moves_money]
    assert money, "the plans are shown so the operator can preview them"
    assert {p.blocked_reason for p in money} == {"classify the case first (the wizard: c)"}
    assert all(p.possible for p in plans if not p.moves_money)


def test_unconfirmed_contract_shape_blocks_money_moves() -> None:
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL, contract=True), duplicate_snapshot())
    assert all(
        p.blocked_reason is not None and "contract shape" in p.blocked_reason
        for p in plans
        if p.moves_money
    )


def test_no_bucket_means_only_documentation() -> None:
    plans = recommend(classified(None), duplicate_snapshot())
    assert kinds(plans) == ["portal_session", "no_op"]
    assert not plans[0].recommended
    assert not any(p.moves_money for p in plans)
    assert kinds(recommend(classified(None), snapshot())) == ["no_op"]


def test_refund_more_than_is_left_is_refused_and_partial_is_allowed() -> None:
    snap = duplicate_snapshot(refunded=500)
    cls = classified(Bucket.PRODUCT_FAILURE)
    too_much = plan_refund(snap, "ch_dupe0002", amount=Money(1500, "usd"), classification=cls)
    assert too_much.blocked_reason == (
        "a refund of $15.00 is more than the $14.00 left to refund on ch_dupe0002"
    )
    partial = plan_refund(snap, "ch_dupe0002", amount=Money(700, "usd"), classification=cls)
    assert partial.possible
    assert "(partial)" in partial.title
    assert [(r.field, r.before, r.after) for r in partial.diff] == [
        ("amount_refunded", "$5.00", "$12.00"),
        ("refunded", "false", "false"),
    ]
    full = plan_refund(snap, "ch_dupe0002", classification=cls)
    assert full.amount == Money(1400, "usd")
    assert full.diff[1].after == "true"


def test_cancelling_a_canceled_subscription_is_refused() -> None:
    sub = subscription(
        "sub_gone0001",
        status=SubscriptionStatus.CANCELED,
        canceled_at=NOW - timedelta(days=1),
    )
    plan = plan_cancel(
        snapshot(subs=(sub,)), sub.id, classification=classified(Bucket.MISSING_SELF_SERVE)
    )
    assert plan.blocked_reason == (
        "sub_gone0001 is already canceled since 2026-11-25: there is nothing to cancel"
    )


def test_live_mode_asks_for_the_amount_or_the_id_to_be_typed() -> None:
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot(), live=True)
    by_kind = {p.kind: p for p in plans if p.recommended}
    assert by_kind[ActionKind.REFUND].confirm_phrase == "19.00"
    assert by_kind[ActionKind.CANCEL_SUBSCRIPTION].confirm_phrase == "sub_dupe0002"
    assert by_kind[ActionKind.NO_OP].confirm_phrase is None
    test_mode = recommend(classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot())
    assert all(p.confirm_phrase is None for p in test_mode)


def test_confirm_phrase_of_a_zero_decimal_currency() -> None:
    assert money_phrase(Money(1200, "jpy")) == "1200"
    assert money_phrase(Money(1999, "usd")) == "19.99"
    assert money_phrase(Money(1234, "kwd")) == "1.234"


# --------------------------------------------------------------------------- other buckets


def test_team_keeps_seats_and_offers_seat_reduction_without_refund() -> None:
    team = subscription("sub_team0001", p=price(1000, pid="price_seat", name="Team"), quantity=5)
    inv, ch = paid_invoice_and_charge(team)
    snap = snapshot(subs=(team,), invoices=(inv,), charges=(ch,), portal_config=portal())
    plans = recommend(classified(Bucket.TEAM_INTENT), snap)
    assert ActionKind.REFUND not in {p.kind for p in plans}
    portal_plan, later, now_, note = plans
    assert later.kind == ActionKind.UPDATE_QUANTITY
    assert later.param("quantity") == "4"
    assert later.param("proration_behavior") == "none"
    assert not later.recommended
    assert now_.param("proration_behavior") == "create_prorations"
    assert any(r.estimate for r in now_.diff)
    assert portal_plan.param("flow") == "subscription_update"
    assert note.kind == ActionKind.NO_OP
    assert "billing model" in note.title
    # the answer "seats=3" turns the reduction into the recommendation
    asked = recommend(
        replace(classified(Bucket.TEAM_INTENT), answers=Answers().with_answer("seats", "3")), snap
    )
    first = asked[1]
    assert first.param("quantity") == "3"
    assert first.recommended
    assert first.impact.mrr_delta == Money(-2000, "usd")
    assert first.impact.arr_delta == Money(-24000, "usd")
    assert [(r.field, r.before, r.after) for r in first.diff] == [
        ("quantity", "5", "3"),
        ("next_invoice", "$50.00 on 2026-12-21", "$30.00 on 2026-12-21"),
    ]


def test_failed_payment_sends_a_card_update_link_and_retries_without_refund() -> None:
    sub = subscription("sub_late0001", status=SubscriptionStatus.PAST_DUE)
    open_inv = Invoice(
        "in_late0001", sub.customer_id, "open", Money(1900, "usd"), Money(1900, "usd"),
        Money(0, "usd"), Money(1900, "usd"), NOW - timedelta(days=2), subscription_id=sub.id,
        attempt_count=2,
    )  # fmt: skip
    snap = snapshot(subs=(sub,), invoices=(open_inv,), portal_config=portal())
    plans = recommend(classified(Bucket.FAILED_PAYMENT), snap)
    assert kinds(plans) == ["portal_session", "retry_invoice_payment", "no_op"]
    assert plans[0].param("flow") == "payment_method_update"
    assert plans[0].step == Step.RESTORE_SELF_SERVE
    retry = plans[1]
    assert [(r.object_id, r.field, r.after) for r in retry.diff] == [
        ("in_late0001", "status", "paid"),
        ("in_late0001", "amount_remaining", "$0.00"),
        ("sub_late0001", "status", "active"),
    ]
    # a portal that does not allow card updates gets a plain portal link
    no_update = replace(snap, portal=portal(payment_method_update_enabled=False))
    assert recommend(classified(Bucket.FAILED_PAYMENT), no_update)[0].param("flow") is None
    # no portal at all: the link is shown but cannot be created
    no_portal = replace(snap, portal=None)
    blocked = recommend(classified(Bucket.FAILED_PAYMENT), no_portal)[0]
    assert blocked.blocked_reason is not None
    assert "no active billing-portal" in blocked.blocked_reason


def test_missing_self_serve_cancels_at_period_end_when_the_portal_cannot() -> None:
    sub = subscription("sub_stay0001")
    snap = snapshot(subs=(sub,), portal_config=portal(cancel_enabled=False))
    plans = recommend(classified(Bucket.MISSING_SELF_SERVE), snap)
    assert kinds(plans) == ["portal_session", "cancel_subscription", "no_op"]
    assert plans[1].param("mode") == "at_period_end"
    assert plans[1].reversible
    assert plans[1].impact.mrr_delta == Money(-1900, "usd")
    with_cancel = replace(snap, portal=portal())
    plans = recommend(classified(Bucket.MISSING_SELF_SERVE), with_cancel)
    assert kinds(plans) == ["portal_session", "portal_session", "no_op"]
    assert plans[1].param("flow") == "subscription_cancel"


def test_annual_upgrade_proration_is_explained_not_refunded() -> None:
    annual = subscription(
        "sub_year0001", p=price(24000, interval="year", pid="price_pro_year"), period_days=365
    )
    line = InvoiceLine("il_1", Money(-1500, "usd"), "Unused time", NOW, NOW, proration=True)
    inv = Invoice(
        "in_upgr0001", annual.customer_id, "paid", Money(22500, "usd"), Money(22500, "usd"),
        Money(22500, "usd"), Money(0, "usd"), NOW - timedelta(days=1),
        subscription_id=annual.id, lines=(line,),
    )  # fmt: skip
    snap = snapshot(subs=(annual,), invoices=(inv,), portal_config=portal())
    plans = recommend(classified(Bucket.MISSING_SELF_SERVE), snap)
    assert ActionKind.REFUND not in {p.kind for p in plans}
    assert any("Explain the proration on in_upgr0001" in p.title for p in plans)


def test_product_failure_refunds_the_latest_paid_charge() -> None:
    old = subscription("sub_prod0001", created=NOW - timedelta(days=40))
    inv_old, ch_old = paid_invoice_and_charge(old)
    newer = replace(ch_old, id="ch_latest01", created=NOW - timedelta(days=5))
    snap = snapshot(
        subs=(old,), invoices=(inv_old,), charges=(ch_old, newer), portal_config=portal()
    )
    plans = recommend(classified(Bucket.PRODUCT_FAILURE), snap)
    assert kinds(plans) == ["refund", "no_op"]
    assert plans[0].target_id == "ch_latest01"
    assert plans[0].param("reason") == "requested_by_customer"
    assert plans[0].impact.refund == Money(1900, "usd")
    assert "Apologise" in plans[1].title


# --------------------------------------------------------------------------- details


def test_cancel_immediately_diff_and_impact() -> None:
    snap = duplicate_snapshot()
    plan = plan_cancel(snap, "sub_dupe0002", classification=classified(Bucket.DUPLICATE_PERSONAL))
    assert [r.text() for r in plan.diff] == [
        "sub_dupe0002.status: active → canceled",
        "sub_dupe0002.next_invoice: $19.00 on 2026-12-23 → none",
    ]
    assert plan.api_calls[0].startswith(
        "DELETE /v1/subscriptions/sub_dupe0002 prorate=false invoice_now=false"
    )
    assert plan.impact.describe() == "MRR -$19.00, ARR -$228.00"
    assert observe(snap, "sub_dupe0002", "status") == "active"


def test_seat_change_to_the_same_count_or_zero_is_refused() -> None:
    team = subscription("sub_team0002", quantity=3)
    snap = snapshot(subs=(team,))
    cls = classified(Bucket.TEAM_INTENT)
    assert plan_update_quantity(snap, team.id, 3, classification=cls).blocked_reason == (
        "sub_team0002 already has 3 seats"
    )
    zero = plan_update_quantity(snap, team.id, 0, classification=cls).blocked_reason
    assert zero is not None
    assert "at least 1 seat" in zero


def test_unknown_refund_reason_is_rejected_with_the_choices() -> None:
    with pytest.raises(ValueError, match="duplicate, requested_by_customer or fraudulent"):
        plan_refund(duplicate_snapshot(), "ch_dupe0002", reason="oops")


def test_the_key_is_the_intent_never_the_state_observed() -> None:
    """The same request on the same charge keys the same, whatever was refunded meanwhile and
    whichever case asks; another amount, reason or ordinal is another key."""
    snap = duplicate_snapshot()
    before = plan_refund(snap, "ch_dupe0002", amount=Money(500, "usd"))
    charge = snap.charge("ch_dupe0002")
    assert charge is not None
    refunded = replace(charge, amount_refunded=Money(500, "usd"))
    later = replace(snap, charges=tuple(refunded if c.id == charge.id else c for c in snap.charges))
    after = plan_refund(later, "ch_dupe0002", amount=Money(500, "usd"))
    assert before.param("refunded_before") != after.param("refunded_before")  # shown, …
    assert intent_of(before).key == intent_of(after).key  # … never keyed
    # "refund the rest" is the request, not the amount it came to
    rest_before, rest_after = plan_refund(snap, "ch_dupe0002"), plan_refund(later, "ch_dupe0002")
    assert rest_before.amount != rest_after.amount
    assert intent_of(rest_before).key == intent_of(rest_after).key
    assert intent_of(rest_before).key != intent_of(before).key
    other_reason = plan_refund(snap, "ch_dupe0002", amount=Money(500, "usd"), reason="fraudulent")
    assert intent_of(other_reason).key != intent_of(before).key
    second = intent_of(before, ordinal=2)
    assert second.key != intent_of(before).key
    assert second.tag == "refund/ch_dupe0002/2"
    assert parse_tag(second.tag) == ("refund", "ch_dupe0002", 2)
    key = intent_of(before).key
    assert len(key) <= 255
    assert key.startswith("btui-refund-ch_dupe0002-i1-h")
    # seats: the target quantity is the intent, the quantity seen before is not
    team = next(s for s in snap.subscriptions if s.items)
    seats = plan_update_quantity(snap, team.id, 7)
    assert "quantity_before" in seats.param_map
    assert dict(intent_of(seats).params).keys() == {
        "subscription",
        "item",
        "quantity",
        "proration_behavior",
    }


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("9.50", "usd", 950), ("19", "usd", 1900), ("1200", "jpy", 1200), ("1.234", "kwd", 1234)],
)
def test_typed_amounts_in_the_currency_precision(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("9.505", "usd", "USD amounts have at most 2 decimals"),
        ("12.5", "jpy", "JPY amounts have no decimals"),
        ("$9", "usd", "is not an amount"),
        ("0", "usd", "more than zero"),
        ("-3", "usd", "more than zero"),
    ],
)
def test_malformed_amounts_are_explained(text: str, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_money(text, currency)


def test_a_partial_refund_keeps_the_plan_and_reapplies_guards() -> None:
    snap = duplicate_snapshot()
    cls = classified(Bucket.PRODUCT_FAILURE)
    full = plan_refund(snap, "ch_dupe0002", reason="duplicate", classification=cls)
    partial = with_refund_amount(full, snap, Money(500, "usd"), classification=cls)
    assert partial.amount == Money(500, "usd")
    assert partial.param("reason") == "duplicate"
    assert partial.possible
    too_much = with_refund_amount(full, snap, Money(5000, "usd"), classification=cls)
    assert too_much.blocked_reason is not None
    assert "more than the $19.00 left" in too_much.blocked_reason
