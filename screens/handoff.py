"""The handoff: six fixed sections, an editable follow-up, one-key copies, and resolving the case.

The sections are ``core.handoff.Section`` (titles spelled only there). The follow-up
is a TextArea saved to the case log; everything stays selectable on screen, so when no clipboard
works the operator can still select the text by hand.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from billing_tui.core.handoff import Handoff, Section
from screens.handoff_reason import ResolveReasonScreen
from widgets.clipboard import copy_to_clipboards
from widgets.header import ModeHeader
from widgets.messages import ReportsWorkerFailures

if TYPE_CHECKING:
    from billing_tui.desk.session import CaseView, Session


def with_follow_up(doc: Handoff, follow_up: str) -> Handoff:
    """The handoff with the operator's edited follow-up in its FOLLOW-UP section."""
    sections = tuple(
        (title, follow_up if title == Section.FOLLOW_UP else body) for title, body in doc.sections
    )
    return replace(doc, sections=sections, follow_up=follow_up)


def gap_text(doc: Handoff) -> str:
    """The product-gap backlog item(s), ready to paste into a tracker."""
    return "\n\n".join(f"{gap.title}\n\n{gap.body.rstrip()}" for gap in doc.product_gaps)


class HandoffScreen(ReportsWorkerFailures, Screen[None]):
    """Review, edit and copy the handoff of one case; mark it resolved."""

    HELP = (
        "The six sections of the handoff. c copies the follow-up (as edited), a the whole "
        "handoff, g the product-gap backlog item. e edits the follow-up, escape stops editing; "
        "leaving saves it. r marks the case resolved. Everything stays selectable on screen."
    )

    DEFAULT_CSS = """
    HandoffScreen #handoff-body {
        height: 1fr;
        padding: 0 1;
    }
    HandoffScreen .section-title {
        text-style: bold;
        color: $accent;
        margin-top: 1;
    }
    HandoffScreen .section-body {
        height: auto;
        padding-left: 2;
    }
    HandoffScreen #follow-up {
        height: auto;
        min-height: 5;
        max-height: 12;
        margin-left: 2;
    }
    """

    BINDINGS = [
        Binding(
            "c",
            "copy_follow_up",
            "Copy",
            id="handoff.copy-follow-up",
            tooltip="Copy the follow-up text (as edited) to the clipboard",
        ),
        Binding(
            "a",
            "copy_all",
            "Copy all",
            id="handoff.copy-all",
            tooltip="Copy the whole six-section handoff to the clipboard",
        ),
        Binding(
            "g",
            "copy_gap",
            "Copy gap",
            id="handoff.copy-gap",
            tooltip="Copy the product-gap backlog item to the clipboard",
        ),
        Binding(
            "e",
            "edit",
            "Edit",
            id="handoff.edit",
            tooltip="Edit the follow-up text (escape stops editing)",
        ),
        Binding(
            "ctrl+s",
            "save",
            "Save",
            id="handoff.save",
            tooltip="Save the follow-up text to the case log (leaving saves it too)",
            priority=True,
            show=False,
        ),
        Binding(
            "r",
            "resolve",
            "Resolve",
            id="handoff.resolve",
            tooltip="Save the follow-up and mark the case resolved",
        ),
        Binding(
            "escape",
            "leave",
            "Back",
            id="handoff.back",
            tooltip="Stop editing, or go back (the follow-up is saved first)",
        ),
    ]

    def __init__(self, session: Session, case_id: str, view: CaseView) -> None:
        super().__init__()
        self.session = session
        self.case_id = case_id
        self.view = view
        self.doc: Handoff | None = None
        self.saved_follow_up: str | None = None
        self.resolved = False

    def compose(self) -> ComposeResult:
        yield ModeHeader(self.session.info, f"Handoff · case {self.case_id}", id="header")
        with VerticalScroll(id="handoff-body"):
            yield Static("Building the handoff…", id="handoff-loading")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._load()

    # ------------------------------------------------------------------ loading

    @work(group="handoff-load", exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        try:
            # The billing state must be the one after the actions just taken, not the one the
            # case was opened with; if Stripe cannot be read, hand off from what is known.
            self.view = await self.session.refresh(self.view)
        except Exception as error:
            self.notify(
                f"Could not re-read the customer ({error}); the billing state is as loaded "
                "before the actions.",
                severity="warning",
            )
        try:
            doc = await self.session.handoff(self.case_id, self.view)
        except Exception as error:
            self.query_one("#handoff-loading", Static).update(
                f"[$error]Could not build the handoff:[/] {escape(str(error))}"
            )
            return
        self.doc = doc
        self.saved_follow_up = doc.follow_up
        body = self.query_one("#handoff-body", VerticalScroll)
        await body.remove_children()
        widgets: list[Static | TextArea] = []
        for title, text in doc.sections:
            widgets.append(Static(escape(title), classes="section-title"))
            if title == Section.FOLLOW_UP:
                widgets.append(
                    TextArea(doc.follow_up, id="follow-up", soft_wrap=True, show_line_numbers=False)
                )
            else:
                widgets.append(Static(escape(text.rstrip()) or "—", classes="section-body"))
        await body.mount_all(widgets)
        body.focus()

    # ------------------------------------------------------------------ state

    @property
    def follow_up(self) -> str:
        """The follow-up as the operator has edited it (the loaded one until then)."""
        areas = self.query("#follow-up")
        if areas:
            area = areas.first()
            if isinstance(area, TextArea):
                return area.text
        return self.doc.follow_up if self.doc is not None else ""

    @property
    def editing(self) -> bool:
        return isinstance(self.focused, TextArea)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"copy_follow_up", "copy_all", "copy_gap", "edit", "resolve"}:
            if self.editing:
                return False  # the letters type into the follow-up while editing
            if self.doc is None:
                return None
            if action == "copy_gap" and not self.doc.product_gaps:
                return None
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    # ------------------------------------------------------------------ actions

    def _copy(self, text: str, what: str) -> None:
        self.notify(copy_to_clipboards(self.app, text, what=what), title="Copied")

    async def _refused(self, doing: str) -> bool:
        """Ask the Session's checker about the handoff as edited; say why it is refused."""
        if self.doc is None:
            return True
        problems = await self.session.check_handoff(
            self.case_id, self.view, with_follow_up(self.doc, self.follow_up)
        )
        if not problems:
            return False
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.notify(
            f"{problems[0]}{more}. Edit the follow-up (e) first.",
            title=f"Not {doing}: the facts contradict it",
            severity="error",
        )
        return True

    @work(group="handoff-copy", exclusive=True, exit_on_error=False)
    async def action_copy_follow_up(self) -> None:
        if self.doc is None or await self._refused("copied"):
            return
        self._copy(self.follow_up, "Follow-up")

    @work(group="handoff-copy", exclusive=True, exit_on_error=False)
    async def action_copy_all(self) -> None:
        if self.doc is None or await self._refused("copied"):
            return
        self._copy(with_follow_up(self.doc, self.follow_up).text(), "Handoff")

    def action_copy_gap(self) -> None:
        if self.doc is None:
            return
        if not self.doc.product_gaps:
            self.notify("No product gap on this case.", severity="warning")
            return
        self._copy(gap_text(self.doc), "Product gap")

    def action_edit(self) -> None:
        areas = self.query("#follow-up")
        if areas:
            areas.first().focus()

    def action_save(self) -> None:
        self._save(resolve=False, leave=False)

    def action_resolve(self) -> None:
        if self.doc is None:
            return
        self._save(resolve=True, leave=False)

    def action_leave(self) -> None:
        if self.editing:
            self.query_one("#handoff-body", VerticalScroll).focus()
            return
        if self.doc is not None and self.follow_up != self.saved_follow_up:
            self._save(resolve=False, leave=True)
            return
        self.dismiss(None)

    @work(group="handoff-save", exclusive=False, exit_on_error=False)
    async def _save(self, *, resolve: bool, leave: bool) -> None:
        text = self.follow_up
        try:
            if text != self.saved_follow_up:
                await self.session.save_follow_up(self.case_id, text)
                self.saved_follow_up = text
                if not resolve and not leave:
                    self.notify("Follow-up saved to the case log.")
            if resolve:
                if await self._refused("resolved"):
                    return
                blockers = await self.session.resolve_blockers(self.case_id, self.view)
                reason: str | None = None
                if blockers:
                    reason = await self.app.push_screen_wait(ResolveReasonScreen(blockers))
                    if reason is None:
                        self.notify("Not resolved: the case stays open.")
                        return
                await self.session.resolve_case(self.case_id, reason)
                if reason:
                    self.doc = await self.session.handoff(self.case_id, self.view)
                self.resolved = True
                self.query_one(ModeHeader).set_where(f"Handoff · case {self.case_id} · resolved")
                self.notify("Case marked resolved.", title="Resolved")
        except Exception as error:
            self.notify(str(error), title="Could not save", severity="error")
            return
        if leave:
            self.dismiss(None)

    @on(TextArea.Changed, "#follow-up")
    def _follow_up_edited(self) -> None:
        self.refresh_bindings()
