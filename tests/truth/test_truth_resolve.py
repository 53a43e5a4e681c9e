"""Resolving a case with a CRITICAL finding still open needs a reason, which the handoff shows."""

from __future__ import annotations

from pathlib import Path

from tests.demo import demo_session
from tests.truth.truth_scenarios import MORE_DIR


async def test_open_findings_are_listed_and_the_reason_reaches_the_handoff(tmp_path: Path) -> None:
    session = demo_session(tmp_path, scenarios=(str(MORE_DIR / "duplicate-and-past-due.json"),))
    try:
        view = await session.load((await session.lookup("hugo.marchetti@example.com")).customer_ids)
        case = await session.open_case("hugo", view)
        await session.record_classification(case.id, session.suggest(view).confirm())
        blockers = await session.resolve_blockers(case.id, view)
        assert any(b.startswith("CRITICAL duplicate_subscription") for b in blockers)
        assert any(b.startswith("CRITICAL payment_failed") for b in blockers)
        await session.resolve_case(case.id, "  the customer will pay by bank transfer ")
        assert (await session.case(case.id)).status == "resolved"
        doc = await session.handoff(case.id, view)
        assert "the operator's reason: the customer will pay by bank transfer" in doc.section(
            "DECISION"
        )
    finally:
        await session.aclose()


async def test_a_healthy_case_resolves_without_a_reason(tmp_path: Path) -> None:
    session = demo_session(tmp_path, scenarios=("healthy",))
    try:
        view = await session.load((await session.lookup("priya.raman@example.com")).customer_ids)
        case = await session.open_case("priya", view)
        assert await session.resolve_blockers(case.id, view) == ()
        await session.resolve_case(case.id)
        doc = await session.handoff(case.id, view)
        assert "reason" not in doc.section("DECISION")
    finally:
        await session.aclose()
