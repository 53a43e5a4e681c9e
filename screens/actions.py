"""The action pane: what the case already did, the recommended plans in the safe order, the
highlighted plan's diff, and confirm-then-execute with progress and the outcome.

After every outcome the pane re-plans from a fresh read of Stripe and the case ledger: the
case's completed and failed actions are listed above the plans, alternatives of a done action
show as superseded (never runnable), and what the case still owes (a canceled duplicate's
refund) stays on the list. A plan runs at most once per screen: the screen refuses a second
press while one is confirming or running and after it succeeded, and the session's
idempotency keys guard underneath.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import WorkerFailed

from billing_tui.core.classify import Classification
from billing_tui.core.errors import GatewayError
from billing_tui.core.plans import ActionKind, ActionOutcome, Plan, completeness_guard
from billing_tui.core.plans.ledger import CaseLedger, Entry, OutcomeState
from billing_tui.core.plans.replan import same_intent
from screens.confirm import ConfirmScreen
from screens.no_refund import NoRefundScreen
from widgets.diff import PlanDiff
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.desk.session import CaseView, Session


class PlanState(StrEnum):
    READY = "ready"
    BLOCKED = "blocked"
    CONFIRMING = "confirming"
    RUNNING = "running…"
    SUCCEEDED = "done"
    FAILED = "failed"
    NOT_RUN = "not run"
    SUPERSEDED = "superseded"


#: States in which the plan must not be started again.
_FINAL = frozenset({PlanState.SUCCEEDED})

UNCLASSIFIED = "classify the case first (the wizard)"


class ActionScreen(ReportsWorkerFailures, Screen[bool]):
    """Pick a plan, see its diff, confirm and run it; dismisses True when anything ran."""

    HELP = (
        "Plans in the safe order: restore self-serve, fix the state, refund only the affected "
        "charge, document. Greyed plans say why they cannot run. x or Enter asks for "
        "confirmation (in LIVE mode type the amount or id); a plan that succeeded cannot run "
        "again, and the case log keeps every call's idempotency key. w on a refund records "
        "why it is not made."
    )

    DEFAULT_CSS = """
    ActionScreen #actions-title {
        height: 1;
        text-overflow: ellipsis;
        text-wrap: nowrap;
        padding: 0 1;
        color: $text-muted;
    }
    ActionScreen #actions-banner {
        height: auto;
        padding: 0 1;
        background: $warning 30%;
        display: none;
    }
    ActionScreen #actions-banner.-shown {
        display: block;
    }
    ActionScreen #case-actions {
        height: auto;
        max-height: 6;
        padding: 0 1;
        display: none;
    }
    ActionScreen #case-actions.-shown {
        display: block;
    }
    ActionScreen #plans {
        height: auto;
        max-height: 9;
    }
    ActionScreen #diff-pane {
        height: 1fr;
        border-top: solid $primary;
    }
    ActionScreen #outcome {
        display: none;
        height: auto;
        max-height: 6;
        padding: 0 1;
        border-top: solid $primary;
    }
    ActionScreen #outcome.-shown {
        display: block;
    }
    ActionScreen #outcome.-failed {
        color: $error;
    }
    ActionScreen #outcome.-succeeded {
        color: $success;
    }
    """

    BINDINGS = [
        Binding(
            "x",
            "execute",
            "Run plan",
            id="actions.execute",
            tooltip="Confirm and run the highlighted plan (Enter does the same)",
        ),
        Binding(
            "w",
            "no_refund",
            "No refund",
            show=False,  # listed in help (F1); the footer stays as it was at 80 columns
            id="actions.no_refund",
            tooltip="On a refund plan: record why the charge is not refunded (asks the reason)",
        ),
        Binding("j", "cursor_down", "Down", show=False, id="actions.down", tooltip="Next plan"),
        Binding("k", "cursor_up", "Up", show=False, id="actions.up", tooltip="Previous plan"),
        Binding(
            "escape",
            "leave",
            "Back",
            id="actions.back",
            tooltip="Back to the customer (refused while an action is running)",
        ),
    ]

    def __init__(
        self,
        session: Session,
        case_id: str,
        view: CaseView,
        classification: Classification | None,
    ) -> None:
        super().__init__()
        self.session = session
        self.case_id = case_id
        self.view = view
        self.classification = classification
        self.live = bool(session.info.live)
        # Unclassified: plan from the unconfirmed suggestion, so every money mover is blocked
        # with the classifier's own reason and the safe, non-money steps stay available.
        self.basis = classification if classification is not None else session.suggest(view)
        self.ledger: CaseLedger = session.ledger_for(view)
        #: What ran on this screen, by intent: the state and message survive a re-plan.
        self._ran: dict[tuple[object, ...], tuple[PlanState, str, ActionOutcome | None]] = {}
        self.plans: tuple[Plan, ...] = ()
        self.states: list[PlanState] = []
        self.outcomes: list[str] = []
        self.outcome_objects: list[ActionOutcome | None] = []
        self._set_plans(session.plans(view, self.basis))
        self.busy = False
        self.ran = False

    # ------------------------------------------------------------------ plans and states

    def _set_plans(self, plans: tuple[Plan, ...]) -> None:
        """Show ``plans``: each plan's state from what ran here, else from the case ledger."""
        self.plans = plans
        self.states, self.outcomes, self.outcome_objects = [], [], []
        for plan in plans:
            state, message, outcome = self._ran.get(_intent_key(plan), (None, "", None))
            if state is None or state in (PlanState.READY, PlanState.NOT_RUN):
                state = self._derived_state(plan)
            self.states.append(state)
            self.outcomes.append(message)
            self.outcome_objects.append(outcome)

    def _derived_state(self, plan: Plan) -> PlanState:
        if plan.superseded_by is not None:
            entry = next(
                (e for e in self.ledger.entries if e.action_id == plan.superseded_by), None
            )
            if entry is not None and same_intent(plan, entry):
                return PlanState.SUCCEEDED
            return PlanState.SUPERSEDED
        return PlanState.READY if self._block_reason(plan) is None else PlanState.BLOCKED

    # ------------------------------------------------------------------ guards

    @property
    def money_block(self) -> str | None:
        """Why money-moving plans are disabled on this screen, or None when they may run."""
        if self.classification is None:
            return UNCLASSIFIED
        if not self.classification.ready_for_money:
            return self.classification.blocked_reason() or UNCLASSIFIED
        return None

    def _partial_load(self) -> str | None:
        """Why no money moves on this load (a part of the customer did not load), or None."""
        return None if self.view is None else completeness_guard(self.view.snapshot)

    def _block_reason(self, plan: Plan) -> str | None:
        if plan.blocked_reason:
            return plan.blocked_reason
        if plan.moves_money and self.money_block:
            return self.money_block
        return None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, f"Actions · case {self.case_id}", id="header")
        yield Static(
            "Safest first: self-serve → fix the state → refund the affected charge → document",
            id="actions-title",
        )
        yield Static("", id="actions-banner")
        yield Static("", id="case-actions")
        yield DataTable(id="plans", cursor_type="row")
        with VerticalScroll(id="diff-pane"):
            yield PlanDiff(id="diff")
        yield Static("", id="outcome")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_banner()
        self._show_case_actions()
        self._build_table()
        if not self.plans:
            self.query_one("#diff", PlanDiff).update("No actions are recommended for this case.")
        else:
            self._show(0)
        self.query_one("#plans", DataTable).focus()

    def _show_banner(self) -> None:
        """Why money-moving plans are disabled (unclassified, or a partial load), if they are."""
        banner = self.query_one("#actions-banner", Static)
        block = self.money_block
        text = ""
        if block is not None:
            text = (
                "[b]Money-moving actions are disabled[/] until the case is classified: "
                f"{escape(block)}."
            )
        elif (partial := self._partial_load()) is not None:
            text = f"[b]Money-moving actions are disabled[/]: {escape(partial)}."
        banner.update(text)
        banner.set_class(bool(text), "-shown")

    def _show_case_actions(self) -> None:
        """The case's completed, failed and unsettled actions, above the plans."""
        lines = [case_action_line(e) for e in self.ledger.entries]
        widget = self.query_one("#case-actions", Static)
        widget.update("\n".join(["[b]Done in this case[/]", *lines]) if lines else "")
        widget.set_class(bool(lines), "-shown")

    def _title_width(self) -> int:
        """The Action column's width: what the screen leaves after # and State (min 20)."""
        return max(20, self.size.width - 2 - 10 - 6 - 2)

    def _build_table(self) -> None:
        """(Re)build the plan table so each title fits the screen; the diff shows it whole."""
        table: DataTable[Text] = self.query_one("#plans", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_column(Text("#"), key="n", width=2)
        table.add_column(Text("State"), key="state", width=10)
        table.add_column(Text("Action"), key="action", width=self._title_width())
        for index, plan in enumerate(self.plans):
            table.add_row(*self._row(index, plan), key=str(index))
        if self.plans:
            table.move_cursor(row=min(max(row, 0), len(self.plans) - 1))

    def on_resize(self) -> None:
        if self.plans:
            self._build_table()

    def _row(self, index: int, plan: Plan) -> tuple[Text, Text, Text]:
        state = self.states[index]
        style = "dim" if state in (PlanState.BLOCKED, PlanState.SUPERSEDED) else ""
        state_style = {
            PlanState.SUCCEEDED: "bold green",
            PlanState.FAILED: "bold red",
            PlanState.RUNNING: "bold yellow",
            PlanState.BLOCKED: "dim",
            PlanState.SUPERSEDED: "dim italic",
        }.get(state, "")
        title = Text(plan.title, style=style, no_wrap=True, overflow="ellipsis")
        title.truncate(self._title_width(), overflow="ellipsis")
        return (
            Text(str(index + 1), style=style),
            Text(state.value, style=state_style),
            title,
        )

    def _refresh_row(self, index: int) -> None:
        table: DataTable[Text] = self.query_one("#plans", DataTable)
        number, state, title = self._row(index, self.plans[index])
        table.update_cell(str(index), "n", number)
        table.update_cell(str(index), "action", title)
        table.update_cell(str(index), "state", state)

    @property
    def highlighted(self) -> int | None:
        if not self.plans:
            return None
        row = self.query_one("#plans", DataTable).cursor_row
        return row if 0 <= row < len(self.plans) else None

    def _show(self, index: int) -> None:
        plan = self.plans[index]
        diff = self.query_one("#diff", PlanDiff)
        diff.show(plan, unclassified_block=self.money_block)
        outcome = self.query_one("#outcome", Static)
        outcome.set_class(self.states[index] == PlanState.FAILED, "-failed")
        outcome.set_class(self.states[index] in _FINAL, "-succeeded")
        outcome.set_class(bool(self.outcomes[index]), "-shown")
        outcome.update(escape(self.outcomes[index]))

    @on(DataTable.RowHighlighted, "#plans")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.plans):
            self._show(event.cursor_row)

    @on(DataTable.RowSelected, "#plans")
    def _selected(self) -> None:
        self.action_execute()

    # ------------------------------------------------------------------ actions

    def action_cursor_down(self) -> None:
        self.query_one("#plans", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#plans", DataTable).action_cursor_up()

    def action_leave(self) -> None:
        if self.busy:
            self.notify(
                "An action is running: wait for its outcome before leaving.", severity="warning"
            )
            return
        self.dismiss(self.ran)

    def action_execute(self) -> None:
        index = self.highlighted
        if index is None:
            self.notify("No plan to run.", severity="warning")
            return
        plan = self.plans[index]
        refusal = self._refusal(index, plan)
        if refusal is not None:
            self.notify(refusal, title="Not run", severity="warning")
            return
        self.busy = True
        self.states[index] = PlanState.CONFIRMING
        self._refresh_row(index)
        self._confirm_and_run(index)

    def action_no_refund(self) -> None:
        """On a refund plan: ask why it is not made and record it (no Stripe call)."""
        index = self.highlighted
        plan = self.plans[index] if index is not None else None
        if index is None or plan is None or plan.kind != ActionKind.REFUND or not plan.target_id:
            self.notify("Highlight a refund plan to record why it is not made.", severity="warning")
            return
        if self.busy:
            self.notify("Another action is being confirmed or is running.", severity="warning")
            return
        if self.states[index] in (*_FINAL, PlanState.SUPERSEDED):
            self.notify(f"Already settled: {self._block_reason(plan) or plan.title}")
            return
        self.busy = True
        self._record_no_refund(plan)

    @work(group="execute", exit_on_error=False)
    async def _record_no_refund(self, plan: Plan) -> None:
        try:
            reason = await self.app.push_screen_wait(NoRefundScreen(plan))
            if reason is None:
                return
            outcome = await self.session.record_no_refund(
                self.case_id, self.view, plan.target_id or "", reason
            )
            self.ran = True
            self.notify(describe_outcome(outcome)[1], title="No refund")
            await self._replan(plan)
        finally:
            self.busy = False

    def _refusal(self, index: int, plan: Plan) -> str | None:
        if self.busy:
            return "Another action is being confirmed or is running; wait for its outcome."
        state = self.states[index]
        if state in _FINAL:
            return f"Already done: {self.outcomes[index] or plan.title}"
        block = self._block_reason(plan)
        if block is not None:
            return f"Not possible: {block}"
        return None

    def _set_state(self, index: int, state: PlanState, message: str) -> None:
        self.states[index] = state
        self.outcomes[index] = message
        self._refresh_row(index)
        if self.highlighted == index:
            self._show(index)

    @work(group="execute", exit_on_error=False)
    async def _confirm_and_run(self, index: int) -> None:
        plan = self.plans[index]
        try:
            confirmed = await self.app.push_screen_wait(ConfirmScreen(plan, live=self.live))
            if not confirmed:
                self._set_state(index, PlanState.READY, "Not run: cancelled at the confirmation.")
                return
            calls = "; ".join(plan.api_calls) or plan.title
            self._set_state(index, PlanState.RUNNING, f"Running: {calls} …")
            self.ran = True
            # The call runs in an App worker, shielded: leaving or closing this screen mid-call
            # (a global key pops it) must not cancel a refund half-way; the case log records it.
            execution = self.app.run_worker(
                self._execute(plan),
                group="execute",
                description=f"running: {plan.title}",
                exit_on_error=False,
            )
            try:
                outcome = await asyncio.shield(execution.wait())
            except WorkerFailed as failure:
                # The App reports the failed worker (one place for errors); the pane says it too.
                self._set_state(index, PlanState.FAILED, f"Failed: {failure.error}")
                return
            self.outcome_objects[index] = outcome
            state, message = describe_outcome(outcome)
            self._ran[_intent_key(plan)] = (state, message, outcome)
            self._set_state(index, state, message)
            self.notify(
                message,
                title=plan.title,
                severity="error" if state == PlanState.FAILED else "information",
            )
            await self._replan(plan)
        finally:
            self.busy = False

    async def _replan(self, ran: Plan) -> None:
        """Re-plan from a fresh read of Stripe and the case ledger, keeping the cursor on the
        plan that ran; a failed reload keeps the last snapshot and says so."""
        try:
            self.view, plans = await self.session.replan(self.case_id, self.view, self.basis)
        except GatewayError as exc:
            self.notify(
                f"Reloading from Stripe failed ({exc}); the plans are from the last snapshot.",
                severity="warning",
            )
            self.ledger = await self.session.ledger(self.case_id)
            plans = self.session.plans(self.view, self.basis, ledger=self.ledger)
        else:
            self.ledger = self.session.ledger_for(self.view)
        if not self.is_attached:
            return
        self._set_plans(plans)
        self._show_banner()
        self._show_case_actions()
        self._build_table()
        key = _intent_key(ran)
        row = next((i for i, p in enumerate(self.plans) if _intent_key(p) == key), None)
        if row is not None:
            self.query_one("#plans", DataTable).move_cursor(row=row)
            self._show(row)

    async def _execute(self, plan: Plan) -> ActionOutcome:
        outcome = await self.session.execute(
            self.case_id,
            self.view,
            plan,
            confirmation=plan.confirm_phrase if self.live else None,
        )
        if not self.is_attached:  # the pane was closed mid-call: say how it ended anyway
            state, message = describe_outcome(outcome)
            self.app.notify(
                message,
                title=plan.title,
                severity="error" if state == PlanState.FAILED else "information",
            )
        return outcome


def describe_outcome(outcome: ActionOutcome) -> tuple[PlanState, str]:
    """The plan state and a one-line summary of an outcome (ids, request, portal URL)."""
    state = {
        "succeeded": PlanState.SUCCEEDED,
        "skipped": PlanState.NOT_RUN,
    }.get(outcome.status, PlanState.FAILED)
    parts = [{"succeeded": "Succeeded", "skipped": "Not run"}.get(outcome.status, "Failed")]
    if outcome.replayed:
        parts.append("already done earlier in this case (recorded result, nothing sent again)")
    if outcome.message:
        parts.append(outcome.message)
    if outcome.stripe_ids:
        parts.append("Stripe ids: " + ", ".join(outcome.stripe_ids))
    if outcome.url:
        parts.append(f"link: {outcome.url}")
    if outcome.request_id:
        parts.append(f"request {outcome.request_id}")
    return state, ". ".join(parts)


#: Plan parameters that describe the state a plan was made against, not what it asks for.
_STATE_PARAMS = frozenset({"amount", "refunded_before", "quantity_before", "return_url"})


def _intent_key(plan: Plan) -> tuple[object, ...]:
    """What a plan asks for, stable across a re-plan (a refund's amount left may change)."""
    asks = tuple((k, v) for k, v in plan.params if k not in _STATE_PARAMS)
    return (plan.kind, plan.target_id, asks)


_MARK = {
    OutcomeState.SUCCEEDED: "[green]✓[/]",
    OutcomeState.FAILED: "[red]✗[/]",
    OutcomeState.SKIPPED: "[yellow]–[/]",
    OutcomeState.PENDING: "[yellow]?[/]",
}


def case_action_line(entry: Entry) -> str:
    """One of the case's actions as the pane lists it: mark, title, id, and how it ended."""
    outcome = entry.outcome
    how = {
        OutcomeState.SUCCEEDED: "done",
        OutcomeState.FAILED: f"failed: {outcome.message}",
        OutcomeState.SKIPPED: f"not run: {outcome.message}",
        OutcomeState.PENDING: "sent, no answer recorded yet (run it again to settle it)",
    }[outcome.state]
    return f"{_MARK[outcome.state]} {escape(entry.title)} · {entry.action_id} · {escape(how)}"
