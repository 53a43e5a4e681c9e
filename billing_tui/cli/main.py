"""The ``billing-tui`` command line: the TUI by default, plus non-interactive subcommands.

Each subcommand lives in its own module under :mod:`billing_tui.cli` and registers itself
through ``register(subparsers)``; modules are imported here only, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from billing_tui import __version__
from billing_tui.cli.options import add_connection_options

#: Subcommand modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "billing_tui.cli.inspect",
    "billing_tui.cli.triage",
    "billing_tui.cli.cases",
    "billing_tui.cli.auth",
    "billing_tui.cli.plans",
    "billing_tui.cli.portal",
    "billing_tui.cli.sandbox",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billing-tui",
        description=(
            "A keyboard-driven workstation for billing tickets on Stripe. Without a subcommand "
            "it opens the full-screen workstation."
        ),
    )
    parser.add_argument("--version", action="version", version=f"billing-tui {__version__}")
    add_connection_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from billing_tui.cli.tui import run_tui

        return run_tui(args)
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
