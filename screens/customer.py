"""The customer screen: identity, anomalies, and the customer's billing objects in tabs.

Rows an anomaly concerns are marked; choosing an anomaly moves to its rows. From here the
operator classifies the case (``c``), acts (``a``) and hands off (``h``); those screens belong to
the flow part of the workstation and are imported when first used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from billing_tui.core.errors import GatewayError
from billing_tui.core.plans import completeness_guard
from screens.customer_tabs import ROWS, TABS, failure_text, identity_text
from screens.palette import PaletteCommand
from widgets.anomalies import AnomalyList
from widgets.clipboard import copy_to_clipboards
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures
from widgets.tables import IdTable

if TYPE_CHECKING:
    from billing_tui.core.classify import Classification
    from billing_tui.desk.session import CaseRecord, CaseView, Session


def dashboard_url(object_id: str, *, live: bool, customer_id: str) -> str:
    """The Stripe Dashboard page of an object (payment methods have none: their customer's)."""
    base = "https://dashboard.stripe.com/" + ("" if live else "test/")
    prefix = object_id.split("_", 1)[0]
    path = {
        "cus": "customers",
        "sub": "subscriptions",
        "in": "invoices",
        "ch": "payments",
        "py": "payments",
        "pi": "payments",
        "re": "refunds",
        "dp": "disputes",
    }.get(prefix)
    if path is None:
        return f"{base}customers/{customer_id}"
    return f"{base}{path}/{object_id}"


NOT_CLASSIFIED = "Money-moving actions are disabled until the case is classified — press c."


def last_query(case: CaseRecord) -> str:
    """What the operator last searched to reach this case."""
    return case.queries[-1] if case.queries else ""


async def open_customer_screen(
    session: Session,
    query: str,
    customer_ids: tuple[str, ...],
    view: CaseView | None = None,
    case: CaseRecord | None = None,
    focus_id: str | None = None,
) -> CustomerScreen:
    """Load the view (unless given) and open its case (unless given): the screen to push."""
    if view is None:
        view = await session.load(customer_ids)
    if case is None:
        case = await session.open_case(query, view)
    return CustomerScreen(session, view, case, focus_id=focus_id)


# ----------------------------------------------------------------------------- screen


class CustomerScreen(ReportsWorkerFailures, Screen[None]):
    """One case: one customer, or several customers that share an email."""

    HELP = (
        "Rows marked ! are the ones an anomaly concerns. Enter on an anomaly jumps to its rows. "
        "Classify (c) before any money moves; then act (a) and hand off (h)."
    )

    BINDINGS = [
        Binding("escape", "back", "Back", id="customer.back", tooltip="Back to the search"),
        Binding("r", "refresh", "Refresh", id="customer.refresh", tooltip="Reload from Stripe"),
        Binding("y", "copy_id", "Copy id", id="customer.copy-id", tooltip="Copy the row's id"),
        Binding(
            "Y",
            "copy_url",
            "Copy URL",
            show=False,
            id="customer.copy-url",
            tooltip="Copy the Stripe Dashboard URL of the selected object",
        ),
        Binding(
            "c",
            "classify",
            "Classify",
            id="customer.classify",
            tooltip="Classify the case (required before any money moves)",
        ),
        Binding("a", "act", "Act", id="customer.act", tooltip="Recommended actions, with diffs"),
        Binding("h", "handoff", "Handoff", id="customer.handoff", tooltip="Write the handoff"),
        Binding(
            "n",
            "focus_anomalies",
            "Anomalies",
            show=False,
            id="customer.anomalies",
            tooltip="Focus the anomaly list",
        ),
        *(
            Binding(
                str(index),
                f"show_tab('{tab.id}')",
                tab.title,
                show=False,
                id=f"customer.tab-{tab.id}",
                tooltip=f"Show the {tab.title.lower()} tab",
            )
            for index, tab in enumerate(TABS, start=1)
        ),
    ]

    #: Command-palette entries (title, action, help) offered while this screen is open.
    PALETTE: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("case: Classify", "classify", "The classification wizard (before any money moves)"),
        ("case: Act", "act", "Recommended actions with their diffs"),
        ("case: Handoff", "handoff", "The six-section handoff and the follow-up"),
        ("case: Refresh", "refresh", "Reload this customer from Stripe"),
        ("copy: Selected id", "copy_id", "Copy the selected row's id"),
        ("copy: Dashboard URL", "copy_url", "Copy the Stripe Dashboard URL of the selected row"),
    )

    def palette_commands(self) -> Iterator[PaletteCommand]:
        """This screen's palette entries (before the App's global ones)."""
        for title, action, text in self.PALETTE:
            yield PaletteCommand(title, text, partial(self.run_action, action))

    def __init__(
        self,
        session: Session,
        view: CaseView,
        case: CaseRecord,
        *,
        focus_id: str | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.view = view
        self.case = case
        #: The object the operator searched for (``sub_…``, ``in_…``): the cursor starts on it.
        self.focus_id = focus_id
        self.classification: Classification | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, self._where(), id="header")
        with Vertical(id="customer-body"):
            yield Static(id="identity")
            yield Static(NOT_CLASSIFIED, id="case-status")
            yield AnomalyList(id="anomalies")
            with TabbedContent(id="tabs"):
                for tab in TABS:
                    with TabPane(tab.title, id=tab.id):
                        yield Static("", id=f"{tab.id}-failure", classes="failure")
                        yield IdTable(tab.columns, id=f"{tab.id}-table")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show(self.view)
        if not (self.focus_id and self.go_to_rows([self.focus_id], quiet=True)):
            self.query_one("#anomalies", AnomalyList).focus()
        self.load_classification()

    @work(group="case-log", exit_on_error=False, description="reading the case's classification")
    async def load_classification(self) -> None:
        """A reopened case keeps its recorded classification (money actions stay open)."""
        found = await self.session.classification(self.case.id)
        if found is not None and self.classification is None:
            self.classification = found
            self._update_status()

    def _where(self) -> str:
        names = ", ".join(c.name or c.id for c in self.view.snapshot.customers)
        return f"{names} · case {self.case.id}"

    def _show(self, view: CaseView) -> None:
        """Fill every part of the screen from ``view``."""
        self.view = view
        snapshot = view.snapshot
        self.query_one("#identity", Static).update(identity_text(snapshot))
        self.query_one(ModeHeader).set_where(self._where())
        self.query_one("#anomalies", AnomalyList).set_anomalies(view.anomalies)
        marked = {ref for anomaly in view.anomalies for ref in anomaly.refs}
        tabs = self.query_one(TabbedContent)
        for tab in TABS:
            rows = ROWS[tab.id](snapshot)
            self.table(tab.id).set_rows(rows, marked=marked)
            failure = failure_text(snapshot, tab.parts)
            notice = self.query_one(f"#{tab.id}-failure", Static)
            notice.update(failure)
            notice.display = bool(failure)
            label = f"{tab.title} ({len(rows)})" + (" !" if failure else "")
            tabs.get_tab(tab.id).label = label
        self._update_status()

    def _update_status(self) -> None:
        status = self.query_one("#case-status", Static)
        problems = [
            f"Could not load {f.part.replace('_', ' ')}: {f.message}"
            for f in self.view.snapshot.failures
            if not any(f.part in tab.parts for tab in TABS)
        ]
        classification = self.classification
        partial = completeness_guard(self.view.snapshot)
        if classification is None:
            line = NOT_CLASSIFIED
        elif classification.ready_for_money and classification.final is not None:
            opened = (
                "Actions are open" if partial is None else "Actions that move no money are open"
            )
            line = f"Classified: {classification.final.label}. {opened} — press a."
        else:
            line = f"Not ready for money: {classification.blocked_reason()}."
        if partial is not None:
            problems.insert(0, f"No money moves on this load: {partial}.")
        status.update("\n".join([line, *problems]))
        ready = classification is not None and classification.ready_for_money
        status.set_class(not ready or partial is not None, "-blocked")

    def table(self, tab_id: str) -> IdTable:
        return self.query_one(f"#{tab_id}-table", IdTable)

    # ------------------------------------------------------------------ anomalies

    @on(AnomalyList.Chosen)
    def _anomaly_chosen(self, event: AnomalyList.Chosen) -> None:
        self.go_to_rows(event.anomaly.refs)

    def go_to_rows(self, refs: Iterable[str], *, quiet: bool = False) -> bool:
        """Switch to the tab of the first ref that has a row and put the cursor on it."""
        for ref in refs:
            for tab in TABS:
                table = self.table(tab.id)
                if ref in table.ids:
                    self.query_one(TabbedContent).active = tab.id
                    table.move_to(ref)
                    table.focus()
                    return True
        if not quiet:
            self.notify("This anomaly concerns the customer record or the account, shown above.")
        return False

    # ------------------------------------------------------------------ selection

    def selected_id(self) -> str:
        """The id under the cursor of the visible tab (else the first customer's id)."""
        active = self.query_one(TabbedContent).active
        if active:
            selected = self.table(active).selected_id
            if selected:
                return selected
        return self.view.snapshot.primary.id

    def action_copy_id(self) -> None:
        self.notify(copy_to_clipboards(self.app, self.selected_id(), what=self.selected_id()))

    def action_copy_url(self) -> None:
        object_id = self.selected_id()
        live = self.session.info.mode == "live"
        url = dashboard_url(object_id, live=live, customer_id=self.view.snapshot.primary.id)
        message = copy_to_clipboards(self.app, url, what="Dashboard URL")
        if self.session.info.mode == "demo":
            message += " (demo data: it is not in your Stripe account)"
        self.notify(message)

    def action_show_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id
        self.table(tab_id).focus()

    def action_focus_anomalies(self) -> None:
        self.query_one("#anomalies", AnomalyList).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    # ------------------------------------------------------------------ refresh

    def action_refresh(self) -> None:
        self.refresh_view()

    @work(exclusive=True, group="customer-load", exit_on_error=False, description="refresh")
    async def refresh_view(self) -> None:
        tabs = self.query_one(TabbedContent)
        status = self.query_one("#case-status", Static)
        status.update("Refreshing from Stripe…")
        tabs.loading = True
        try:
            view = await self.session.refresh(self.view)
        except GatewayError as error:
            self.notify(f"Refresh failed: {error}", severity="error", timeout=8)
            self._update_status()
            return
        finally:
            tabs.loading = False
        self._show(view)
        self.notify("Reloaded from Stripe.")

    # ------------------------------------------------------------------ the flow

    def action_classify(self) -> None:
        from screens.wizard import WizardScreen  # the flow screens load on first use

        practice = self.session.demo_ticket_for(self.view)  # the demo pre-fills its ticket
        wizard = WizardScreen(
            self.session, self.case.id, self.view, ticket=practice.ticket if practice else ""
        )
        self.app.push_screen(wizard, self._classified)

    def _classified(self, result: Classification | None) -> None:
        if result is None:
            return
        self.record_classification(result)

    @work(group="case-log", exit_on_error=False, description="record the classification")
    async def record_classification(self, result: Classification) -> None:
        await self.session.record_classification(self.case.id, result)
        self.classification = result
        self._update_status()

    def action_act(self) -> None:
        from screens.actions import ActionScreen

        screen = ActionScreen(self.session, self.case.id, self.view, self.classification)
        self.app.push_screen(screen, self._acted)

    def _acted(self, ran: bool | None) -> None:
        if ran:
            self.refresh_view()

    def action_handoff(self) -> None:
        from screens.handoff import HandoffScreen

        self.app.push_screen(HandoffScreen(self.session, self.case.id, self.view))
