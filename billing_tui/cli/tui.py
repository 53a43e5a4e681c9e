"""Start the full-screen workstation.

What can fail before the first frame without loading the Stripe SDK (a bad ``--now``, no key
for real Stripe) fails here, with one sentence on stderr and exit status 2, never inside the
TUI. The rest of the start (the ``StripeClient``, the sandbox for ``--demo``, the case log) runs
in a worker thread while the search screen already takes keystrokes; when it fails, the App
leaves at once and the sentence is printed here the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from functools import partial
from typing import TYPE_CHECKING

from billing_tui.cli.opening import open_session, tui_operator

if TYPE_CHECKING:
    from billing_tui.desk.connection import ConnectionTarget
    from billing_tui.desk.session import Session

#: Exit status for "could not start" (bad credentials, unreachable Stripe, bad options).
EXIT_CANNOT_START = 2


def resolve(args: argparse.Namespace) -> ConnectionTarget:
    """The quick half of the start: options and key (no Stripe SDK, no sandbox)."""
    from billing_tui.cli.options import connection_options
    from billing_tui.desk.connection import DEMO_POPULATION, resolve_target

    return resolve_target(connection_options(args, default_population=DEMO_POPULATION))


def build_profile_session(profile: str) -> Session:
    """A session on the real Stripe account of another credentials profile (the palette's
    profile switch). Reads the keyring: call it off the UI thread."""
    from billing_tui.desk.connection import ConnectionOptions, resolve_target

    return open_session(resolve_target(ConnectionOptions(profile=profile)), operator=tui_operator())


async def open_profile_session(profile: str) -> Session:
    """The App's ``open_profile`` callback: :func:`build_profile_session` in a thread."""
    return await asyncio.to_thread(build_profile_session, profile)


def run_tui(args: argparse.Namespace) -> int:
    from billing_tui.desk.connection import ConnectionFailed
    from billing_tui.store.config import ConfigError
    from billing_tui.store.credentials import CredentialsError

    try:
        target = resolve(args)
    except (ConnectionFailed, CredentialsError, ConfigError) as error:
        print(f"billing-tui: cannot start: {error}", file=sys.stderr)
        return EXIT_CANNOT_START

    from billing_tui.app import BillingApp, Opening

    start_query = getattr(args, "query", None)
    app = BillingApp(
        opening=Opening(target.preview(), partial(open_session, target, operator=tui_operator())),
        open_profile=open_profile_session,
        start_query=str(start_query) if start_query else None,
    )
    app.run()
    if app.start_failure is not None:
        print(f"billing-tui: cannot start: {app.start_failure}", file=sys.stderr)
        return EXIT_CANNOT_START
    return int(app.return_code or 0)
