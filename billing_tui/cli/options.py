"""Options shared by every command that talks to Stripe (or to the sandbox), and their turning
into the desk's :class:`~billing_tui.desk.connection.ConnectionOptions`.

The only argparse-facing code of the connection: ``billing_tui.desk`` never sees a Namespace.
Cheap to import (no ``stripe``, no sandbox), because every subcommand module imports it to
register its parser.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeAlias

from billing_tui.desk.connection import ConnectionFailed, ConnectionOptions

if TYPE_CHECKING:
    from billing_tui.desk.connection import ConnectionInfo

#: A usage, key, connection, case-log or Stripe error (the sentence goes to stderr).
EXIT_ERROR = 2


class UsageError(Exception):
    """A command was asked something it cannot do (a bad option value, no such plan): the
    message says what to do instead."""


def json_error(kind: str, message: str, code: int, **context: str) -> dict[str, object]:
    """The JSON document every ``--json`` command prints when it fails: ``{"error": "…the
    sentence…", "kind": "not_found", "exit_code": 1, …context}`` (``message`` already redacted
    by the caller)."""
    return {"error": message, "kind": kind, "exit_code": code, **context}


def report_failure(command: str | None, error: Exception, *, as_json: bool, code: int) -> None:
    """Say why ``command`` failed: one redacted sentence on stderr, and with ``as_json`` the
    :func:`json_error` document on stdout (an unexpected error says it is one)."""
    from billing_tui.core.text import redact

    kind, known = failure_kind(error)
    where = f"billing-tui {command}" if command else "billing-tui"
    message = redact(str(error).strip()) or type(error).__name__
    if not known:
        message = f"unexpected error ({type(error).__name__}): {message} — please report it"
    print(f"{where}: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps(json_error(kind, message, code), indent=2, ensure_ascii=False))


def failure_kind(error: Exception) -> tuple[str, bool]:
    """What failed, as the JSON document's ``kind``, and whether it is a known failure."""
    from billing_tui.core.errors import GatewayError
    from billing_tui.core.keys import CredentialsError
    from billing_tui.store.caselog import CaseLogError
    from billing_tui.store.config import ConfigError

    known: tuple[tuple[type[Exception], str], ...] = (
        (CaseLogError, "case_log"),
        (ConnectionFailed, "connection"),
        (CredentialsError, "credentials"),
        (ConfigError, "config"),
        (GatewayError, "stripe"),
    )
    for cls, kind in known:
        if isinstance(error, cls):
            return kind, True
    if isinstance(error, UsageError):
        return "usage", True
    return "internal", False


#: What ``add_subparsers()`` returns: each command module's ``register`` takes it.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
#: A parser or one of its argument groups: where options are added.
OptionGroup: TypeAlias = "argparse._ActionsContainer"


@dataclass(frozen=True)
class SandboxHelp:
    """The help texts of the sandbox options (``sandbox serve`` words its defaults itself)."""

    scenarios: str = "sandbox scenarios to load: catalog names, 'all', or paths to scenario files"
    population: str = "extra generated customers in the sandbox (deterministic)"
    now: str = "the sandbox clock (e.g. 2026-11-26T12:00:00Z); default: the current time"


def add_sandbox_options(group: OptionGroup, words: SandboxHelp = SandboxHelp()) -> None:
    """``--scenarios``, ``--population``, ``--now``: which sandbox to build, absent from the
    Namespace unless given (read them with :func:`opt`; ``--now`` with :func:`parse_time`).

    One definition for the connection options and ``sandbox serve``.
    """
    group.add_argument(
        "--scenarios",
        nargs="+",
        metavar="NAME_OR_FILE",
        default=argparse.SUPPRESS,
        help=words.scenarios,
    )
    group.add_argument(
        "--population",
        type=int,
        metavar="N",
        default=argparse.SUPPRESS,
        help=words.population,
    )
    group.add_argument("--now", metavar="ISO8601", default=argparse.SUPPRESS, help=words.now)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """``--demo``, ``--scenarios``, ``--profile``, ``--api-base``, ``--now``, ``--population``.

    Added to the top-level parser and to each subcommand, so they work before or after it
    (``billing-tui --demo inspect x`` and ``billing-tui inspect x --demo``).
    """
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the built-in Stripe sandbox with its seeded scenarios (no key, no network)",
    )
    add_sandbox_options(group)
    group.add_argument(
        "--profile",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="credentials profile (default: the remembered default profile)",
    )
    group.add_argument(
        "--api-base",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="Stripe-compatible API base URL, e.g. the loopback sandbox (BILLING_TUI_API_BASE)",
    )


def announce(info: ConnectionInfo, command: str) -> None:
    """Say, on stderr, what the operator must know about the key in use (its ``notice``)."""
    if info.notice:
        print(f"billing-tui {command}: note: {info.notice}", file=sys.stderr)


def opt(args: argparse.Namespace, name: str, default: object = None) -> object:
    """An option that may be absent from ``args`` (the connection options are suppressed)."""
    return getattr(args, name, default)


def api_base(args: argparse.Namespace) -> str | None:
    value = opt(args, "api_base") or os.environ.get("BILLING_TUI_API_BASE")
    return str(value) if value else None


def parse_time(text: str) -> datetime:
    """``2026-11-26T12:00:00Z`` (or any ISO 8601, ``Z``/``z`` or an offset; none means UTC) → an
    aware datetime. The one ``--now`` rule; ValueError with the sentence to show."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--now {text!r} is not an ISO 8601 time (e.g. 2026-11-26T12:00:00Z)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_now(text: str) -> datetime:
    """:func:`parse_time` for a connection: ConnectionFailed with the same sentence."""
    try:
        return parse_time(text)
    except ValueError as error:
        raise ConnectionFailed(str(error)) from None


def connection_options(
    args: argparse.Namespace, *, default_population: int = 0
) -> ConnectionOptions:
    """From the shared connection options (``--scenarios`` implies ``--demo``).

    ``default_population`` applies when ``--population`` is not given: the workstation and
    the plans report use ``DEMO_POPULATION`` so their account-wide screens have data.
    Raises ConnectionFailed for a bad ``--now``.
    """
    scenarios = opt(args, "scenarios")
    now = opt(args, "now")
    population = opt(args, "population", default_population)
    profile = opt(args, "profile")
    names = tuple(str(s) for s in scenarios) if isinstance(scenarios, list | tuple) else ()
    return ConnectionOptions(
        demo=bool(opt(args, "demo", False)) or bool(names),
        scenarios=names or ("all",),
        population=int(population) if isinstance(population, int | str) else 0,
        now=parse_now(str(now)) if now else None,
        profile=str(profile) if profile else None,
        api_base=api_base(args),
    )
