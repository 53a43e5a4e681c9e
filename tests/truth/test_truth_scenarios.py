"""The new scenarios give their recorded anomalies and bucket, and the plans and wording each
shape needs: N duplicates, a team plan bought twice, base + add-on, two problems, two currencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_tui.core.anomalies import codes
from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.plans import ActionKind, Plan, recommend
from billing_tui.sandbox import catalog
from tests.truth.truth_scenarios import MORE, load_more, load_named


def test_the_new_scenarios_exist_and_stay_out_of_the_demo() -> None:
    assert len(MORE) >= 5
    demo = {info.name for info in catalog.list_scenarios()}
    assert not demo & {p.stem for p in MORE}
    assert len(demo) == 18


@pytest.mark.parametrize("path", MORE, ids=lambda p: p.stem)
async def test_scenario_gives_its_recorded_anomalies_and_bucket(path: Path) -> None:
    loaded = await load_more(path)
    assert not loaded.snapshot.failures
    expect = loaded.data["expect"]
    listing = "\n".join(f"{a.code}: {a.detail}" for a in loaded.anomalies)
    assert codes(loaded.anomalies) == set(expect["anomalies"]), listing
    found = loaded.classify()
    assert (found.suggested.value if found.suggested else None) == expect["bucket"], listing


def _cancel_now(plans: tuple[Plan, ...]) -> set[str | None]:
    return {
        p.target_id
        for p in plans
        if p.kind == ActionKind.CANCEL_SUBSCRIPTION and p.param("mode") == "immediately"
    }


def _refunds(plans: tuple[Plan, ...]) -> dict[str | None, str]:
    return {
        p.target_id: p.amount.format() for p in plans if p.kind == ActionKind.REFUND and p.amount
    }


async def test_three_duplicates_cancel_and_refund_both_extras_and_keep_the_oldest() -> None:
    loaded = await load_named("triple-duplicate")
    plans = recommend(loaded.classify().confirm(), loaded.snapshot)
    assert _cancel_now(plans) == {"sub_tripledupB", "sub_tripledupC"}
    assert _refunds(plans) == {"ch_tripledupB001": "$19.00", "ch_tripledupC001": "$19.00"}
    (dup,) = [a for a in loaded.anomalies if a.code == "duplicate_subscription"]
    # 290 s between the first and the third: a bound that holds, never "within 4 min"
    assert "created within 5 min" in dup.detail


async def test_the_operator_can_keep_another_member() -> None:
    loaded = await load_named("triple-duplicate")
    answers = Answers().with_answer("keep", "sub_tripledupC")
    plans = recommend(loaded.classify(answers).confirm(), loaded.snapshot)
    assert _cancel_now(plans) == {"sub_tripledupA", "sub_tripledupB"}
    assert "sub_tripledupC" not in {p.target_id for p in plans}


async def test_a_team_plan_bought_twice_is_a_duplicate_with_its_refund() -> None:
    loaded = await load_named("team-bought-twice")
    assert "team_purchase_pattern" not in codes(loaded.anomalies)
    assert "double_charge" not in codes(loaded.anomalies)  # the duplicate explains both charges
    found = loaded.classify()
    assert found.suggested == Bucket.DUPLICATE_PERSONAL
    plans = recommend(found.confirm().confirm_contract(), loaded.snapshot)
    assert _cancel_now(plans) == {"sub_teamtwiceB"}
    assert _refunds(plans) == {"ch_teamtwiceB001": "$60.00"}
    assert all(p.blocked_reason is None for p in plans if p.target_id == "sub_teamtwiceB")


async def test_base_plus_addon_is_one_subscription_with_two_items() -> None:
    loaded = await load_named("base-plus-addon")
    (sub,) = loaded.snapshot.live_subscriptions
    assert sub.quantity == 4  # the add-on's seats; never "qty 5"
    (team,) = [a for a in loaded.anomalies if a.code == "team_purchase_pattern"]
    assert "4 seats" in team.detail
    assert "2 items" in team.detail
    assert "5 seats" not in team.detail


async def test_a_past_due_renewal_next_to_a_duplicate_keeps_its_own_plans() -> None:
    loaded = await load_named("duplicate-and-past-due")
    found = loaded.classify()
    assert found.suggested == Bucket.DUPLICATE_PERSONAL
    assert found.secondary == (Bucket.FAILED_PAYMENT,)
    plans = recommend(found.confirm(), loaded.snapshot)
    kinds = {(p.kind, p.target_id) for p in plans}
    assert (ActionKind.RETRY_INVOICE_PAYMENT, "in_duppastdueK003") in kinds
    assert (ActionKind.PORTAL_SESSION, "cus_duppastdue1") in kinds
    assert _cancel_now(plans) == {"sub_duppastdueB"}
    # the past-due subscription is never cancelled or refunded as a duplicate
    assert "sub_duppastdueK" not in {p.target_id for p in plans}


async def test_confirming_the_other_problem_first_keeps_the_duplicate_plans() -> None:
    loaded = await load_named("duplicate-and-past-due")
    found = loaded.classify().confirm(Bucket.FAILED_PAYMENT, reason="the customer is locked out")
    assert found.secondary == (Bucket.DUPLICATE_PERSONAL,)
    plans = recommend(found, loaded.snapshot)
    assert _cancel_now(plans) == {"sub_duppastdueB"}
    assert any(p.kind == ActionKind.RETRY_INVOICE_PAYMENT for p in plans)
