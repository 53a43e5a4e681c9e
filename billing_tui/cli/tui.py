"""Start the full-screen workstation.

Everything that can fail before the first frame (no key, a rejected key, an unreachable API, a
bad ``--now``) fails here, with one sentence on stderr and exit status 2, never inside the TUI.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_tui.desk.session import Session

#: Exit status for "could not start" (bad credentials, unreachable Stripe, bad options).
EXIT_CANNOT_START = 2


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name (containers)
        return "operator"


def build_session(args: argparse.Namespace) -> Session:
    """The operator's session for these options: the sandbox for ``--demo``, else Stripe.

    The demo keeps its case log apart from the real one (``<data dir>/demo-cases``), so
    practice cases never mix with real decisions.
    """
    from billing_tui.desk.connection import DEMO_POPULATION, ConnectionOptions, connect
    from billing_tui.desk.session import Session
    from billing_tui.store.caselog import CaseLog
    from billing_tui.store.config import data_dir

    options = ConnectionOptions.from_args(args, default_population=DEMO_POPULATION)
    connection = connect(options)
    caselog = CaseLog(data_dir() / "demo-cases") if connection.info.mode == "demo" else CaseLog()
    return Session(connection, caselog, operator=_operator())


def build_profile_session(profile: str) -> Session:
    """A session on the real Stripe account of another credentials profile (the palette's
    profile switch). Reads the keyring: call it off the UI thread."""
    from billing_tui.desk.connection import ConnectionOptions, connect
    from billing_tui.desk.session import Session
    from billing_tui.store.caselog import CaseLog

    connection = connect(ConnectionOptions(profile=profile))
    return Session(connection, CaseLog(), operator=_operator())


def run_tui(args: argparse.Namespace) -> int:
    from billing_tui.desk.connection import ConnectionFailed
    from billing_tui.gateway.errors import GatewayError
    from billing_tui.store.config import ConfigError
    from billing_tui.store.credentials import CredentialsError

    try:
        session = build_session(args)
    except (ConnectionFailed, CredentialsError, GatewayError, ConfigError) as error:
        print(f"billing-tui: cannot start: {error}", file=sys.stderr)
        return EXIT_CANNOT_START

    from billing_tui.app import BillingApp

    start_query = getattr(args, "query", None)
    app = BillingApp(session, start_query=str(start_query) if start_query else None)
    app.run()
    return int(app.return_code or 0)
