"""Properties of the money logic: refunds never exceed what is left; MRR/ARR arithmetic."""

from __future__ import annotations

import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from billing_tui.core.classify import Bucket
from billing_tui.core.model import Money, minor_unit_exponent
from billing_tui.core.plans import (
    ActionKind,
    money_phrase,
    observe,
    plan_cancel,
    plan_refund,
    plan_update_quantity,
    with_refund_amount,
)
from tests.actions.actions_builders import (
    classified,
    paid_invoice_and_charge,
    price,
    snapshot,
    subscription,
)
from tests.demo import demo_session

CURRENCIES = st.sampled_from(["usd", "eur", "jpy", "krw", "kwd", "gbp"])
CONFIRMED = classified(Bucket.PRODUCT_FAILURE)


@settings(max_examples=80, deadline=None)
@given(
    currency=CURRENCIES,
    unit=st.integers(min_value=1, max_value=10_000_000),
    refunded_fraction=st.floats(min_value=0, max_value=1),
    requested=st.one_of(st.none(), st.integers(min_value=-100, max_value=20_000_000)),
)
def test_a_possible_refund_plan_never_exceeds_the_refundable_amount(
    currency: str, unit: int, refunded_fraction: float, requested: int | None
) -> None:
    sub = subscription("sub_prop0001", p=price(unit, currency, pid="price_prop"))
    refunded = int(unit * refunded_fraction)
    inv, charge = paid_invoice_and_charge(sub, refunded=refunded)
    snap = snapshot(subs=(sub,), invoices=(inv,), charges=(charge,))
    amount = None if requested is None else Money(requested, currency)
    plan = plan_refund(snap, charge.id, amount=amount, classification=CONFIRMED)
    left = unit - refunded
    if plan.possible:
        assert plan.amount is not None
        assert 0 < plan.amount.amount <= left
        assert plan.amount.amount == (left if requested is None else requested)
        assert int(plan.param("amount") or 0) == plan.amount.amount
        assert plan.impact.refund == plan.amount
        after = Money(refunded + plan.amount.amount, currency).format()
        assert plan.diff[0].after == after
    else:
        assert plan.blocked_reason
        assert left <= 0 or requested is None or requested <= 0 or requested > left
    # the phrase a live operator types is the amount, exactly, in major units
    live = plan_refund(snap, charge.id, amount=amount, classification=CONFIRMED, live=True)
    if live.amount is not None and live.amount.amount > 0:
        phrase = live.confirm_phrase or ""
        assert Decimal(phrase) == live.amount.major
        assert len(phrase.partition(".")[2]) == minor_unit_exponent(currency)
        assert phrase == money_phrase(live.amount)


INTERVALS = st.sampled_from(["day", "week", "month", "year"])


@settings(max_examples=80, deadline=None)
@given(
    currency=CURRENCIES,
    unit=st.integers(min_value=0, max_value=5_000_000),
    interval=INTERVALS,
    count=st.integers(min_value=1, max_value=12),
    quantity=st.integers(min_value=1, max_value=50),
    new_quantity=st.integers(min_value=1, max_value=50),
)
def test_mrr_and_arr_deltas_across_intervals_and_currencies(
    currency: str, unit: int, interval: str, count: int, quantity: int, new_quantity: int
) -> None:
    p = price(unit, currency, interval, count, pid="price_any")
    sub = subscription("sub_mrr00001", p=p, quantity=quantity)
    snap = snapshot(subs=(sub,))
    cancel = plan_cancel(snap, sub.id, classification=CONFIRMED)
    mrr = cancel.impact.mrr_delta
    assert mrr is not None
    assert mrr.currency == currency
    assert cancel.impact.arr_delta == mrr.times(12)
    # one period's amount spread over the months it covers, within rounding to the minor unit
    months = {"day": Decimal(12) / Decimal("365.25"), "week": Decimal(84) / Decimal("365.25"),
              "month": Decimal(1), "year": Decimal(12)}[interval] * count  # fmt: skip
    period = Decimal(unit * quantity)
    assert abs(Decimal(-mrr.amount) - period / months) <= Decimal("0.5")
    # period-end cancel loses the same MRR, from the period end
    later = plan_cancel(snap, sub.id, at_period_end=True, classification=CONFIRMED)
    assert later.impact.mrr_delta == mrr
    assert later.impact.effective == sub.current_period_end
    # a seat change moves MRR by the difference, in the same currency
    change = plan_update_quantity(snap, sub.id, new_quantity, classification=CONFIRMED)
    if new_quantity == quantity:
        assert not change.possible
    else:
        delta = change.impact.mrr_delta
        assert delta is not None
        assert delta.currency == currency
        expected = (Decimal(unit * new_quantity) - period) / months
        # two roundings to the minor unit, each within half a unit (Decimal division is inexact)
        assert abs(Decimal(delta.amount) - expected) <= Decimal("1.000001")
        assert change.kind == ActionKind.UPDATE_QUANTITY


@settings(max_examples=12, deadline=None)
@given(parts=st.lists(st.integers(min_value=1, max_value=2500), min_size=1, max_size=4))
@example(parts=[500, 500])  # the same partial amount twice, deliberately: two refunds
def test_partial_refunds_on_the_sandbox_match_their_diffs(parts: list[int]) -> None:
    """Any sequence of partial refunds of one charge, each after the first an explicit new
    intent: each possible plan's diff is what the sandbox reports afterwards, the refunded
    total never exceeds the charge, and a request repeated without a new intent moves nothing."""
    asyncio.run(_partial_refunds(parts))


async def _partial_refunds(parts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        session = demo_session(Path(directory), scenarios=("product-outage",))
        try:
            resolution = await session.lookup("grace.mbeki@example.com")
            view = await session.load(resolution.customer_ids)
            case = await session.open_case("grace", view)
            decided = session.suggest(view).confirm(Bucket.PRODUCT_FAILURE, "outage ticket")
            refunded = 0
            for cents in parts:
                (base,) = [p for p in session.plans(view, decided) if p.kind == "refund"]
                charge = view.snapshot.charge(base.target_id or "")
                assert charge is not None
                plan = with_refund_amount(
                    base, view.snapshot, Money(cents, "usd"), classification=decided
                )
                fits = refunded + cents <= charge.amount.amount
                assert plan.possible == fits, plan.blocked_reason
                if not fits:
                    continue
                if refunded:
                    # the same request again replays: nothing moves …
                    again = await session.execute(case.id, view, plan)
                    assert again.replayed or again.status == "skipped", again.message
                    # … a further refund is an explicit new intent
                    plan = session.as_new_intent(plan)
                outcome = await session.execute(case.id, view, plan)
                assert outcome.status == "succeeded", outcome.message
                assert not outcome.replayed
                refunded += cents
                view = await session.refresh(view)
                for row in plan.diff:
                    assert observe(view.snapshot, row.object_id, row.field) == row.after
            after = view.snapshot.charge("ch_outage1008")
            assert after is not None
            assert after.amount_refunded.amount == refunded <= after.amount.amount
        finally:
            await session.aclose()
