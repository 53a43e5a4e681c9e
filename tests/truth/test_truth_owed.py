"""What the case still owes is in the handoff, and a recorded "not refunding because …" settles
it: after a cancel-only run the duplicate's refund is listed as owed (ACTION TAKEN) and the
checker rejects "nothing else is needed"; once the operator records why not, DECISION gives the
reason, nothing is owed, and neither the checker nor resolve calls the case open for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from billing_tui.core.plans import ActionKind
from tests.actions.test_actions_replan import DUPE, DUPE_CHARGE, Case, open_case, refunds_of
from tests.demo import demo_session

NOTHING = "Hi Sam,\n\nI have cancelled the extra one. Nothing else is needed from you.\n\nBest"


@pytest.fixture
async def cancelled(tmp_path: Path) -> AsyncIterator[Case]:
    session = demo_session(tmp_path / "cases", scenarios=("duplicate-checkout",))
    case = await open_case(session, "duplicate-checkout")
    await case.run(ActionKind.CANCEL_SUBSCRIPTION, "immediately")
    yield case
    await session.aclose()


async def test_an_owed_refund_is_listed_and_nothing_needed_is_rejected(cancelled: Case) -> None:
    session, case_id, view = cancelled.session, cancelled.case_id, cancelled.view
    doc = await session.handoff(case_id, view)
    taken = doc.section("ACTION TAKEN")
    assert "still owed by this case:" in taken
    assert f"the charge {DUPE_CHARGE} of the canceled duplicate {DUPE} is not refunded" in taken
    problems = await session.check_handoff(case_id, view, replace(doc, follow_up=NOTHING))
    assert any("Nothing else is needed" in p and DUPE_CHARGE in p for p in problems), problems
    # the generated follow-up does not claim it either
    assert "Nothing else is needed" not in doc.follow_up
    assert await session.check_handoff(case_id, view, doc) == ()


async def test_a_recorded_no_refund_settles_the_owed_refund(cancelled: Case) -> None:
    session, case_id, view = cancelled.session, cancelled.case_id, cancelled.view
    assert any(DUPE_CHARGE in b for b in await session.resolve_blockers(case_id, view))
    await session.record_no_refund(case_id, view, DUPE_CHARGE, "account credit given instead")
    doc = await session.handoff(case_id, view, regenerate=True)
    assert f"- not refunding {DUPE_CHARGE}: account credit given instead" in doc.section("DECISION")
    assert "still owed" not in doc.section("ACTION TAKEN")
    assert await session.check_handoff(case_id, view, replace(doc, follow_up=NOTHING)) == ()
    assert await session.resolve_blockers(case_id, view) == ()
    (refund,) = refunds_of(cancelled.plans(), DUPE_CHARGE)
    assert not refund.possible
    assert not refund.recommended


def test_a_failed_action_is_owed_in_action_taken_and_blocks_nothing_needed() -> None:
    from types import MappingProxyType

    from billing_tui.core import handoff as ho
    from billing_tui.core.classify import Bucket
    from billing_tui.core.handoff.facts import case_truth
    from tests.actions.actions_builders import classified, snapshot, subscription

    sub = subscription("sub_solo0001")
    failed = ho.TakenAction(
        kind=ActionKind.CANCEL_SUBSCRIPTION,
        status="failed",
        title="Cancel sub_solo0001 immediately",
        params=MappingProxyType({"subscription": sub.id, "mode": "immediately"}),
        message="this key lacks rak_subscription_write",
    )
    snap = snapshot(subs=(sub,))
    doc = ho.render(snap, (), classified(Bucket.MISSING_SELF_SERVE), (failed,))
    assert doc.section("ACTION TAKEN").endswith(
        "still owed by this case:\n- cancel failed: Cancel sub_solo0001 immediately"
    )
    truth = case_truth(snap, (failed,))
    message = "Hi Jane,\n\nNothing else is needed from you.\n\nBest"
    problems = ho.check_follow_up(message, truth, ho.load_templates())
    assert problems == (
        "The follow-up says “Nothing else is needed”, but cancel failed: "
        "Cancel sub_solo0001 immediately",
    )
