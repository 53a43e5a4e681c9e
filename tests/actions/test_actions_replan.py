"""Plans follow the case: re-planning after each outcome, from fresh Stripe state and the ledger.

Against the embedded sandbox (the real gateway, executor and case log): a canceled duplicate's
refund stays proposed after a cancel-only run, a lost answer, a kill or a quarantined case log;
a done action's alternatives are superseded; a seat change is "to N seats"; a retry waits for
the card update.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from billing_tui.cli.triage import select_plans
from billing_tui.core.classify import Classification
from billing_tui.core.plans import ActionKind, Plan
from billing_tui.desk.session import CaseView, Session
from billing_tui.sandbox import catalog
from billing_tui.store.caselog import CaseLog
from tests.demo import demo_session

DUPE, KEPT, DUPE_CHARGE = "sub_dupcheckoutB", "sub_dupcheckoutA", "ch_dupcheckoutB001"


@dataclass
class Case:
    session: Session
    case_id: str
    view: CaseView
    decided: Classification

    def plans(self) -> tuple[Plan, ...]:
        return self.session.plans(self.view, self.decided)

    def plan(self, kind: ActionKind, part: str = "") -> Plan:
        return next(p for p in self.plans() if p.kind == kind and part in p.title)

    async def run(self, kind: ActionKind, part: str = "") -> None:
        outcome = await self.session.execute(self.case_id, self.view, self.plan(kind, part))
        assert outcome.status == "succeeded", outcome.message
        await self.replan()

    async def replan(self) -> None:
        self.view, _ = await self.session.replan(self.case_id, self.view, self.decided)

    def sandbox_objects(self, kind: str) -> list[dict[str, object]]:
        sandbox = self.session.connection.sandbox
        assert sandbox is not None
        return list(sandbox.state.all(kind))


async def open_case(session: Session, scenario: str) -> Case:
    query = next(s.identifier for s in catalog.list_scenarios() if s.name == scenario)
    view = await session.load((await session.lookup(query)).customer_ids)
    case = await session.open_case(query, view)
    decided = session.suggest(view).confirm().confirm_contract()
    await session.record_classification(case.id, decided)
    return Case(session, case.id, view, decided)


def next_run(case: Case, directory: Path) -> Session:
    """A second process on the same Stripe: a new Session over ``directory``'s case log."""
    return Session(case.session.connection, CaseLog(directory), operator="second-run")


@pytest.fixture
async def dupe(tmp_path: Path) -> AsyncIterator[Case]:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    yield await open_case(session, "duplicate-checkout")
    await session.aclose()


def refunds_of(plans: tuple[Plan, ...], charge: str) -> list[Plan]:
    return [p for p in plans if p.kind == ActionKind.REFUND and p.target_id == charge]


async def test_after_a_cancel_only_run_the_next_run_still_refunds_the_duplicate(
    dupe: Case, tmp_path: Path
) -> None:
    await dupe.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    dupe.session.locks.close()  # the first run has ended: its hold on the customer with it
    # the next run, same case log: the refund is what it would run, not "Document" only
    again = await open_case(next_run(dupe, tmp_path / "cases"), "duplicate-checkout")
    assert again.case_id == dupe.case_id
    chosen = select_plans(again.plans(), [])
    assert [(p.kind, p.target_id) for p in chosen if p.moves_money] == [
        (ActionKind.REFUND, DUPE_CHARGE)
    ]
    (refund,) = refunds_of(again.plans(), DUPE_CHARGE)
    assert refund.param("reason") == "duplicate"
    assert "this case canceled it" in refund.rationale
    titles = [p.title for p in again.plans()]
    assert "Document: no duplicate subscription is live any more" not in titles
    outcome = await again.session.execute(again.case_id, again.view, refund)
    assert outcome.succeeded, outcome.message
    await again.replan()
    refunds = [r for r in again.sandbox_objects("refund") if r["charge"] == DUPE_CHARGE]
    assert len(refunds) == 1
    # refunded: nothing more to run for money, the refund shows as done
    assert not [p for p in select_plans(again.plans(), []) if p.moves_money]
    (done,) = refunds_of(again.plans(), DUPE_CHARGE)
    assert done.superseded_by is not None
    assert not done.possible
    assert "$19.00 refunded, nothing left" in done.title
    # the case canceled the duplicate itself: one note documents it, not a second one saying
    # that no duplicate is live
    titles = [p.title for p in again.plans()]
    assert "Document: no duplicate subscription is live any more" not in titles


