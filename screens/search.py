"""The start screen: one input for any identifier, the customers it leads to, recent cases."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from billing_tui.core.errors import GatewayError
from billing_tui.core.identify import IdentifierKind, detect_kind, normalise
from billing_tui.core.text import mask_email
from screens.customer import last_query, open_customer_screen
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures
from widgets.query import PLACEHOLDER, kind_text
from widgets.tables import IdTable, Row, fmt_date, fmt_time

if TYPE_CHECKING:
    from billing_tui.core.results import Resolution
    from billing_tui.desk.session import CaseRecord, CaseView, Session

RESULT_COLUMNS = ("Customer", "Name", "Live subs", "Anomalies", "Email", "Created", "Matched by")
CASE_COLUMNS = ("Case", "Status", "Customers", "Query", "Bucket", "Updated")

#: Candidates whose subscriptions and anomalies are counted in the results (each is a load).
MAX_COUNTED = 10

#: Row key of the "all customers of this email together" row.
ALL_TOGETHER = "*all*"


def sort_cases(cases: Sequence[CaseRecord]) -> list[CaseRecord]:
    """Open cases first, then the most recently updated."""
    return sorted(cases, key=lambda c: (c.status != "open", -c.updated_at.timestamp()))


class SearchScreen(ReportsWorkerFailures, Screen[None]):
    """Find the customer behind a ticket."""

    HELP = (
        "Type any identifier from the ticket and press Enter. Down moves to the results; "
        "Enter on a result opens it. Recent cases are listed below, open ones first."
    )

    BINDINGS = [
        Binding("escape", "clear", "Clear", id="search.clear", tooltip="Clear the search"),
        Binding(
            "ctrl+l",
            "focus_input",
            "Search box",
            id="search.focus",
            tooltip="Put the cursor in the search box",
        ),
        Binding(
            "down",
            "focus_results",
            "To results",
            show=False,
            priority=True,  # the search box would take "down" otherwise
            id="search.results",
            tooltip="Move from the search box to the results",
        ),
        Binding(
            "ctrl+r",
            "focus_cases",
            "Recent cases",
            id="search.cases",
            tooltip="Move to the recent cases",
        ),
        Binding(
            "ctrl+t",
            "focus_demo",
            "Demo tickets",
            id="search.demo",
            tooltip="Move to the demo's practice tickets (demo mode)",
        ),
        Binding(
            "f4",
            "app.plans",
            "Plans",
            id="search.plans",
            tooltip="Account-wide plan mix, seats, churn and the duplicate audit",
        ),
    ]

    def __init__(self, session: Session, *, start_query: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.start_query = start_query
        self.resolution: Resolution | None = None
        self.views: dict[str, CaseView] = {}
        self.cases: dict[str, CaseRecord] = {}

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, "billing-tui · search", id="header")
        with Vertical(id="search-body"):
            box = Input(placeholder=PLACEHOLDER, id="query")
            box.cursor_blink = bool(getattr(self.app, "cursor_blink", True))
            yield box
            yield Static(kind_text(""), id="kind")
            yield Static("", id="message")
            yield IdTable(RESULT_COLUMNS, id="results")
            yield Static("Recent cases (open first)", id="cases-title", classes="section")
            yield IdTable(CASE_COLUMNS, id="cases")
            tickets = self.session.demo_tickets()
            if tickets:
                yield Static(
                    f"Demo tickets — {len(tickets)} practice cases in the sandbox; Enter looks "
                    "one up (ctrl+t)",
                    id="demo-title",
                    classes="section",
                )
                table = IdTable(("Type this", "The ticket"), id="demo-tickets")
                table.set_rows(Row(t.identifier, (t.identifier, t.title)) for t in tickets)
                yield table
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#results", IdTable).display = False
        self.query_one("#query", Input).focus()
        if self.start_query:
            self.query_one("#query", Input).value = self.start_query
            self.lookup(self.start_query)

    def on_screen_resume(self) -> None:
        """Back from a customer: the case list and the results may have changed (actions)."""
        self.load_cases()
        if self.resolution is not None:
            self.lookup(self.resolution.query)

    # ------------------------------------------------------------------ typing

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#kind", Static).update(kind_text(event.value))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        self.lookup(event.value)

    def set_message(self, text: str | Text, kind: str = "") -> None:
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(kind == "error", "-error")
        message.set_class(kind == "warning", "-warning")
        message.set_class(kind == "busy", "-busy")

    # ------------------------------------------------------------------ lookup

    @work(exclusive=True, group="lookup", exit_on_error=False, description="look up")
    async def lookup(self, text: str) -> None:
        query = normalise(text)
        kind = detect_kind(query)
        results = self.query_one("#results", IdTable)
        if kind is IdentifierKind.EMPTY:
            self.set_message("Type an email, a Stripe id, a GitHub user or a name first.", "error")
            return
        self.set_message(f"Looking up {kind.label} {query}…", "busy")
        results.display = True
        results.loading = True
        try:
            resolution = await self.session.lookup(query)
            ids = resolution.customer_ids
            if not ids:
                self.show_resolution(None, {})
                self.set_message(f"No customer found for {kind.label} {query}.", "error")
                return
            counted = ids[:MAX_COUNTED]
            loads = [self.session.load((cid,)) for cid in counted]
            if resolution.email_collision:
                loads.append(self.session.load(ids))
            loaded = await asyncio.gather(*loads)  # one round of parallel loads
        except GatewayError as error:
            self.show_resolution(None, {})
            self.set_message(str(error), "error")
            return
        finally:
            results.loading = False
        views = dict(zip(counted, loaded, strict=False))
        if resolution.email_collision:
            views[ALL_TOGETHER] = loaded[-1]
        self.show_resolution(resolution, views)

    def show_resolution(self, resolution: Resolution | None, views: dict[str, CaseView]) -> None:
        self.resolution = resolution
        self.views = views
        results = self.query_one("#results", IdTable)
        if resolution is None:
            results.set_rows([])
            results.display = False
            return
        rows: list[Row] = []
        marked: list[str] = []
        customers = resolution.customers
        together = views.get(ALL_TOGETHER)
        if together is not None:
            label = f"all {len(customers)} together"
            rows.append(
                Row(
                    ALL_TOGETHER,
                    (
                        label,
                        "",
                        str(len(together.snapshot.live_subscriptions)),
                        str(len(together.anomalies)),
                        mask_email(customers[0].email),
                        "",
                        "",
                    ),
                )
            )
        for candidate in resolution.candidates:
            customer = candidate.customer
            view = views.get(customer.id)
            rows.append(
                Row(
                    customer.id,
                    (
                        customer.id,
                        customer.name or "—",
                        str(len(view.snapshot.live_subscriptions)) if view else "…",
                        str(len(view.anomalies)) if view else "…",
                        mask_email(customer.email),
                        fmt_date(customer.created),
                        candidate.matched_by,
                    ),
                )
            )
            if resolution.email_collision:
                marked.append(customer.id)
        results.set_rows(rows, marked=marked)
        results.display = True
        results.move_cursor(row=0)
        count = len(customers)
        lines: list[str | Text] = []
        if resolution.email_collision:
            lines.append(
                Text(
                    f"! {count} customers share this email — Enter on the first row opens "
                    "them together",
                    style="bold",
                )
            )
        else:
            lines.append(f"{count} customer{'s' if count != 1 else ''} — Enter opens")
        if count > MAX_COUNTED:
            lines.append(
                f"Counts are shown for the first {MAX_COUNTED}; open a customer for the rest."
            )
        lines.extend(Text(note, style="dim") for note in resolution.notes)
        message = Text("\n").join(Text(x) if isinstance(x, str) else x for x in lines)
        self.set_message(message, "warning" if resolution.email_collision else "")
        results.focus()

    @on(DataTable.RowSelected, "#results")
    def _result_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is None or self.resolution is None:
            return
        ids = self.resolution.customer_ids if key == ALL_TOGETHER else (key,)
        self.open_customer(
            self.resolution.query, ids, self.views.get(key), focus_id=self.resolution.object_id
        )

    @work(exclusive=True, group="open", exit_on_error=False, description="open the customer")
    async def open_customer(
        self,
        query: str,
        customer_ids: tuple[str, ...],
        view: CaseView | None,
        case: CaseRecord | None = None,
        focus_id: str | None = None,
    ) -> None:
        self.set_message(f"Opening {', '.join(customer_ids)}…", "busy")
        try:
            screen = await open_customer_screen(
                self.session, query, customer_ids, view, case, focus_id
            )
        except GatewayError as error:
            self.set_message(str(error), "error")
            return
        self.set_message("")
        await self.app.push_screen(screen)

    # ------------------------------------------------------------------ cases

    @work(exclusive=True, group="cases", exit_on_error=False, description="read the case log")
    async def load_cases(self) -> None:
        records = sort_cases(await self.session.cases())
        self.cases = {r.id: r for r in records}
        table = self.query_one("#cases", IdTable)
        table.set_rows(
            [
                Row(
                    r.id,
                    (
                        r.id,
                        Text(r.status, style="bold" if r.status == "open" else "dim"),
                        ", ".join(r.customer_ids),
                        last_query(r),
                        r.bucket or "—",
                        fmt_time(r.updated_at),
                    ),
                )
                for r in records
            ]
        )
        title = self.query_one("#cases-title", Static)
        title.update(
            f"Recent cases (open first) — {len(records)}"
            if records
            else "Recent cases: none yet (a case opens when you open a customer)"
        )

    @on(DataTable.RowSelected, "#demo-tickets")
    def _demo_ticket_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        identifier = event.row_key.value or ""
        box = self.query_one("#query", Input)
        box.value = identifier
        box.focus()
        self.lookup(identifier)

    @on(DataTable.RowSelected, "#cases")
    def _case_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record = self.cases.get(event.row_key.value or "")
        if record is not None:
            self.open_customer(last_query(record), tuple(record.customer_ids), None, record)

    # ------------------------------------------------------------------ keys

    def action_clear(self) -> None:
        box = self.query_one("#query", Input)
        box.value = ""
        box.focus()
        self.show_resolution(None, {})
        self.set_message("")

    def action_focus_input(self) -> None:
        self.query_one("#query", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_results":  # only from the search box: tables use "down" themselves
            return isinstance(self.focused, Input)
        if action == "focus_demo":  # shown only where there are demo tickets
            return bool(self.query("#demo-tickets"))
        return True

    def action_focus_results(self) -> None:
        results = self.query_one("#results", IdTable)
        if results.display and results.row_count:
            results.focus()
        else:
            self.action_focus_cases()

    def action_focus_cases(self) -> None:
        self.query_one("#cases", IdTable).focus()

    def action_focus_demo(self) -> None:
        tickets = self.query("#demo-tickets")
        if tickets:
            tickets.first(IdTable).focus()
        else:
            self.notify("Demo tickets exist only in the demo (billing-tui --demo).")
