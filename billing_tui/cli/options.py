"""Options shared by every command that talks to Stripe (or to the sandbox)."""

from __future__ import annotations

import argparse
import os
import sys


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
    group.add_argument(
        "--scenarios",
        nargs="+",
        metavar="NAME_OR_FILE",
        default=argparse.SUPPRESS,
        help="sandbox scenarios to load: catalog names, 'all', or paths to scenario files",
    )
    group.add_argument(
        "--population",
        type=int,
        metavar="N",
        default=argparse.SUPPRESS,
        help="extra generated customers in the sandbox (deterministic)",
    )
    group.add_argument(
        "--now",
        metavar="ISO8601",
        default=argparse.SUPPRESS,
        help="the sandbox clock (e.g. 2026-11-26T12:00:00Z); default: the current time",
    )
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


def announce(info: object, command: str) -> None:
    """Say, on stderr, what the operator must know about the key in use (its ``notice``)."""
    notice = getattr(info, "notice", None)
    if notice:
        print(f"billing-tui {command}: note: {notice}", file=sys.stderr)


def opt(args: argparse.Namespace, name: str, default: object = None) -> object:
    """An option that may be absent from ``args`` (the connection options are suppressed)."""
    return getattr(args, name, default)


def api_base(args: argparse.Namespace) -> str | None:
    value = opt(args, "api_base") or os.environ.get("BILLING_TUI_API_BASE")
    return str(value) if value else None