async def test_a_cancel_whose_answer_was_lost_still_owes_the_refund(dupe: Case) -> None:
    # the cancel reached Stripe but its answer (and the comment) never came back: the case
    # log holds it in flight, Stripe shows the subscription canceled
    log = dupe.session.caselog
    cancel = dupe.plan(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    action = log.plan_action(
        dupe.case_id, kind=cancel.kind.value, params=dict(cancel.params),
        idempotency_key="btui-lost-cancel", operator="ops",
    )  # fmt: skip
    log.mark_in_flight(dupe.case_id, action.id)
    await dupe.session.gateway.cancel_subscription(DUPE)
    await dupe.session.ledger(dupe.case_id)
    await dupe.replan()
    (refund,) = refunds_of(dupe.plans(), DUPE_CHARGE)
    assert refund.possible
    assert refund.recommended
    assert action.id in refund.rationale


async def test_a_new_case_after_a_quarantined_log_derives_the_owed_refund_from_stripe(
    dupe: Case, tmp_path: Path
) -> None:
    await dupe.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    fresh = await open_case(next_run(dupe, tmp_path / "other-log"), "duplicate-checkout")
    assert fresh.case_id != dupe.case_id
    assert fresh.session.ledger_for(fresh.view).entries == ()
    (refund,) = refunds_of(fresh.plans(), DUPE_CHARGE)
    assert refund.possible
    assert refund.recommended
    assert "billing-tui canceled it" in refund.rationale
    assert KEPT in refund.rationale


async def test_a_subscription_the_customer_canceled_themselves_is_not_refunded(
    dupe: Case, tmp_path: Path
) -> None:
    # canceled outside billing-tui (no comment, no case): no refund is derived from it
    await dupe.session.gateway.cancel_subscription(DUPE, comment="customer canceled in portal")
    fresh = await open_case(next_run(dupe, tmp_path / "other-log"), "duplicate-checkout")
    assert refunds_of(fresh.plans(), DUPE_CHARGE) == []


async def test_recording_why_not_refunding_ends_the_proposal(dupe: Case) -> None:
    await dupe.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    with pytest.raises(ValueError, match="say why"):
        await dupe.session.record_no_refund(dupe.case_id, dupe.view, DUPE_CHARGE, "  ")
    outcome = await dupe.session.record_no_refund(
        dupe.case_id, dupe.view, DUPE_CHARGE, "customer asked for account credit instead"
    )
    assert outcome.status == "succeeded"
    (refund,) = refunds_of(dupe.plans(), DUPE_CHARGE)
    assert not refund.possible
    assert not refund.recommended
    assert refund.blocked_reason == (
        f"not refunding {DUPE_CHARGE}: customer asked for account credit instead "
        f"(recorded, {outcome.action_id})"
    )
    assert not [p for p in select_plans(dupe.plans(), []) if p.moves_money]
    handoff = await dupe.session.handoff(dupe.case_id, dupe.view)
    assert "customer asked for account credit instead" in handoff.text()


async def test_after_cancel_now_the_period_end_cancel_is_superseded(dupe: Case) -> None:
    await dupe.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    cancels = [p for p in dupe.plans() if p.kind == ActionKind.CANCEL_SUBSCRIPTION]
    assert [(p.param("mode"), p.possible) for p in cancels] == [
        ("immediately", False),
        ("at_period_end", False),
    ]
    now, at_end = cancels
    assert now.blocked_reason is not None
    assert now.blocked_reason.startswith("done: ")
    assert at_end.blocked_reason is not None
    assert at_end.blocked_reason.startswith("superseded: ")
    assert now.superseded_by == at_end.superseded_by
    outcome = await dupe.session.execute(dupe.case_id, dupe.view, at_end)
    assert outcome.status == "skipped"  # nothing is sent for a superseded plan
    sub = next(s for s in dupe.sandbox_objects("subscription") if s["id"] == DUPE)
    assert sub["status"] == "canceled"
    assert sub["cancel_at_period_end"] is False


async def test_a_seat_change_is_to_n_seats_never_plus_two_again(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("team-purchase",))
    team = await open_case(session, "team-purchase")
    seats = [p for p in team.plans() if p.kind == ActionKind.UPDATE_QUANTITY]
    assert {p.param("quantity") for p in seats} == {"7"}  # 5 seats + the 2 personal plans
    await team.run(ActionKind.UPDATE_QUANTITY, "now, prorated")
    after = team.plans()
    seat_plans = [p for p in after if p.kind == ActionKind.UPDATE_QUANTITY]
    assert {p.param("quantity") for p in seat_plans} == {"7"}
    assert not [p for p in seat_plans if p.possible]
    assert sorted(p.blocked_reason.split(":")[0] for p in seat_plans if p.blocked_reason) == [
        "done",
        "superseded",
    ]
    # the personal plans still move onto the team at their period end
    ends = [p for p in after if p.kind == ActionKind.CANCEL_SUBSCRIPTION]
    assert len(ends) == 2
    assert all(p.possible for p in ends)
    # a second run of the recommended plans bills no more seats
    for plan in select_plans(after, [p.kind.value for p in after]):
        if plan.possible:
            await session.execute(team.case_id, team.view, plan)
    sub = next(s for s in team.sandbox_objects("subscription") if s["id"] == "sub_teampurchaseT")
    items = sub["items"]
    assert isinstance(items, dict)
    assert [i["quantity"] for i in items["data"]] == [7]
    await session.aclose()


async def test_retry_payment_waits_for_the_card_update(tmp_path: Path) -> None:
    session = demo_session(tmp_path / "cases", scenarios=("failed-renewal",))
    case = await open_case(session, "failed-renewal")
    retry = case.plan(ActionKind.RETRY_INVOICE_PAYMENT)
    assert not retry.possible
    assert retry.blocked_reason is not None
    assert "send the card-update link first" in (retry.blocked_reason)
    await case.run(ActionKind.PORTAL_SESSION)
    retry = case.plan(ActionKind.RETRY_INVOICE_PAYMENT)
    assert not retry.possible
    assert retry.blocked_reason is not None
    assert "the link was sent" in retry.blocked_reason
    # the customer puts in a working card: after a reload the retry is ready, then done
    sandbox = session.connection.sandbox
    assert sandbox is not None
    sandbox.state.objects["payment_method"]["pm_failedrenewal1"]["card"]["exp_year"] = 2030
    await case.replan()
    assert case.plan(ActionKind.RETRY_INVOICE_PAYMENT).possible
    await case.run(ActionKind.RETRY_INVOICE_PAYMENT)
    done = case.plan(ActionKind.RETRY_INVOICE_PAYMENT)
    assert not done.possible
    assert done.superseded_by is not None
    await session.aclose()
