"""The object factories: Stripe's billing arithmetic, money rules and links between objects."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_tui.sandbox import catalog, resources
from billing_tui.sandbox.state import Clock, SandboxState
from tests.sandbox_catalog.conftest import DEFAULT_NOW

NOW = int(DEFAULT_NOW.timestamp())
TIMES = st.integers(min_value=946_684_800, max_value=4_102_444_800)  # 2000 .. 2100


def _state() -> SandboxState:
    state = SandboxState(Clock(DEFAULT_NOW))
    catalog.load(state, [])  # products and prices
    return state


def _customer_with_card(state: SandboxState, **card: int | str) -> tuple[str, str]:
    cust = resources.customer(state, id="cus_t1", email="t@example.com", name="T", created=NOW - 99)
    pm = resources.payment_method(state, id="pm_t1", customer="cus_t1", make_default=True, **card)  # type: ignore[arg-type]
    return cust["id"], pm["id"]


@given(ts=TIMES, months=st.integers(min_value=-240, max_value=240))
def test_add_months_keeps_the_time_and_clamps_the_day(ts: int, months: int) -> None:
    before = dt.datetime.fromtimestamp(ts, dt.UTC)
    after = dt.datetime.fromtimestamp(resources.add_months(ts, months), dt.UTC)
    assert (after.year * 12 + after.month) - (before.year * 12 + before.month) == months
    assert after.time() == before.time()
    last_day = (after.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert after.day == min(before.day, last_day.day)


@settings(max_examples=150)
@given(
    anchor=TIMES,
    gap=st.integers(min_value=-86_400 * 40, max_value=86_400 * 365 * 12),
    interval=st.sampled_from(["day", "week", "month", "year"]),
    count=st.integers(min_value=1, max_value=3),
)
def test_current_period_is_the_anchored_period_containing_now(
    anchor: int, gap: int, interval: str, count: int
) -> None:
    at = anchor + gap
    start, end = resources.current_period(
        anchor=anchor, interval=interval, interval_count=count, at=at
    )
    day = dt.datetime.fromtimestamp(anchor, dt.UTC).day
    boundaries = [anchor]
    while boundaries[-1] <= max(at, anchor):
        n = len(boundaries)
        boundaries.append(resources.add_interval(anchor, interval, count, n, anchor_day=day))
    if at < anchor:
        assert (start, end) == (boundaries[0], boundaries[1])
    else:
        assert start <= at < end
        assert (start, end) == (boundaries[-2], boundaries[-1])


@given(
    amounts=st.lists(st.integers(min_value=-50_000, max_value=500_000), min_size=1, max_size=5),
    credit=st.integers(min_value=0, max_value=100_000),
    status=st.sampled_from(["paid", "open"]),
)
def test_invoice_totals_follow_stripes_balance_rules(
    amounts: list[int], credit: int, status: str
) -> None:
    state = _state()
    cust, _ = _customer_with_card(state)
    lines = [
        {"amount": a, "description": "x", "period_start": NOW, "period_end": NOW + 1}
        for a in amounts
    ]
    inv = resources.invoice(
        state, customer=cust, lines=lines, status=status, starting_balance=-credit, created=NOW
    )
    total = sum(amounts)
    assert inv["total"] == inv["subtotal"] == total
    assert inv["amount_due"] == max(total - credit, 0)
    assert inv["ending_balance"] == min(total - credit, 0)
    if status == "paid":
        assert inv["amount_paid"] == inv["amount_due"]
        assert inv["amount_remaining"] == 0
    else:
        assert inv["amount_paid"] == 0
        assert inv["amount_remaining"] == inv["amount_due"]
    assert inv["parent"] is None
    assert [line["parent"]["type"] for line in inv["lines"]["data"]] == [
        "invoice_item_details"
    ] * len(amounts)


def _paid_charge(state: SandboxState, amount: int = 1900) -> str:
    cust, pm = _customer_with_card(state)
    inv = resources.invoice(
        state,
        customer=cust,
        lines=[{"amount": amount, "description": "x", "period_start": NOW, "period_end": NOW}],
        status="open",
        created=NOW - 50,
    )
    _, charge, _ = resources.pay_invoice(state, invoice=inv["id"], payment_method=pm)
    return str(charge["id"])


def test_pay_invoice_links_invoice_payment_intent_and_charge() -> None:
    state = _state()
    charge_id = _paid_charge(state)
    charge = state.objects["charge"][charge_id]
    pi = state.objects["payment_intent"][charge["payment_intent"]]
    [inpay] = state.all("invoice_payment")
    inv = state.objects["invoice"][inpay["invoice"]]
    assert pi["latest_charge"] == charge_id
    assert inpay["payment"] == {"payment_intent": pi["id"], "type": "payment_intent"}
    assert inv["status"] == "paid"
    assert inv["status_transitions"]["paid_at"] is not None
    assert inpay["amount_paid"] == inv["amount_paid"] == charge["amount"] == 1900
    assert charge["payment_method_details"]["card"]["last4"] == "4242"


def test_refunds_follow_stripes_rules() -> None:
    state = _state()
    charge_id = _paid_charge(state, 1900)
    charge = state.objects["charge"][charge_id]
    with pytest.raises(ValueError, match="between 1 and the unrefunded 1900"):
        resources.refund(state, charge=charge_id, amount=2000)
    first = resources.refund(state, charge=charge_id, amount=500, reason="requested_by_customer")
    assert (charge["amount_refunded"], charge["refunded"]) == (500, False)
    rest = resources.refund(state, charge=charge_id)
    assert rest["amount"] == 1400
    assert (charge["amount_refunded"], charge["refunded"]) == (1900, True)
    assert first["payment_intent"] == charge["payment_intent"]
    assert first["customer"] == "cus_t1"
    with pytest.raises(ValueError, match="already been refunded"):
        resources.refund(state, charge=charge_id, amount=1)
    with pytest.raises(ValueError, match="unknown refund reason"):
        resources.refund(state, charge=_second_charge(state), reason="because")


def _second_charge(state: SandboxState) -> str:
    charge = resources.charge(
        state, customer="cus_t1", amount=100, currency="usd", payment_method="pm_t1", created=NOW
    )
    return str(charge["id"])


def test_failed_charges_cannot_be_refunded() -> None:
    state = _state()
    _customer_with_card(state)
    failed = resources.charge(
        state,
        customer="cus_t1",
        amount=100,
        currency="usd",
        payment_method="pm_t1",
        status="failed",
        failure_code="insufficient_funds",
    )
    assert failed["outcome"]["reason"] == "insufficient_funds"
    assert failed["paid"] is False
    with pytest.raises(ValueError, match="did not succeed"):
        resources.refund(state, charge=failed["id"])


@pytest.mark.parametrize(
    ("status", "refundable", "case_type"),
    [("needs_response", False, "chargeback"), ("warning_needs_response", True, "inquiry")],
)
def test_disputes_mark_the_charge(status: str, refundable: bool, case_type: str) -> None:
    state = _state()
    charge_id = _paid_charge(state)
    dispute = resources.dispute(state, charge=charge_id, status=status, created=NOW)
    assert state.objects["charge"][charge_id]["disputed"] is True
    assert dispute["is_charge_refundable"] is refundable
    assert dispute["payment_method_details"]["card"]["case_type"] == case_type
    assert dispute["evidence_details"]["due_by"] > NOW
    assert "customer" not in dispute


def test_failed_collection_leaves_the_invoice_open_with_declined_attempts() -> None:
    state = _state()
    cust, pm = _customer_with_card(state)
    inv = resources.invoice(
        state,
        customer=cust,
        lines=[{"amount": 1900, "description": "x", "period_start": NOW, "period_end": NOW}],
        status="open",
        created=NOW - 86400 * 7,
    )
    pi, charges, inpay = resources.fail_invoice(
        state, invoice=inv["id"], payment_method=pm, attempts=3, failure_code="expired_card"
    )
    assert inv["attempt_count"] == 3
    assert inv["status"] == "open"
    assert [c["status"] for c in charges] == ["failed"] * 3
    assert pi["status"] == "requires_payment_method"
    assert pi["latest_charge"] == charges[-1]["id"]
    assert pi["last_payment_error"]["code"] == "expired_card"
    assert inpay["status"] == "open"
    assert inpay["amount_paid"] is None
    assert inv["next_payment_attempt"] > charges[-1]["created"]


def test_the_same_card_has_the_same_fingerprint() -> None:
    state = _state()
    resources.customer(state, id="cus_a", email="a@example.com", name="A")
    one = resources.payment_method(
        state, customer="cus_a", last4="4242", exp_month=1, exp_year=2030
    )
    two = resources.payment_method(
        state, customer="cus_a", last4="4242", exp_month=1, exp_year=2030
    )
    other = resources.payment_method(
        state, customer="cus_a", last4="4444", exp_month=1, exp_year=2030
    )
    assert one["card"]["fingerprint"] == two["card"]["fingerprint"]
    assert one["card"]["fingerprint"] != other["card"]["fingerprint"]
    assert len(one["card"]["fingerprint"]) == 16


def test_subscription_periods_for_trials_and_cancellations() -> None:
    state = _state()
    resources.customer(state, id="cus_a", email="a@example.com", name="A")
    trial = resources.subscription(
        state,
        customer="cus_a",
        items=[("price_promonthly", 1)],
        created=NOW - 86400,
        status="trialing",
        trial_end=NOW + 86400 * 13,
    )
    item = trial["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (
        NOW - 86400,
        NOW + 86400 * 13,
    )
    ended = NOW - 86400 * 40
    canceled = resources.subscription(
        state,
        customer="cus_a",
        items=[("price_proannual", 1)],
        created=NOW - 86400 * 800,
        status="canceled",
        ended_at=ended,
    )
    item = canceled["items"]["data"][0]
    assert item["current_period_start"] < ended <= item["current_period_end"]
    assert canceled["canceled_at"] == ended
    assert "current_period_end" not in canceled
    with pytest.raises(ValueError, match="one currency"):
        resources.subscription(
            state, customer="cus_a", items=[("price_promonthly", 1), ("price_promonthlyeur", 1)]
        )
