"""The handoff checker rejects each claim the facts contradict, and accepts the handoffs the
workstation writes: for every catalog scenario, before and after its recommended plans run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.handoff import (
    case_truth,
    check_follow_up,
    check_handoff,
    load_templates,
    render,
)
from billing_tui.core.handoff.document import TakenAction
from billing_tui.core.model import Money
from billing_tui.core.plans import ActionKind
from billing_tui.sandbox import catalog
from tests.demo import demo_session
from tests.domain.domain_builders import PRO_MONTHLY, paid_subscription, world
from tests.truth.truth_scenarios import MORE, load_more

TEMPLATES = load_templates()


def _cancel(sub_id: str) -> TakenAction:
    return TakenAction(
        ActionKind.CANCEL_SUBSCRIPTION,
        "succeeded",
        f"Cancel {sub_id}",
        params={"subscription": sub_id, "mode": "immediately"},
    )


def _refund(charge_id: str, amount: Money, status: str = "succeeded") -> TakenAction:
    return TakenAction(
        ActionKind.REFUND,
        status,
        f"Refund {charge_id}",
        params={"charge": charge_id, "reason": "duplicate"},
        amount=amount,
    )


def _two_live():  # type: ignore[no-untyped-def]
    a = paid_subscription(price=PRO_MONTHLY)
    b = paid_subscription(price=PRO_MONTHLY, created=a[0].created.replace(second=30))
    return world(a, b), a, b


def test_nothing_needed_is_refused_while_a_critical_duplicate_remains() -> None:
    snap, _, _ = _two_live()
    truth = case_truth(snap, ())
    problems = check_follow_up("Hi, sorry. Nothing else is needed from you.", truth, TEMPLATES)
    assert problems
    assert "duplicate_subscription" in problems[0]
    assert check_follow_up("您无需再做任何操作。", truth, TEMPLATES)  # every language


def test_refunded_needs_a_succeeded_refund_of_that_amount() -> None:
    snap, _, b = _two_live()
    none = case_truth(snap, ())
    assert check_follow_up("I have refunded $19.00 to your card.", none, TEMPLATES)
    failed = case_truth(snap, (_refund(b[2].id, Money(1900, "usd"), "failed"),))
    assert check_follow_up("I have refunded $19.00 to your card.", failed, TEMPLATES)
    done = case_truth(snap, (_refund(b[2].id, Money(1900, "usd")),))
    assert check_follow_up("I have refunded $19.00 to your card.", done, TEMPLATES) == ()
    (wrong,) = check_follow_up("I have refunded $24.00 to your card.", done, TEMPLATES)
    assert "$19.00, not $24.00" in wrong


def test_one_active_subscription_is_refused_while_two_are_live() -> None:
    snap, _, _ = _two_live()
    truth = case_truth(snap, ())
    problems = check_follow_up(
        "I checked: you have one active subscription to Pro, so nothing will be charged twice.",
        truth,
        TEMPLATES,
    )
    assert any("2 subscription(s) to Pro are live" in p for p in problems)
    assert any("nothing will be charged twice" in p for p in problems)


def test_cancelled_the_extra_one_is_refused_when_two_were_cancelled() -> None:
    snap, _, b = _two_live()
    truth = case_truth(snap, (_cancel(b[0].id), _cancel("sub_other")))
    (problem,) = check_follow_up("I have cancelled the extra one.", truth, TEMPLATES)
    assert "2 subscription(s) were cancelled" in problem
    assert check_follow_up("I have cancelled the 2 extra subscriptions.", truth, TEMPLATES) == ()


async def test_within_4_min_is_refused_for_a_290_second_spread() -> None:
    loaded = await load_more(next(p for p in MORE if p.stem == "triple-duplicate"))
    found = loaded.classify().confirm()
    doc = render(loaded.snapshot, loaded.anomalies, found)
    truth = case_truth(loaded.snapshot, (), found)
    assert "created within 5 min" in doc.section("DECISION")
    assert check_handoff(doc, truth, TEMPLATES) == ()
    wrong = doc.section("DECISION").replace("within 5 min", "within 4 min")
    sections = tuple((t, wrong if t == "DECISION" else b) for t, b in doc.sections)
    (problem,) = check_handoff(replace(doc, sections=sections), truth, TEMPLATES)
    assert "290 s" in problem


# --------------------------------------------------------------------------- every scenario

DEMO = [i for i in catalog.list_scenarios() if i.in_all and i.name != "large-account"]
#: What the ticket says where billing data alone cannot tell.
TICKET = {"product-outage": "product_broken", "zh-locale": "product_broken"}


async def _work(tmp: Path, scenario: str, identifier: str, bucket: str | None) -> list[str]:
    """Work a scenario as an operator: confirm, run every recommended plan, hand off.

    Returns the follow-up; asserts the checker accepts the handoff before and after."""
    session = demo_session(tmp, scenarios=(scenario,))
    try:
        view = await session.load((await session.lookup(identifier)).customer_ids)
        case = await session.open_case(identifier, view)
        answers = Answers()
        if scenario in TICKET:
            answers = answers.with_answer("q_complaint", TICKET[scenario])
        suggestion = session.suggest(view, answers)
        chosen = Bucket(bucket) if bucket else None
        if chosen is None:
            decided = suggestion
        else:
            reason = None if chosen == suggestion.suggested else "the recorded bucket"
            decided = suggestion.confirm(chosen, reason).confirm_contract()
        await session.record_classification(case.id, decided)
        before = await session.handoff(case.id, view)
        assert await session.check_handoff(case.id, view, before) == (), before.text()
        for plan in session.plans(view, decided):
            if plan.recommended and plan.possible and plan.kind != ActionKind.NO_OP:
                await session.execute(case.id, view, plan)
        after_view = await session.refresh(view)
        after = await session.handoff(case.id, after_view, regenerate=True)
        problems = await session.check_handoff(case.id, after_view, after)
        assert problems == (), after.text()
        return [before.follow_up, after.follow_up]
    finally:
        await session.aclose()


@pytest.mark.parametrize("info", DEMO, ids=lambda i: i.name)
async def test_every_demo_scenario_hands_off_only_what_is_true(
    info: catalog.ScenarioInfo, tmp_path: Path
) -> None:
    await _work(tmp_path, info.name, info.identifier, info.bucket)


@pytest.mark.parametrize("path", MORE, ids=lambda p: p.stem)
async def test_every_new_scenario_hands_off_only_what_is_true(path: Path, tmp_path: Path) -> None:
    loaded = await load_more(path)
    await _work(tmp_path, str(path), loaded.data["identifier"], loaded.data["expect"]["bucket"])


async def test_three_duplicates_say_two_were_cancelled_and_both_refunds(tmp_path: Path) -> None:
    path = next(p for p in MORE if p.stem == "triple-duplicate")
    _, after = await _work(tmp_path, str(path), "rosa.delgado@example.com", "duplicate_personal")
    assert "cancelled the 2 extra subscriptions" in after
    assert "refunded $38.00 for the 2 duplicate charges" in after
    assert "the extra one" not in after


async def test_a_past_due_renewal_next_to_a_duplicate_is_not_nothing_else(tmp_path: Path) -> None:
    path = next(p for p in MORE if p.stem == "duplicate-and-past-due")
    before, after = await _work(
        tmp_path, str(path), "hugo.marchetti@example.com", "duplicate_personal"
    )
    # before: the duplicate and the past-due renewal are both open, and both are said
    assert "I see 2 active subscriptions to Acme Cloud Pro" in before
    assert "Your last payment of $9.00 did not go through" in before
    assert "Nothing else is needed" not in before
    # after: the renewal's own retry ran next to the duplicate's cancel and refund
    assert "I retried the payment of $9.00 and it went through" in after
    assert "refunded $19.00" in after
