"""Opening the operator's :class:`~billing_tui.desk.session.Session` for the command line:
one connect and case-log path for the workstation and every subcommand (and the
:class:`~billing_tui.desk.casebook.CaseBook` of ``cases``, which needs no connection).

The demo keeps its case log apart from the real one (``<data dir>/demo-cases``), so practice
cases never mix with real decisions (``triage`` keeps writing to the real log, as it always
has: ``demo_cases_apart=False``). Cheap to import: the session, the gateway and the case log
load when a session is opened.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from billing_tui.cli.options import announce, connection_options
from billing_tui.desk.connection import ConnectionTarget, open_connection, resolve_target

if TYPE_CHECKING:
    from billing_tui.desk.casebook import CaseBook
    from billing_tui.desk.session import Session


def tui_operator() -> str:
    """The OS user name the workstation records (``operator`` when there is none)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry / no login name (containers)
        return "operator"


def open_session(
    target: ConnectionTarget, *, operator: str, demo_cases_apart: bool = True
) -> Session:
    """Connect to ``target`` and open the case log: blocking (the workstation runs it in a
    worker thread). Raises ConnectionFailed, CredentialsError, CaseLogError…"""
    from billing_tui.desk.session import Session
    from billing_tui.store.caselog import CaseLog
    from billing_tui.store.config import data_dir

    connection = open_connection(target)
    demo = connection.info.mode == "demo"
    # A case log that cannot be opened leaves the client unused: it holds no connection yet.
    caselog = CaseLog(data_dir() / "demo-cases") if demo and demo_cases_apart else CaseLog()
    return Session(connection, caselog, operator=operator)


def command_session(
    args: argparse.Namespace,
    command: str,
    *,
    default_population: int = 0,
    demo_cases_apart: bool = True,
) -> Session:
    """The session of one subcommand (as :func:`default_operator`), its key notice said on
    stderr (``announce``)."""
    from billing_tui.store.caselog import default_operator

    options = connection_options(args, default_population=default_population)
    session = open_session(
        resolve_target(options),
        operator=default_operator(),
        demo_cases_apart=demo_cases_apart,
    )
    announce(session.info, command)
    return session


def case_book() -> CaseBook:
    """The operator's case log without a connection (``cases``); what the log reports about
    itself (files moved aside…) is said on stderr. Raises CaseLogError."""
    from billing_tui.desk.casebook import CaseBook

    book = CaseBook.open()
    for problem in book.problems:
        print(f"case log: {problem}", file=sys.stderr)
    return book
