"""The Textual App: key bindings, command palette, and the wiring of one operator session.

Thin on purpose: the screens (``screens/``) own their state, workers and palette commands; the
App owns what is global — the session, the keymap from the config file, help, the global
palette commands (``screens/palette.py`` asks the active screen for its own), the too-small
guard, and the one place where a failed worker becomes a readable notification
(``widgets/errors.py`` words it).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.command import Provider
from textual.screen import ModalScreen, Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from billing_tui.desk.preferences import known_profiles, load_keymap
from screens.connecting import ConnectingScreen
from screens.help import HelpScreen, help_rows
from screens.palette import BillingCommands, PaletteCommand
from screens.too_small import TooSmallScreen, is_too_small
from widgets.errors import describe_error
from widgets.header import ModeHeader
from widgets.messages import WorkerFailed

if TYPE_CHECKING:  # the search and customer screens load on first use: not in the first frame
    from billing_tui.desk.connection import ConnectionInfo
    from billing_tui.desk.session import CaseRecord, Session

#: The palette's profile switch: a profile name → a session on it (the CLI provides it).
OpenProfile = Callable[[str], Awaitable["Session"]]


@dataclass(frozen=True)
class Opening:
    """How the App gets its session when started from the command line: what the header
    shows meanwhile, and the blocking call that builds the session (run in a thread)."""

    preview: ConnectionInfo
    open: Callable[[], Session]


def _open_in_thread(opening: Opening) -> Session:
    """The opening, then the search screen's module (the gateway and the Stripe SDK come with
    it): both off the UI thread, so the swap to the search screen imports nothing."""
    session = opening.open()
    importlib.import_module("screens.search")
    return session


# ----------------------------------------------------------------------------- the App


class BillingApp(App[None]):
    """The billing workstation over one :class:`~billing_tui.desk.session.Session`."""

    TITLE = "billing-tui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = App.COMMANDS | {
        BillingCommands
    }
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="The keys of this screen"),
        Binding(
            "question_mark",
            "help",
            "Help",
            show=False,
            id="app.help-alt",
            tooltip="The keys of this screen (outside text boxes)",
        ),
        Binding(
            "f2",
            "search",
            "Search",
            show=False,
            id="app.search",
            tooltip="Look up another customer",
        ),
        Binding("f3", "cases", "Cases", show=False, id="app.cases", tooltip="Browse the case log"),
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", tooltip="Leave billing-tui"),
    ]

    def __init__(
        self,
        session: Session | None = None,
        *,
        opening: Opening | None = None,
        open_profile: OpenProfile | None = None,
        start_query: str | None = None,
        cursor_blink: bool = True,
    ) -> None:
        """Over a ready ``session``, or one the ``opening`` builds in a worker thread while
        the search screen already takes keystrokes (the start from the command line)."""
        super().__init__()
        if (session is None) == (opening is None):
            raise ValueError("BillingApp takes a ready session or an opening: exactly one")
        self._session = session
        self.opening = opening
        #: The palette's profile switch (without one, the palette offers none).
        self.open_profile = open_profile
        self.start_query = start_query
        #: Text boxes blink their cursor (off for screenshots and operators who prefer it).
        self.cursor_blink = cursor_blink
        self._too_small: TooSmallScreen | None = None
        #: What reconciling actions left in flight at the last exit found (the cases screen
        #: shows it as a banner).
        self.reconciled: tuple[str, ...] = ()
        #: Why the opening failed (the App left at once; the CLI prints it).
        self.start_failure: str | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the session is still connecting")
        return self._session

    @session.setter
    def session(self, session: Session) -> None:
        self._session = session

    @property
    def connected(self) -> bool:
        return self._session is not None

    def get_default_screen(self) -> Screen[Any]:
        if self._session is None:
            assert self.opening is not None
            return ConnectingScreen(self.opening.preview, start_query=self.start_query)
        from screens.search import SearchScreen

        return SearchScreen(self._session, start_query=self.start_query)

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._screen_changed)
        keymap = load_keymap()
        if keymap.bindings:
            self.set_keymap(dict(keymap.bindings))
        for problem in keymap.problems:
            self.notify(problem, title="Config file", severity="warning", timeout=10)
        if self._session is not None:
            self._session_ready(self._session)
        self._check_size(self.size.width, self.size.height)

    def on_ready(self, _: events.Ready) -> None:
        """The first frame is on screen: now build the session (its imports and the demo's
        sandbox would compete with the first frame for the interpreter)."""
        if self._session is None:
            self.connect()

    def _session_ready(self, session: Session) -> None:
        if session.info.notice:
            self.notify(session.info.notice, title="Stripe key", severity="warning", timeout=15)
        self.reconcile()

    async def on_unmount(self) -> None:
        if self._session is None:
            return
        try:
            await self._session.aclose()
        except Exception as error:  # leaving must never fail on a close
            self.log.warning(f"closing the session failed: {describe_error(error, '')}")

    # ------------------------------------------------------------------ the start

    @work(group="connect", exit_on_error=False, description="connecting")
    async def connect(self) -> None:
        """Build the session off the UI thread (the Stripe SDK, the sandbox, the case log),
        then show the search screen over the connecting one, keeping what was typed."""
        assert self.opening is not None
        try:
            session = await asyncio.to_thread(_open_in_thread, self.opening)
        except Exception as error:  # credentials, a bad scenario, the case log: leave, say why
            self.start_failure = describe_error(error, "")
            self.exit(return_code=2)
            return
        self._session = session
        if isinstance(self.screen, ConnectingScreen):
            await self._show_search(self.screen, session)
        # else help or the too-small guard covers it: swapped when it is back on top
        self._session_ready(session)

    async def _show_search(self, waiting: ConnectingScreen, session: Session) -> None:
        """The search screen over ``waiting``; Enter pressed meanwhile runs the search, text
        typed without Enter stays in the box."""
        from screens.search import SearchScreen

        if waiting.replaced:
            return
        waiting.replaced = True
        typed = waiting.typed
        screen = SearchScreen(session, start_query=typed.text if typed.submitted else None)
        # Over the connecting screen (the App's base screen cannot be replaced); nothing pops
        # back to it: the search screen is the bottom the App's actions return to.
        await self.push_screen(screen)
        if typed.text and not typed.submitted:
            box = screen.query_one("#query", Input)
            box.value = typed.text
            box.cursor_position = len(typed.text)

    # ------------------------------------------------------------------ the header

    def _screen_changed(self, screen: Screen[Any]) -> None:
        if isinstance(screen, ConnectingScreen) and self._session is not None:
            self.call_later(self._show_search, screen, self._session)
            return
        self.call_after_refresh(self._ensure_header, screen)

    def _ensure_header(self, screen: Screen[Any]) -> None:
        """Every full screen shows the mode banner, also screens that do not compose one."""
        if isinstance(screen, ModalScreen) or not screen.is_attached or not self.connected:
            return
        if screen.query(ModeHeader):
            return
        name = str(getattr(screen, "SUB_TITLE", "") or "")
        name = name or type(screen).__name__.removesuffix("Screen").lower()
        screen.mount(ModeHeader(self.session.info, f"billing-tui · {name}"))

    # ------------------------------------------------------------------ resilience

    @work(group="reconcile", exit_on_error=False, description="checking actions left in flight")
    async def reconcile(self) -> None:
        self.reconciled = tuple(await self.session.reconcile())
        for message in self.reconciled:
            self.notify(
                message, title="Left in flight at the last exit", severity="warning", timeout=15
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The App's own workers (screens forward theirs as :class:`WorkerFailed`)."""
        if event.state is WorkerState.ERROR:
            self.post_message(WorkerFailed(event.worker))

    def on_worker_failed(self, event: WorkerFailed) -> None:
        """The one place a failed worker is reported: a sentence, never a traceback."""
        worker = event.worker
        self.notify(
            describe_error(worker.error, worker.description),
            title="Something went wrong",
            severity="error",
            timeout=10,
        )

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        if is_too_small(width, height):
            if self._too_small is None:
                self._too_small = TooSmallScreen(width, height)
                self.push_screen(self._too_small)
            else:
                self._too_small.set_size(width, height)
        elif self._too_small is not None:
            screen, self._too_small = self._too_small, None
            screen.dismiss(None)

    # ------------------------------------------------------------------ global actions

    def action_help(self) -> None:
        screen = self.screen
        if isinstance(screen, HelpScreen | TooSmallScreen):
            return
        title = f"Keys — {type(screen).__name__.removesuffix('Screen') or 'screen'}"
        intro = str(getattr(screen, "HELP", "") or "")
        self.push_screen(HelpScreen(title, intro, help_rows(screen.active_bindings)))

    def action_search(self) -> None:
        """Back to the search screen (the bottom of the stack), the cursor in the search box."""
        from screens.search import SearchScreen

        while len(self.screen_stack) > 1 and not isinstance(self.screen, SearchScreen):
            self.pop_screen()
        if isinstance(self.screen, SearchScreen):
            self.screen.action_focus_input()

    def global_commands(self) -> Iterator[PaletteCommand]:
        """The palette entries that apply on every screen (after the screen's own)."""
        yield PaletteCommand(
            "search: Open customer", "Look up a customer by any identifier", self.action_search
        )
        yield PaletteCommand(
            "cases: Browse case log", "Continue an earlier case", self.action_cases
        )
        yield PaletteCommand(
            "plans: Plan mix, seats and churn",
            "Sweep the account: monthly vs annual, seats, churn",
            self.action_plans,
        )
        yield PaletteCommand(
            "plans: Duplicate audit",
            "Every duplicate subscription and customer across the account",
            partial(self.action_plans, audit=True),
        )
        current = self.session.info.profile if self.connected else None
        for profile in self.known_profiles() if self.connected and self.open_profile else ():
            if profile != current:
                yield PaletteCommand(
                    f"profile: Switch to {profile}",
                    "Reconnect with that profile's stored key (back to the search screen)",
                    partial(self.switch_profile, profile),
                )
        yield PaletteCommand("help: Keys", "The keys that work on this screen", self.action_help)
        yield PaletteCommand(
            "app: Switch theme", "Pick another colour theme", self.action_change_theme
        )
        yield PaletteCommand("app: Quit", "Leave billing-tui", self.exit)

    def known_profiles(self) -> tuple[str, ...]:
        """Profiles with a stored key (from the config file; no keyring access)."""
        try:
            return known_profiles()
        except Exception:  # a broken config file must not break the palette
            return ()

    @work(exclusive=True, group="profile", exit_on_error=False, description="switching profile")
    async def switch_profile(self, profile: str) -> None:
        """Reconnect as ``profile`` (keyring read off the UI thread), then start over on the
        search screen with the new session; the old session is closed."""
        from screens.search import SearchScreen

        if self.open_profile is None:
            return
        self.notify(f"Connecting with profile {profile}…")
        try:
            session = await self.open_profile(profile)
        except Exception as error:  # credentials, network: say so, keep the current session
            self.notify(
                describe_error(error, f"switching to profile {profile}"),
                title="Profile not switched",
                severity="error",
                timeout=10,
            )
            return
        old, self.session = self.session, session
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        # The new search screen goes on top of the old one (replacing the App's base screen
        # is not allowed); nothing pops back to the old one, whose session is closed below.
        await self.push_screen(SearchScreen(session))
        self.notify(f"Now working as profile {profile}: {session.info.describe()}")
        if session.info.notice:
            self.notify(session.info.notice, title="Stripe key", severity="warning", timeout=15)
        await old.aclose()

    def _still_connecting(self) -> bool:
        if not self.connected:
            self.notify("Still connecting to Stripe…", timeout=3)
        return not self.connected

    def action_plans(self, audit: bool = False) -> None:
        from screens.plans import PlansScreen

        if self._still_connecting():
            return
        self.push_screen(PlansScreen(self.session, open_audit=audit))

    def action_cases(self) -> None:
        from screens.cases import CasesScreen  # the flow screens load on first use

        if self._still_connecting():
            return
        screen = CasesScreen(self.session, reconciled=self.reconciled)
        self.push_screen(screen, self._case_chosen)

    def _case_chosen(self, record: CaseRecord | None) -> None:
        if record is not None:
            self.open_case(record)

    @work(exclusive=True, group="open", exit_on_error=False, description="opening the case")
    async def open_case(self, record: CaseRecord) -> None:
        from screens.customer import last_query, open_customer_screen

        self.notify(f"Opening case {record.id}…")
        screen = await open_customer_screen(
            self.session, last_query(record), tuple(record.customer_ids), case=record
        )
        await self.push_screen(screen)
