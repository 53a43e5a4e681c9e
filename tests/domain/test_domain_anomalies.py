"""Each anomaly detector, positive and negative, as an operator reading the list would see it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from billing_tui.core.anomalies import Anomaly, Severity, codes, detect
from billing_tui.core.model import SubscriptionStatus
from billing_tui.core.settings import Settings
from tests.domain.domain_builders import (
    NOW,
    PRO_ANNUAL,
    PRO_MONTHLY,
    PRO_MONTHLY_V2,
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
    refunded_charge,
    snapshot,
    subscription,
    world,
)


def only(anomalies: tuple[Anomaly, ...], code: str) -> list[Anomaly]:
    return [a for a in anomalies if a.code == code]


# --------------------------------------------------------------------------- duplicates


def test_double_checkout_is_a_duplicate_subscription_with_gap_and_card() -> None:
    first = paid_subscription(created=ago(days=3))
    second = paid_subscription(created=ago(days=3) + timedelta(seconds=92))
    found = only(detect(world(second, first)), "duplicate_subscription")
    assert len(found) == 1
    dup = found[0]
    assert dup.severity == Severity.CRITICAL
    assert dup.title == "Duplicate subscription"
    assert dup.refs == (first[0].id, second[0].id)  # oldest first
    assert "2 subscriptions to Pro Monthly created 92 s apart" in dup.detail
    assert "same card (Visa ····4242)" in dup.detail
    assert "quantity 1 each" in dup.detail


def test_duplicate_paid_by_different_cards_says_so() -> None:
    first = paid_subscription(created=ago(days=3))
    second = paid_subscription(
        created=ago(days=2), details=card("5555", brand="mastercard", fingerprint="fpB")
    )
    (dup,) = only(detect(world(first, second)), "duplicate_subscription")
    assert "created 1 days apart" in dup.detail or "created 24 h apart" in dup.detail
    assert "different cards (Visa ····4242, Mastercard ····5555)" in dup.detail


def test_card_brands_read_the_way_cardholders_know_them() -> None:
    first = paid_subscription(created=ago(hours=3), details=card("0505", brand="jcb"))
    second = paid_subscription(created=ago(hours=2), details=card("0505", brand="jcb"))
    (dup,) = only(detect(world(first, second)), "duplicate_subscription")
    assert "same card (JCB ····0505)" in dup.detail


def test_same_product_new_price_same_interval_is_a_duplicate() -> None:
    first = paid_subscription(created=ago(hours=5))
    second = paid_subscription(price=PRO_MONTHLY_V2, created=ago(hours=4))
    assert codes(detect(world(first, second))) >= {"duplicate_subscription"}


def test_three_checkouts_are_one_anomaly_naming_all_three() -> None:
    parts = [paid_subscription(created=ago(minutes=m)) for m in (30, 29, 28)]
    (dup,) = only(detect(world(*parts)), "duplicate_subscription")
    assert dup.refs == tuple(p[0].id for p in parts)
    assert dup.detail.startswith("3 subscriptions to Pro Monthly created within 2 min")


def test_duplicate_window_comes_from_settings(tight_settings: Settings) -> None:
    first = paid_subscription(created=ago(days=3))
    second = paid_subscription(created=ago(days=3) + timedelta(seconds=92))
    snap = world(first, second)
    assert "duplicate_subscription" in codes(detect(snap))
    assert "duplicate_subscription" not in codes(detect(snap, tight_settings))


def test_outside_the_default_window_is_not_a_duplicate() -> None:
    first = paid_subscription(created=ago(days=40))
    second = paid_subscription(created=ago(days=2))
    assert "duplicate_subscription" not in codes(detect(world(first, second)))


def test_seats_are_a_team_purchase_not_a_duplicate() -> None:
    first = paid_subscription(price=TEAM_MONTHLY, created=ago(hours=2), quantity=5)
    second = paid_subscription(price=TEAM_MONTHLY, created=ago(hours=1))
    found = detect(world(first, second))
    assert "duplicate_subscription" not in codes(found)
    (team,) = only(found, "team_purchase_pattern")
    assert team.refs == (first[0].id,)
    assert "5 seats" in team.detail
    assert team.severity == Severity.INFO


def test_subscriptions_for_different_people_are_a_team_purchase() -> None:
    alice = paid_subscription(created=ago(hours=2), metadata={"for": "alice@corp.test"})
    bob = paid_subscription(created=ago(hours=1), metadata={"seat_holder": "bob@corp.test"})
    found = detect(world(alice, bob))
    assert "duplicate_subscription" not in codes(found)
    (team,) = only(found, "team_purchase_pattern")
    assert team.refs == (alice[0].id, bob[0].id)
    assert "2 different people" in team.detail


def test_metadata_naming_the_same_person_is_still_a_duplicate() -> None:
    a = paid_subscription(created=ago(hours=2), metadata={"for": "Alice"})
    b = paid_subscription(created=ago(hours=1), metadata={"user": "alice "})
    found = detect(world(a, b))
    assert "duplicate_subscription" in codes(found)
    assert "team_purchase_pattern" not in codes(found)


def test_monthly_and_annual_of_one_product_is_mixed_interval_not_duplicate() -> None:
    monthly = paid_subscription(created=ago(days=20))
    annual = paid_subscription(price=PRO_ANNUAL, created=ago(days=2))
    found = detect(world(monthly, annual))
    assert "duplicate_subscription" not in codes(found)
    (mixed,) = only(found, "mixed_interval")
    assert mixed.refs == (monthly[0].id, annual[0].id)
    assert "monthly" in mixed.detail
    assert "yearly" in mixed.detail


def test_a_canceled_copy_is_not_a_duplicate() -> None:
    live = paid_subscription(created=ago(hours=2))
    old = subscription(status="canceled", created=ago(hours=2, minutes=1), canceled_at=ago(hours=1))
    assert "duplicate_subscription" not in codes(detect(world(live, subscriptions=[old])))


def test_several_customers_for_one_email_case_insensitively() -> None:
    a = customer("cus_a", email="Jane.Doe@Example.com", created=ago(days=30))
    b = customer("cus_b", email=" jane.doe@example.com", created=ago(days=3))
    c = customer("cus_c", email="someone.else@example.com")
    found = detect(snapshot(customers=[b, c, a]))
    (dup,) = only(found, "duplicate_customer")
    assert dup.refs == ("cus_a", "cus_b")
    assert "j***@example.com" in dup.detail
    assert "jane.doe" not in dup.detail.lower()


def test_same_product_on_two_records_of_one_email_is_a_cross_customer_duplicate() -> None:
    a = customer("cus_a", created=ago(days=30))
    b = customer("cus_b", created=ago(days=3))
    sub_a = paid_subscription("cus_a", created=ago(days=30))
    sub_b = paid_subscription("cus_b", created=ago(days=2))
    found = detect(world(sub_a, sub_b, customers=[a, b]))
    (cross,) = only(found, "cross_customer_duplicate")
    assert cross.refs == (sub_a[0].id, sub_b[0].id)
    assert "cus_a" in cross.detail
    assert "cus_b" in cross.detail
    assert "duplicate_customer" in codes(found)
    assert "duplicate_subscription" not in codes(found)  # one per customer: not "one customer"


def test_different_products_on_two_records_are_not_a_cross_customer_duplicate() -> None:
    a, b = customer("cus_a"), customer("cus_b")
    found = detect(
        world(paid_subscription("cus_a"), paid_subscription("cus_b", price=TEAM_MONTHLY),
              customers=[a, b])
    )  # fmt: skip
    assert "cross_customer_duplicate" not in codes(found)


# --------------------------------------------------------------------------- payments


def test_past_due_subscription_with_failed_invoice() -> None:
    sub = subscription(status="past_due")
    failed = charge(status="failed", failure_message="Your card was declined.")
    inv = invoice(
        sub,
        status="open",
        attempt_count=3,
        paid_by=failed,
        next_payment_attempt=later(days=2),
    )
    (anomaly,) = only(detect(snapshot(subscriptions=[sub], invoices=[inv], charges=[failed])),
                      "payment_failed")  # fmt: skip
    assert anomaly.refs == (sub.id, inv.id)
    assert "past due" in anomaly.detail
    assert "$19.00" in anomaly.detail
    assert "3 attempts" in anomaly.detail
    assert "Your card was declined." in anomaly.detail


def test_open_invoice_never_attempted_is_not_a_failure() -> None:
    sub = subscription()
    inv = invoice(sub, status="open", attempt_count=0)
    assert "payment_failed" not in codes(detect(snapshot(subscriptions=[sub], invoices=[inv])))


def test_open_invoice_with_a_failed_attempt_on_an_active_subscription() -> None:
    sub = subscription()
    inv = invoice(sub, status="open", attempt_count=1)
    (anomaly,) = only(detect(snapshot(subscriptions=[sub], invoices=[inv])), "payment_failed")
    assert anomaly.refs == (sub.id, inv.id)


def test_incomplete_and_expired_checkouts() -> None:
    a = subscription(status="incomplete")
    b = subscription(status="incomplete_expired")
    c = subscription(status="active")
    found = only(detect(snapshot(subscriptions=[a, b, c])), "incomplete_checkout")
    assert sorted(x.refs for x in found) == sorted([(a.id,), (b.id,)])


def test_expired_default_card() -> None:
    old_card = payment_method("cus_1", pm_id="pm_old", details=card(exp_month=9, exp_year=2026))
    cust = customer(default_payment_method_id="pm_old")
    snap = snapshot(customers=[cust], payment_methods=[old_card], subscriptions=[subscription()])
    (expired,) = only(detect(snap), "card_expired")
    assert expired.refs == ("pm_old",)
    assert "Visa ····4242" in expired.detail
    assert "09/26" in expired.detail


def test_card_valid_through_the_end_of_its_expiry_month() -> None:
    this_month = payment_method(pm_id="pm_now", details=card(exp_month=11, exp_year=2026))
    snap = snapshot(
        customers=[customer(default_payment_method_id="pm_now")], payment_methods=[this_month]
    )
    assert "card_expired" not in codes(detect(snap))
    assert "card_expired" in codes(detect(snap, now=NOW + timedelta(days=6)))


def test_subscription_default_card_is_used_when_customer_has_none() -> None:
    old = payment_method(pm_id="pm_sub", details=card(exp_month=1, exp_year=2025))
    sub = subscription(default_payment_method_id="pm_sub")
    (expired,) = only(detect(snapshot(subscriptions=[sub], payment_methods=[old])), "card_expired")
    assert expired.refs == ("pm_sub",)


def test_card_expiring_before_the_annual_renewal() -> None:
    pm = payment_method(pm_id="pm_soon", details=card(exp_month=3, exp_year=2027))
    annual = subscription(price=PRO_ANNUAL, default_payment_method_id="pm_soon")
    snap = snapshot(subscriptions=[annual], payment_methods=[pm])
    (soon,) = only(detect(snap), "card_expires_before_renewal")
    assert soon.refs == ("pm_soon", annual.id)
    assert "03/27" in soon.detail
    canceling = replace(annual, cancel_at_period_end=True)
    snap2 = snapshot(subscriptions=[canceling], payment_methods=[pm])
    assert "card_expires_before_renewal" not in codes(detect(snap2))


def test_card_expiring_before_a_later_renewal_of_several() -> None:
    pm = payment_method(pm_id="pm_soon", details=card(exp_month=3, exp_year=2027))
    monthly = subscription(default_payment_method_id="pm_soon")  # renews in 20 days
    annual = subscription(price=PRO_ANNUAL, default_payment_method_id="pm_soon")
    snap = snapshot(subscriptions=[monthly, annual], payment_methods=[pm])
    (soon,) = only(detect(snap), "card_expires_before_renewal")
    assert soon.refs == ("pm_soon", annual.id)
    quiet = snapshot(subscriptions=[monthly], payment_methods=[pm])
    assert "card_expires_before_renewal" not in codes(detect(quiet))


def test_quarterly_and_annual_are_not_mixed_monthly_and_annual() -> None:
    from billing_tui.core.model import Price

    quarterly = Price("price_pro_q", "prod_pro", "Pro", "usd", 5400, "month", interval_count=3)
    snap = world(
        paid_subscription(price=quarterly, created=ago(days=50)),
        paid_subscription(price=PRO_ANNUAL, created=ago(days=2)),
    )
    assert "mixed_interval" not in codes(detect(snap))


def test_no_payment_method_for_an_automatically_charged_subscription() -> None:
    sub = subscription()
    found = detect(snapshot(subscriptions=[sub], payment_methods=[]))
    (none,) = only(found, "no_payment_method")
    assert none.refs == ("cus_1", sub.id)


def test_no_payment_method_not_raised_for_trials_invoices_or_unknown() -> None:
    trial = subscription(status="trialing", trial_end=later(days=20))
    invoiced = subscription(collection_method="send_invoice")
    assert "no_payment_method" not in codes(
        detect(snapshot(subscriptions=[trial, invoiced], payment_methods=[]))
    )
    from billing_tui.core.model import PartFailure

    unknown = snapshot(
        subscriptions=[subscription()],
        payment_methods=[],
        failures=(PartFailure("payment_methods", "timed out"),),
    )
    assert "no_payment_method" not in codes(detect(unknown))


def test_trial_ending_without_payment_method(tight_settings: Settings) -> None:
    trial = subscription(status="trialing", trial_end=later(days=3))
    snap = snapshot(subscriptions=[trial], payment_methods=[])
    (ending,) = only(detect(snap), "trial_ending_without_payment_method")
    assert ending.refs == (trial.id,)
    assert "in 3 days" in ending.detail
    assert "trial_ending_without_payment_method" not in codes(detect(snap, tight_settings))
    with_card = snapshot(subscriptions=[trial])
    assert "trial_ending_without_payment_method" not in codes(detect(with_card))


# --------------------------------------------------------------------------- charges


def test_open_dispute_is_flagged_with_both_ids() -> None:
    ch = replace(charge(), disputed=True)
    dp = dispute(ch)
    (disputed,) = only(detect(snapshot(charges=[ch], disputes=[dp])), "disputed_charge")
    assert disputed.refs == (ch.id, dp.id)
    assert "fraudulent" in disputed.detail
    assert "never refund" in disputed.detail


def test_closed_dispute_on_an_undisputed_charge_is_not_flagged() -> None:
    ch = charge()
    dp = dispute(ch, status="won")
    assert "disputed_charge" not in codes(detect(snapshot(charges=[ch], disputes=[dp])))


def test_recent_refund(tight_settings: Settings) -> None:
    ch = refunded_charge(charge(created=ago(days=10)), 900)
    snap = snapshot(charges=[ch])
    (refunded,) = only(detect(snap), "refunded_charge")
    assert refunded.refs == (ch.id, ch.refunds[0].id)
    assert "partly refunded: $9.00 of $19.00" in refunded.detail
    assert "refunded_charge" not in codes(detect(snap, tight_settings))  # older than 3 days


def test_two_identical_charges_minutes_apart_are_a_double_charge(
    tight_settings: Settings,
) -> None:
    a = charge(created=ago(hours=1))
    b = charge(created=ago(hours=1) + timedelta(minutes=3))
    (double,) = only(detect(snapshot(charges=[b, a])), "double_charge")
    assert double.refs == (a.id, b.id)
    assert "$19.00" in double.detail
    assert "3 min apart" in double.detail
    far = charge(created=ago(hours=1) + timedelta(minutes=20))
    assert "double_charge" not in codes(detect(snapshot(charges=[a, far])))
    assert "double_charge" in codes(detect(snapshot(charges=[a, far]), tight_settings))


def test_different_amounts_or_failed_charges_are_not_double() -> None:
    a = charge(created=ago(hours=1))
    b = charge(created=ago(hours=1) + timedelta(minutes=1), amount=2900)
    c = charge(created=ago(hours=1) + timedelta(minutes=2), status="failed")
    assert "double_charge" not in codes(detect(snapshot(charges=[a, b, c])))


def test_a_fully_refunded_twin_is_no_longer_a_double_charge() -> None:
    a = charge(created=ago(hours=1))
    b = charge(created=ago(hours=1) + timedelta(minutes=2))
    assert "double_charge" in codes(detect(snapshot(charges=[a, b])))
    assert "double_charge" not in codes(detect(snapshot(charges=[a, refunded_charge(b)])))
    partly = refunded_charge(b, 500)
    assert "double_charge" in codes(detect(snapshot(charges=[a, partly])))


def test_charges_of_a_duplicate_subscription_are_not_a_separate_double_charge() -> None:
    first = paid_subscription(created=ago(days=1))
    second = paid_subscription(created=ago(days=1) + timedelta(seconds=92))
    found = codes(detect(world(first, second)))
    assert "duplicate_subscription" in found
    assert "double_charge" not in found


# --------------------------------------------------------------------------- invoices, account


def test_recent_proration(tight_settings: Settings) -> None:
    sub = subscription(price=PRO_ANNUAL)
    inv = invoice(
        sub,
        created=ago(days=3),
        billing_reason="subscription_update",
        lines=(
            proration_line(sub.id, -1200, price_id=PRO_MONTHLY.id),
            proration_line(sub.id, 17000, price_id=PRO_ANNUAL.id),
        ),
    )
    snap = snapshot(subscriptions=[sub], invoices=[inv])
    (pro,) = only(detect(snap), "proration_activity")
    assert pro.refs == (inv.id, sub.id)
    assert "2 proration lines, $158.00 net" in pro.detail
    assert "proration_activity" not in codes(detect(snap, tight_settings))


def test_invoice_without_proration_lines_is_quiet() -> None:
    sub = subscription()
    assert "proration_activity" not in codes(
        detect(snapshot(subscriptions=[sub], invoices=[invoice(sub, created=ago(days=1))]))
    )


def test_pending_cancellation() -> None:
    at_end = subscription(cancel_at_period_end=True)
    on_date = subscription(cancel_at=later(days=12))
    running = subscription()
    found = only(detect(snapshot(subscriptions=[at_end, on_date, running])), "cancel_pending")
    assert sorted(a.refs for a in found) == sorted([(at_end.id,), (on_date.id,)])


def test_customer_balance_credit_and_debt() -> None:
    credit = customer("cus_c", balance=-500, currency="usd")
    owes = customer("cus_o", email="o@example.com", balance=1200, currency="jpy")
    found = only(detect(snapshot(customers=[credit, owes])), "customer_balance")
    text = {a.refs: a.detail for a in found}
    assert "credit of $5.00" in text[("cus_c",)]
    assert "owes ¥1,200" in text[("cus_o",)]


def test_portal_missing_when_none_applies_or_inactive() -> None:
    assert "portal_missing" in codes(detect(snapshot(portal_config=None)))
    assert "portal_missing" in codes(detect(snapshot(portal_config=portal(active=False))))
    assert not codes(detect(snapshot())) & {"portal_missing", "portal_cancel_disabled"}


def test_portal_feature_gaps_name_the_configuration() -> None:
    config = portal(cancel=False, payment_update=False, invoice_history=False, portal_id="bpc_x")
    found = detect(snapshot(portal_config=config))
    assert codes(found) == {
        "portal_cancel_disabled",
        "portal_payment_update_disabled",
        "portal_invoice_history_disabled",
    }
    assert all(a.refs == ("bpc_x",) for a in found)


def test_unreadable_portal_raises_no_portal_anomaly() -> None:
    assert not codes(detect(snapshot(portal_config=None, portal_known=False)))


# --------------------------------------------------------------------------- detect()


def test_healthy_customer_has_no_anomalies() -> None:
    assert detect(world(paid_subscription())) == ()


def test_results_are_sorted_by_severity_then_code() -> None:
    sub = subscription(status="past_due", cancel_at_period_end=True)
    snap = snapshot(
        subscriptions=[sub],
        customers=[customer(balance=-100, currency="usd")],
        portal_config=portal(cancel=False),
    )
    found = detect(snap)
    keys = [(-a.severity, a.code, a.refs) for a in found]
    assert keys == sorted(keys)
    assert found[0].code == "payment_failed"
    assert found[-1].severity == Severity.INFO


def test_now_defaults_to_the_snapshot_clock() -> None:
    trial = subscription(status="trialing", trial_end=later(days=10))
    snap = snapshot(subscriptions=[trial], payment_methods=[])
    assert "trial_ending_without_payment_method" not in codes(detect(snap))
    assert "trial_ending_without_payment_method" in codes(detect(snap, now=later(days=5)))


def test_texts_never_show_fingerprints_or_full_emails() -> None:
    a = customer("cus_a", email="jane.doe@example.com")
    b = customer("cus_b", email="JANE.DOE@example.com")
    first = paid_subscription("cus_a", created=ago(days=1))
    second = paid_subscription("cus_a", created=ago(days=1) + timedelta(seconds=30))
    third = paid_subscription("cus_b", created=ago(hours=1))
    ch = replace(charge("cus_b"), disputed=True)
    found = detect(world(first, second, third, customers=[a, b], charges=[ch]))
    assert {"duplicate_subscription", "duplicate_customer", "cross_customer_duplicate"} <= codes(
        found
    )
    for anomaly in found:
        text = f"{anomaly.title} {anomaly.detail}".lower()
        assert "jane.doe" not in text
        assert "fpa" not in text
        assert len(anomaly.title) <= 40


def test_status_of_live_subscriptions_is_what_counts() -> None:
    for status in SubscriptionStatus:
        a = subscription(status=status.value, created=ago(hours=2))
        b = subscription(status=status.value, created=ago(hours=1))
        got = "duplicate_subscription" in codes(detect(snapshot(subscriptions=[a, b])))
        assert got == (status in {"active", "trialing", "past_due", "unpaid"}), status
