"""SVG snapshots of the flow screens with fixed, hand-built data at 80×24 and 120×40."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from billing_tui.core.classify import Bucket
from billing_tui.core.plans import ActionKind, Plan, PlanRequest
from billing_tui.sandbox import catalog
from screens.actions import ActionScreen
from screens.cases import CasesScreen
from screens.confirm import ConfirmScreen
from screens.handoff import HandoffScreen
from screens.wizard import WizardScreen
from tests.demo import demo_session
from tests.tui_flow.flow_fixtures import (
    REFUND_PLAN,
    FixedCasesSession,
    FixedHandoffSession,
    FixedInfo,
    FixedSession,
    Host,
    fixed_classification,
)

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SMALL = [pytest.param((80, 24), id="80x24")]  # further states of a screen: the tight size only

SnapCompare = Callable[..., bool]


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_wizard_first_step(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = Host(WizardScreen(FixedSession(), "case_7", None))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SMALL)
def test_wizard_contract_step(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def to_contract(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n", "ctrl+n")
        await settle(pilot)

    app = Host(WizardScreen(FixedSession(contract=True), "case_7", None))
    assert snap_compare(app, terminal_size=size, run_before=to_contract)


@pytest.mark.parametrize("size", SMALL)
def test_wizard_decide_step(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def to_decide(pilot: Pilot[Any]) -> None:
        await pilot.press("ctrl+n", "ctrl+n")
        await settle(pilot)

    app = Host(WizardScreen(FixedSession(), "case_7", None))
    assert snap_compare(app, terminal_size=size, run_before=to_decide)


@pytest.mark.parametrize("size", SIZES)
def test_actions_classified(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    async def highlight_refund(pilot: Pilot[Any]) -> None:
        await pilot.press("j", "j")
        await settle(pilot)

    classification = fixed_classification().confirm()
    app = Host(ActionScreen(FixedSession(), "case_7", None, classification))
    assert snap_compare(app, terminal_size=size, run_before=highlight_refund)


@pytest.mark.parametrize("size", SMALL)
def test_actions_unclassified(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = Host(ActionScreen(FixedSession(), "case_7", None, None))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_confirm_live(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = Host(ConfirmScreen(REFUND_PLAN, live=True))
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_handoff(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = Host(HandoffScreen(FixedHandoffSession(), "case_7", None))
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_fixed_data_is_what_the_snapshots_show() -> None:
    """The snapshots above depend on this fixed suggestion."""
    assert fixed_classification().suggested == Bucket.DUPLICATE_PERSONAL
    assert FixedInfo("live").live


@pytest.mark.parametrize("size", SIZES)
def test_cases(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = Host(CasesScreen(FixedCasesSession(), reconciled=("case-…0a refund: succeeded",)))
    assert snap_compare(app, terminal_size=size, run_before=settle)


def _sandbox_confirmation(tmp_path: Path, scenario: str, kind: ActionKind) -> ConfirmScreen:
    """The confirmation of the first ``kind`` plan of a sandbox scenario, with its inputs
    (the demo's fixed clock keeps the snapshot stable)."""

    async def build() -> ConfirmScreen:
        session = demo_session(tmp_path / "cases", scenarios=(scenario,))
        ident = next(s.identifier for s in catalog.list_scenarios() if s.name == scenario)
        view = await session.load((await session.lookup(ident)).customer_ids)
        case = await session.open_case(ident, view)
        decided = session.suggest(view).confirm().confirm_contract()
        plan = next(p for p in session.plans(view, decided) if p.kind == kind)
        inputs = await session.plan_inputs(case.id, view, plan)

        def rebuild(request: PlanRequest) -> Plan:
            return session.with_inputs(view, decided, plan, request)

        return ConfirmScreen(plan, live=False, inputs=inputs, rebuild=rebuild)

    return asyncio.run(build())


@pytest.mark.parametrize("size", SIZES)
def test_confirm_refund_with_a_typed_amount(
    snap_compare: SnapCompare, size: tuple[int, int], tmp_path: Path
) -> None:
    async def type_amount(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#amount").focus()
        await pilot.press("end", "ctrl+u", *"7.50")
        await settle(pilot)

    modal = _sandbox_confirmation(tmp_path, "duplicate-checkout", ActionKind.REFUND)
    assert snap_compare(Host(modal), terminal_size=size, run_before=type_amount)


@pytest.mark.parametrize("size", SIZES)
def test_confirm_seats_refused(
    snap_compare: SnapCompare, size: tuple[int, int], tmp_path: Path
) -> None:
    async def type_seats(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#seats").focus()
        await pilot.press("end", "ctrl+u", "0")
        await settle(pilot)

    modal = _sandbox_confirmation(tmp_path, "seat-reduction", ActionKind.UPDATE_QUANTITY)
    assert snap_compare(Host(modal), terminal_size=size, run_before=type_seats)
