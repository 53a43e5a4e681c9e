"""The workstation under a kill: the real App, driven by keys through Pilot, closed mid-action.

An operator works the whole duplicate ticket in the TUI against the loopback sandbox (search,
open the customer, classify with the suggestion, run each recommended plan and confirm it).
In the first session the App is shut down at a random moment after an action was confirmed
(the terminal closed; its workers are cancelled). Then the operator starts the workstation
again on the same HOME and works the ticket again, until every plan it runs reports done.

The operator reads the plan list as it is after each outcome (the pane re-plans and sorts
done plans below the rest) and runs the next recommended plan still ready; a case reopened
with a recorded classification is not classified again.

The TUI has no exit code; what it reports is the plans' states: "done" when every plan the
operator ran ended succeeded (or there was nothing left to run), "not done" also when the
pane offers as ready a cancel or refund Stripe already holds (a restarted workstation must
show the killed session's actions as done). That report is judged against Stripe like an
exit code (:data:`TUI_DONE` / :data:`TUI_NOT_DONE`).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.faults.harness import KILLED, MAX_RUNS, Run, Trial, environment
from tests.faults.truth import EXIT_DONE, Facts

TUI_DONE = EXIT_DONE
TUI_NOT_DONE = 1


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _work_ticket(t: Trial, cut: tuple[int, float] | None) -> int:
    """One workstation session on the ticket; ``cut`` = (plan number, seconds after its
    confirmation) shuts the App down then. Returns the report (done / not done / KILLED)."""
    from billing_tui.app import BillingApp
    from billing_tui.cli.opening import open_session
    from billing_tui.desk.connection import ConnectionOptions, resolve_target

    session = await asyncio.to_thread(
        open_session,
        resolve_target(ConnectionOptions(api_base=t.server.url)),
        operator="ops-faults",
    )
    try:
        return await _drive(BillingApp(session), cut, t, lambda: _die(session))
    finally:
        await session.aclose()


def _die(session: Any) -> None:
    """What a kill does to the session's customer leases: nothing is released. (Closing the
    App would release them on unmount; a killed process cannot.) The leases stay on disk
    under this session's token, which stops being alive when the session is dropped, so the
    restart has to reclaim them as it would a dead pid's."""
    locks = session.locks
    locks.close = lambda: None
    locks.release = lambda *_args, **_kwargs: None


async def _drive(app: Any, cut: tuple[int, float] | None, t: Trial, die: Callable[[], None]) -> int:
    from screens.actions import ActionScreen, PlanState
    from screens.customer import CustomerScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        app.screen.query_one("#query", Input).value = "dana.whitfield@example.com"
        await pilot.press("enter")
        await _settle(pilot)
        await pilot.press("enter")
        await _settle(pilot)
        customer = app.screen
        if not isinstance(customer, CustomerScreen):
            return TUI_NOT_DONE
        if customer.classification is None or not customer.classification.ready_for_money:
            # A restarted workstation shows the case's recorded classification ("Classified:
            # … press a."); the operator classifies only a case that has none yet.
            await pilot.press("c")
            await _settle(pilot)
            await pilot.press("ctrl+f", "ctrl+f")
            await _settle(pilot)
        if app.screen is not customer or customer.classification is None:
            return TUI_NOT_DONE
        await pilot.press("a")
        await _settle(pilot)
        actions = app.screen
        if not isinstance(actions, ActionScreen):
            return TUI_NOT_DONE
        if _offers_done_again(actions, await asyncio.to_thread(t.facts)):
            return TUI_NOT_DONE
        ended: list[PlanState] = []
        tried: set[str] = set()
        for number in range(len(actions.plans) + 2):
            index = _next_plan(actions, tried)
            if index is None:
                break
            tried.add(actions.plans[index].title)
            actions.query_one("#plans").move_cursor(row=index)
            await pilot.press("x")
            await pilot.pause()
            await pilot.press("y")
            if cut is not None and cut[0] == number:
                await asyncio.sleep(cut[1])
                die()
                app.exit()  # the terminal closes: the App's workers are cancelled
                return KILLED
            await _settle(pilot)
            # The pane re-plans after each outcome (done plans sort below the rest) and keeps
            # the cursor on the plan that ran: its row is how that plan ended.
            ran = actions.highlighted
            ended.append(actions.states[ran] if ran is not None else PlanState.FAILED)
        app.exit()
    return TUI_DONE if all(s == PlanState.SUCCEEDED for s in ended) else TUI_NOT_DONE


def _offers_done_again(actions: Any, facts: Facts) -> bool:
    """Whether the pane offers as ready a money move Stripe already holds (the cancel of a
    cancelled subscription, a refund of a charge already refunded): a restarted workstation
    must show what the killed session did as done, not ask the operator to do it again."""
    from billing_tui.core.plans import ActionKind
    from screens.actions import PlanState

    for plan, state in zip(actions.plans, actions.states, strict=True):
        if state != PlanState.READY:
            continue
        if plan.kind == ActionKind.CANCEL_SUBSCRIPTION and (
            plan.param("subscription") in facts.cancelled
        ):
            return True
        if plan.kind == ActionKind.REFUND and facts.refunds.get(plan.param("charge") or ""):
            return True
    return False


def _next_plan(actions: Any, tried: set[str]) -> int | None:
    """The first recommended plan still ready that this session has not run, as the list
    shows it now (an operator reads the list again after each outcome, never old row numbers)."""
    from screens.actions import PlanState

    return next(
        (
            i
            for i, plan in enumerate(actions.plans)
            if plan.recommended and actions.states[i] == PlanState.READY and plan.title not in tried
        ),
        None,
    )


def killed_tui(mode: Any, t: Trial) -> list[tuple[Facts, int]]:
    """The first session is cut mid-action, then restarted until the plans report done."""
    rng = random.Random(t.seed)
    cut = (rng.randint(0, 1), rng.uniform(0, 4 * mode.faults.latency_ms / 1000))
    report = KILLED
    made = 0
    with environment(t.env):
        while report != TUI_DONE and made < MAX_RUNS:
            started = time.perf_counter()
            report = asyncio.run(_work_ticket(t, cut if not t.runs else None))
            gc.collect()  # a killed session is gone before the restart: its lease is stale
            t.runs.append(Run(report, "", "", time.perf_counter() - started))
            made += int(report != KILLED)
    return [(t.facts(), report)]
