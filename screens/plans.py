"""The plans screen: plan mix, monthly vs annual, seats and churn for the whole account.

The sweep runs in a worker with a progress bar (counts and ETA) and can be cancelled with
``escape``; the figures come from the cached sweep when it is fresh (its age is shown).
``d`` opens the duplicate audit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Sparkline, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from billing_tui.desk.account import PlansReport, text_bar
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures
from widgets.tables import IdTable, Row

if TYPE_CHECKING:
    from billing_tui.core.progress import SweepProgress
    from billing_tui.desk.session import Session


class PlansScreen(ReportsWorkerFailures, Screen[None]):
    """Account-wide figures from one sweep of every customer and subscription."""

    HELP = "Plan mix, monthly vs annual, seats and churn across the whole account."
    BINDINGS = [
        Binding("escape", "back", "Back", id="plans.back", tooltip="Stop the sweep and go back"),
        Binding("r", "refresh", "Re-sweep", id="plans.refresh", tooltip="Ignore the cache"),
        Binding("d", "audit", "Duplicates", id="plans.audit", tooltip="The duplicate audit"),
    ]
    DEFAULT_CSS = """
    PlansScreen #summary { padding: 0 1; height: auto; }
    PlansScreen #progress { padding: 0 1; height: auto; }
    PlansScreen Sparkline { height: 3; margin: 0 1; }
    """

    def __init__(self, session: Session, *, open_audit: bool = False) -> None:
        super().__init__()
        self.session = session
        self.report: PlansReport | None = None
        self._open_audit = open_audit

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, "billing-tui · plans", id="header")
        yield Static("Sweeping the account…", id="summary", markup=False)
        with Vertical(id="progress"):
            yield Static("", id="progress-text", markup=False)
            yield ProgressBar(id="bar", show_eta=False)
        with TabbedContent(id="tabs"):
            with TabPane("Plan mix", id="mix"):
                yield IdTable(
                    ("Product", "Interval", "Cur", "Subs", "Seats", "MRR", "Share", ""),
                    id="mix-table",
                )
            with TabPane("Monthly vs annual", id="intervals"):
                yield IdTable(("Currency", "Interval", "Subs", "MRR", ""), id="interval-table")
                yield Static("", id="conversions", markup=False)
            with TabPane("Seats", id="seats"):
                yield IdTable(("Seats", "Team subs", ""), id="seat-table")
                yield Static("", id="seat-notes", markup=False)
            with TabPane("Churn", id="churn"):
                yield Static("", id="churn-text", markup=False)
                yield Sparkline([], id="churn-spark")
        yield Footer()

    def on_mount(self) -> None:
        self.sweep(refresh=False)

    @work(exclusive=True, group="sweep", exit_on_error=False, description="sweeping the account")
    async def sweep(self, refresh: bool) -> None:
        self.query_one("#progress").display = True

        def progress(part: str, p: SweepProgress) -> None:
            eta = "" if p.eta_seconds is None else f" · about {p.eta_seconds:.0f} s left"
            self.query_one("#progress-text", Static).update(
                f"Sweeping {part}: {p.items} loaded · {p.requests} requests · "
                f"{p.shards_done}/{p.shards} shards{eta}"
            )
            self.query_one("#bar", ProgressBar).update(total=p.shards, progress=p.shards_done)

        report = await self.session.plans_report(refresh=refresh, on_progress=progress)
        self.show(report)
        if self._open_audit:
            self._open_audit = False
            self.action_audit()

    def show(self, report: PlansReport) -> None:
        self.report = report
        self.query_one("#progress").display = False
        src = report.source
        if src.from_cache:
            source = f"cached sweep, {src.cache_age_seconds} s old — r re-sweeps"
        else:
            source = f"swept just now with {src.requests} requests — r re-sweeps"
        mrr = ", ".join(m.format() for m in report.mrr) or "—"
        self.query_one("#summary", Static).update(
            f"{report.customers} customers · {report.subscriptions} subscriptions "
            f"({report.live_subscriptions} live) · MRR {mrr} · "
            f"{len(report.duplicates)} duplicate findings (d)\n{source}"
        )
        # Bars show each price's share of its own currency's MRR: amounts in different
        # currencies are never compared.
        self.query_one("#mix-table", IdTable).set_rows(
            Row(
                p.price_id,
                (
                    p.product_name,
                    p.interval,
                    p.currency.upper(),
                    str(p.subscriptions),
                    str(p.seats),
                    p.mrr.format(),
                    f"{p.share:.0%}",
                    text_bar(round(p.share * 1000), 1000),
                ),
            )
            for p in report.plan_mix
        )
        biggest = max((i.subscriptions for i in report.interval_mix), default=0)
        self.query_one("#interval-table", IdTable).set_rows(
            Row(
                f"{i.currency}-{i.interval}",
                (
                    i.currency.upper(),
                    i.interval,
                    str(i.subscriptions),
                    i.mrr.format(),
                    text_bar(i.subscriptions, biggest),
                ),
            )
            for i in report.interval_mix
        )
        self.query_one("#conversions", Static).update(
            f"Monthly → annual conversions in the last 90 days: {len(report.conversions_90d)}"
        )
        biggest = max((n for _, n in report.seats.histogram), default=0)
        self.query_one("#seat-table", IdTable).set_rows(
            Row(label, (label, str(n), text_bar(n, biggest))) for label, n in report.seats.histogram
        )
        self.query_one("#seat-notes", Static).update(
            f"Team subscriptions with one seat: {len(report.seats.team_single_seat)} · "
            f"personal prices bought with quantity > 1: {len(report.seats.personal_multi_seat)}"
        )
        lines = []
        for churn in (report.churn_30d, report.churn_90d):
            reasons = ", ".join(f"{k} {v}" for k, v in churn.by_reason) or "—"
            lost = ", ".join(m.format() for m in churn.mrr_lost) or "—"
            lines.append(
                f"Last {churn.days} days: {churn.canceled} canceled ({reasons}); MRR lost {lost}"
            )
        months = report.monthly_churn
        lines.append(
            f"Cancellations per month, {months[0][0]} → {months[-1][0]}:" if months else ""
        )
        self.query_one("#churn-text", Static).update("\n".join(lines))
        self.query_one("#churn-spark", Sparkline).data = [n for _, n in months]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.query_one("#progress").display = False
            self.query_one("#summary", Static).update(
                "The sweep did not finish: nothing shown is partial. r tries again."
            )

    def action_refresh(self) -> None:
        self.sweep(refresh=True)

    def action_back(self) -> None:
        self.workers.cancel_group(self, "sweep")
        self.dismiss(None)

    def action_audit(self) -> None:
        if self.report is None:
            self.notify("The sweep has not finished yet.", severity="warning")
            return
        from screens.audit import AuditScreen

        self.app.push_screen(AuditScreen(self.session, self.report))
