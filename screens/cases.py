"""The case log: every case, filterable by status and bucket, searchable; Enter reopens one.

A banner at the top lists actions that were in flight when the workstation last exited (and,
when the app reconciled them at start, what reconciliation found), so nothing money-moving is
left unexplained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static

from billing_tui.core.classify import Bucket
from billing_tui.core.text import redact, time_label
from billing_tui.desk.session import ActionRecord, CaseRecord
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.desk.session import Session


ALL = "all"


def case_matches(record: CaseRecord, status: str, bucket: str, needle: str) -> bool:
    """Whether ``record`` passes the status and bucket filters and contains the search text."""
    if status != ALL and record.status != status:
        return False
    if bucket != ALL and record.bucket != bucket:
        return False
    if not needle:
        return True
    haystack = " ".join(
        (
            record.id,
            record.masked_email,
            record.bucket or "",
            *record.customer_ids,
            *record.queries,
            *(action.kind for action in record.actions),
        )
    ).lower()
    return redact(needle).lower() in haystack  # the log keeps addresses masked: so is the needle


def actions_summary(record: CaseRecord) -> str:
    if not record.actions:
        return "—"
    pending = sum(1 for a in record.actions if a.status in {"planned", "in_flight"})
    done = sum(1 for a in record.actions if a.status == "succeeded")
    failed = sum(1 for a in record.actions if a.status == "failed")
    parts = [f"{done} done"] if done else []
    if failed:
        parts.append(f"{failed} failed")
    if pending:
        parts.append(f"{pending} pending")
    return ", ".join(parts)


class CasesScreen(ReportsWorkerFailures, Screen[CaseRecord | None]):
    """Browse the case log; Enter dismisses with the selected case record, escape with None."""

    HELP = (
        "Every case in the log, open first. Filter by status and bucket, / searches ids, "
        "emails, customers, queries and actions; Enter reopens the case. A red banner lists "
        "actions that were in flight when the workstation last exited."
    )

    DEFAULT_CSS = """
    CasesScreen #cases-banner {
        height: auto;
        max-height: 8;
        padding: 0 1;
        background: $error 30%;
        display: none;
    }
    CasesScreen #cases-banner.-shown {
        display: block;
    }
    CasesScreen #cases-filters {
        height: auto;
    }
    CasesScreen #cases-filters Select {
        width: 20;
    }
    CasesScreen #cases-search {
        width: 1fr;
    }
    CasesScreen #cases-table {
        height: 1fr;
    }
    CasesScreen #cases-empty {
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding(
            "slash",
            "search",
            "Search",
            id="cases.search",
            tooltip="Search cases by id, email, customer, query or action",
        ),
        Binding("r", "reload", "Reload", id="cases.reload", tooltip="Read the case log again"),
        Binding("j", "cursor_down", "Down", show=False, id="cases.down", tooltip="Next case"),
        Binding("k", "cursor_up", "Up", show=False, id="cases.up", tooltip="Previous case"),
        Binding("escape", "leave", "Back", id="cases.back", tooltip="Close the case log"),
    ]

    def __init__(self, session: Session, *, reconciled: Sequence[str] | None = None) -> None:
        super().__init__()
        self.session = session
        self.reconciled = tuple(reconciled or ())
        self.records: list[CaseRecord] = []
        self.shown: list[CaseRecord] = []

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, "Case log", id="header")
        yield Static("", id="cases-banner")
        with Horizontal(id="cases-filters"):
            yield Select(
                [("open", "open"), ("resolved", "resolved")],
                prompt="status: all",
                id="cases-status",
            )
            yield Select(
                [(bucket.label, bucket.value) for bucket in Bucket],
                prompt="bucket: all",
                id="cases-bucket",
            )
            yield Input(placeholder="/ search id, email, customer, query", id="cases-search")
        yield DataTable(id="cases-table", cursor_type="row", zebra_stripes=True)
        yield Static("Reading the case log…", id="cases-empty")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one("#cases-table", DataTable)
        table.add_column("Case", key="case")
        table.add_column("Status", key="status")
        table.add_column("Bucket", key="bucket")
        table.add_column("Customer", key="customer")
        table.add_column("Opened", key="opened")
        table.add_column("Actions", key="actions")
        table.focus()
        self._load()

    # ------------------------------------------------------------------ loading

    @work(group="cases-load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        try:
            records = await self.session.cases()
            in_flight = await self.session.in_flight_actions()
        except Exception as error:
            self.query_one("#cases-empty", Static).update(
                f"[$error]Could not read the case log:[/] {escape(str(error))}"
            )
            return
        self.records = list(records)
        self._show_banner(in_flight)
        self._refilter()

    def _show_banner(self, in_flight: Sequence[tuple[CaseRecord, ActionRecord]]) -> None:
        lines: list[str] = []
        if in_flight:
            lines.append(
                f"[b]{len(in_flight)} action(s) were in flight when the workstation last "
                "exited[/]; open the case to check them before acting again:"
            )
            for record, action in in_flight:
                lines.append(
                    f"  {escape(record.id)}  {escape(action.kind)}  ({escape(action.status)}, "
                    f"key {escape(action.idempotency_key)})"
                )
        if self.reconciled:
            lines.append("[b]Reconciled at start:[/]")
            lines.extend(f"  {escape(message)}" for message in self.reconciled)
        banner = self.query_one("#cases-banner", Static)
        banner.update("\n".join(lines))
        banner.set_class(bool(lines), "-shown")

    # ------------------------------------------------------------------ filtering

    def _filter_value(self, selector: str) -> str:
        value = self.query_one(selector, Select).value
        return ALL if value is Select.NULL else str(value)

    def _refilter(self) -> None:
        status = self._filter_value("#cases-status")
        bucket = self._filter_value("#cases-bucket")
        needle = self.query_one("#cases-search", Input).value.strip()
        self.shown = [r for r in self.records if case_matches(r, status, bucket, needle)]
        table: DataTable[str] = self.query_one("#cases-table", DataTable)
        table.clear()
        for record in self.shown:
            table.add_row(
                record.id,
                record.status,
                (record.bucket or "—").replace("_", " "),
                record.masked_email or ", ".join(record.customer_ids),
                time_label(record.opened_at),
                actions_summary(record),
                key=record.id,
            )
        empty = self.query_one("#cases-empty", Static)
        if not self.records:
            empty.update("No cases yet: search for a customer to open one.")
        elif not self.shown:
            empty.update("No case matches these filters.")
        else:
            empty.update(f"{len(self.shown)} of {len(self.records)} cases. Enter opens one.")

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self._refilter()

    @on(Input.Changed, "#cases-search")
    def _search_changed(self) -> None:
        self._refilter()

    @on(Input.Submitted, "#cases-search")
    def _search_submitted(self) -> None:
        self.query_one("#cases-table", DataTable).focus()

    @on(DataTable.RowSelected, "#cases-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if 0 <= event.cursor_row < len(self.shown):
            self.dismiss(self.shown[event.cursor_row])

    # ------------------------------------------------------------------ actions

    def action_search(self) -> None:
        self.query_one("#cases-search", Input).focus()

    def action_reload(self) -> None:
        self._load()

    def action_cursor_down(self) -> None:
        self.query_one("#cases-table", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#cases-table", DataTable).action_cursor_up()

    def action_leave(self) -> None:
        self.dismiss(None)
