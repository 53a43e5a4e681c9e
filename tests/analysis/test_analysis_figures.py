"""Plan analysis against hand-computed figures on small fixed populations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billing_tui.core.analysis import (
    churn,
    interval_mix,
    monthly_churn,
    monthly_to_annual,
    mrr_by_currency,
    plan_mix,
    seat_distribution,
)
from billing_tui.core.model import (
    Money,
    Price,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)

PRO_M = Price("price_pro_m", "prod_pro", "Pro", "usd", 1900, "month")
PRO_Y = Price("price_pro_y", "prod_pro", "Pro", "usd", 19000, "year")
TEAM_M = Price("price_team_m", "prod_team", "Team", "usd", 1200, "month")
PRO_Q = Price("price_pro_q", "prod_pro", "Pro", "usd", 5100, "month", interval_count=3)
PRO_JPY = Price("price_pro_jpy", "prod_pro", "Pro", "jpy", 2000, "month")
PRO_EUR_Y = Price("price_pro_eur_y", "prod_pro", "Pro", "eur", 12000, "year")


def sub(
    sid: str,
    price: Price,
    *,
    qty: int = 1,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    customer: str = "cus_1",
    created: datetime = NOW - timedelta(days=100),
    ended: datetime | None = None,
    reason: str | None = None,
) -> Subscription:
    item = SubscriptionItem(
        f"si_{sid}", price, qty, NOW - timedelta(days=5), NOW + timedelta(days=25)
    )
    return Subscription(
        id=sid,
        customer_id=customer,
        status=status,
        items=(item,),
        created=created,
        currency=price.currency,
        ended_at=ended,
        canceled_at=ended,
        cancellation_reason=reason,
    )


POPULATION = (
    sub("sub_a", PRO_M),
    sub("sub_b", PRO_M, customer="cus_2"),
    sub("sub_c", PRO_Y, customer="cus_3"),
    sub("sub_d", TEAM_M, qty=5, customer="cus_4"),
    sub("sub_e", TEAM_M, qty=1, customer="cus_5"),
    sub("sub_f", PRO_Q, customer="cus_6"),
    sub("sub_g", PRO_JPY, customer="cus_7"),
    sub("sub_h", PRO_EUR_Y, customer="cus_8"),
    sub("sub_i", PRO_M, qty=3, customer="cus_9"),
    sub("sub_t", PRO_M, customer="cus_10", status=SubscriptionStatus.TRIALING),
    sub(
        "sub_x",
        PRO_M,
        customer="cus_11",
        status=SubscriptionStatus.CANCELED,
        ended=NOW - timedelta(days=10),
        reason="cancellation_requested",
    ),
    sub(
        "sub_y",
        PRO_Y,
        customer="cus_12",
        status=SubscriptionStatus.CANCELED,
        ended=NOW - timedelta(days=60),
        reason="payment_failed",
    ),
)


def test_mrr_is_kept_per_currency() -> None:
    # usd: 1900 + 1900 + 19000/12 (1583) + 5*1200 + 1200 + 5100/3 + 3*1900; trialing adds 0
    expected_usd = 1900 + 1900 + 1583 + 6000 + 1200 + 1700 + 5700
    assert mrr_by_currency(POPULATION) == {
        "eur": Money(1000, "eur"),
        "jpy": Money(2000, "jpy"),
        "usd": Money(expected_usd, "usd"),
    }


def test_plan_mix_rows_per_price() -> None:
    rows = {r.price_id: r for r in plan_mix(POPULATION)}
    pro_m = rows["price_pro_m"]
    assert pro_m.subscriptions == 4  # sub_a, sub_b, sub_i, trialing sub_t
    assert pro_m.seats == 6
    assert pro_m.mrr == Money(1900 * 5, "usd")
    assert pro_m.arr == Money(1900 * 5 * 12, "usd")
    assert rows["price_pro_q"].interval == "every 3 months"
    assert rows["price_pro_y"].interval == "annual"
    assert rows["price_pro_jpy"].share == 1.0
    usd_share = sum(r.share for r in rows.values() if r.currency == "usd")
    assert abs(usd_share - 1.0) < 1e-9
    assert "price_pro_y" in rows
    assert rows["price_pro_y"].subscriptions == 1


def test_interval_mix_counts_monthly_and_annual() -> None:
    mix = {(r.currency, r.interval): r for r in interval_mix(POPULATION)}
    assert mix[("usd", "monthly")].subscriptions == 6
    assert mix[("usd", "annual")].subscriptions == 1
    assert mix[("usd", "annual")].mrr == Money(1583, "usd")
    assert mix[("eur", "annual")].mrr == Money(1000, "eur")


def test_seat_distribution_flags_confusing_seats() -> None:
    seats = seat_distribution(POPULATION)
    assert dict(seats.histogram)["2–5"] == 1
    assert dict(seats.histogram)["1"] == 1
    assert seats.team_single_seat == ("sub_e",)
    assert seats.personal_multi_seat == ("sub_i",)


def test_churn_windows_and_reasons() -> None:
    last30 = churn(POPULATION, now=NOW, days=30)
    assert last30.canceled == 1
    assert last30.by_reason == (("cancellation_requested", 1),)
    assert last30.mrr_lost == (Money(1900, "usd"),)
    last90 = churn(POPULATION, now=NOW, days=90)
    assert last90.canceled == 2
    assert dict(last90.by_reason) == {"cancellation_requested": 1, "payment_failed": 1}
    months = dict(monthly_churn(POPULATION, now=NOW, months=3))
    assert months == {"2026-09": 1, "2026-10": 0, "2026-11": 1}


def test_monthly_to_annual_conversion_is_found() -> None:
    switched = NOW - timedelta(days=20)
    monthly = sub(
        "sub_m",
        PRO_M,
        customer="cus_conv",
        status=SubscriptionStatus.CANCELED,
        created=NOW - timedelta(days=200),
        ended=switched + timedelta(minutes=5),
    )
    annual = sub("sub_y2", PRO_Y, customer="cus_conv", created=switched)
    unrelated = sub("sub_u", TEAM_M, customer="cus_conv", created=NOW - timedelta(days=300))
    found = monthly_to_annual(
        [monthly, annual, unrelated, *POPULATION], since=NOW - timedelta(days=30), until=NOW
    )
    assert [
        (c.customer_id, c.monthly_subscription_id, c.annual_subscription_id) for c in found
    ] == [("cus_conv", "sub_m", "sub_y2")]


@given(st.permutations(POPULATION), st.integers(1, len(POPULATION)))
def test_mrr_sums_are_invariant_to_order_and_sharding(order: list[Subscription], cut: int) -> None:
    whole = mrr_by_currency(order)
    left, right = mrr_by_currency(order[:cut]), mrr_by_currency(order[cut:])
    merged: dict[str, Money] = dict(left)
    for cur, money in right.items():
        merged[cur] = merged.get(cur, Money.zero(cur)) + money
    assert merged == whole
    assert {r.price_id: r.mrr for r in plan_mix(order)} == {
        r.price_id: r.mrr for r in plan_mix(POPULATION)
    }
