"""The duplicate audit: every customer with duplicate subscriptions, duplicate customer records
for one email, and the same product on two records — with the MRR at stake. ``Enter`` opens the
case on the customer screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures
from widgets.tables import IdTable, Row

if TYPE_CHECKING:
    from billing_tui.desk.account import DuplicateFinding, PlansReport
    from billing_tui.desk.session import Session


def finding_row(index: int, finding: DuplicateFinding) -> Row:
    stake = f"{finding.at_stake.format()}/mo" if finding.at_stake else "—"
    return Row(
        f"finding-{index}",
        (
            finding.code.replace("_", " "),
            stake,
            ", ".join(finding.customer_ids),
            ", ".join(finding.subscription_ids) or "—",
            finding.detail,
        ),
    )


class AuditScreen(ReportsWorkerFailures, Screen[None]):
    """The account-wide duplicate audit from the last sweep."""

    HELP = "Duplicates across the account. Enter opens the customer screen for that case."
    BINDINGS = [
        Binding("escape", "back", "Back", id="audit.back", tooltip="Back to the plans screen"),
        Binding("enter", "open", "Open case", id="audit.open", tooltip="Open these customers"),
    ]
    DEFAULT_CSS = """
    AuditScreen #summary { padding: 0 1; height: auto; }
    """

    def __init__(self, session: Session, report: PlansReport) -> None:
        super().__init__()
        self.session = session
        self.report = report

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, "billing-tui · duplicate audit", id="header")
        by_code: dict[str, int] = {}
        for finding in self.report.duplicates:
            by_code[finding.code] = by_code.get(finding.code, 0) + 1
        counts = ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in by_code.items())
        yield Static(
            f"{len(self.report.duplicates)} findings ({counts or 'none'}) in "
            f"{self.report.customers} customers. Each one is a ticket waiting to happen: "
            "the product gap is a missing duplicate-subscription guard at checkout.",
            id="summary",
            markup=False,
        )
        yield IdTable(("Finding", "At stake", "Customers", "Subscriptions", "Detail"), id="table")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#table", IdTable)
        table.set_rows(finding_row(i, f) for i, f in enumerate(self.report.duplicates))
        table.focus()

    def selected(self) -> DuplicateFinding | None:
        row_id = self.query_one("#table", IdTable).selected_id
        if row_id is None:
            return None
        return self.report.duplicates[int(row_id.removeprefix("finding-"))]

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        finding = self.selected()
        if finding is None:
            self.notify("No finding selected.", severity="warning")
            return
        self.open_case(finding)

    @work(exclusive=True, group="open", exit_on_error=False, description="opening the case")
    async def open_case(self, finding: DuplicateFinding) -> None:
        from screens.customer import open_customer_screen

        self.notify(f"Opening {', '.join(finding.customer_ids)}…")
        screen = await open_customer_screen(
            self.session, f"audit: {finding.code}", finding.customer_ids
        )
        await self.app.push_screen(screen)

    def action_back(self) -> None:
        self.dismiss(None)
