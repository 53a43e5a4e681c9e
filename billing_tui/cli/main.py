"""The ``billing-tui`` command line: the TUI by default, plus non-interactive subcommands.

Each subcommand lives in its own module under :mod:`billing_tui.cli` and registers itself
through ``register(subparsers)``; modules are imported here only. The plain start of the
workstation (connection options only) is parsed without them: their option choices import the
domain, which the first frame does not need.
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


def _top_parser(*, light: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="billing-tui",
        add_help=not light,
        exit_on_error=not light,
        description=(
            "A keyboard-driven workstation for billing tickets on Stripe. Without a subcommand "
            "it opens the full-screen workstation."
        ),
    )
    parser.add_argument("--version", action="version", version=f"billing-tui {__version__}")
    add_connection_options(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _top_parser()
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The arguments; the subcommand modules load only when ``argv`` is more than the
    workstation's connection options (a subcommand, ``--help``, a typo: all as before)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    light = _top_parser(light=True)
    light.set_defaults(command=None)
    try:
        args, rest = light.parse_known_args(argv)
    except argparse.ArgumentError:  # the full parser says it, with its usage line
        rest = argv
    if not rest:
        return args
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        from billing_tui.cli.tui import run_tui

        return run_tui(args)
    result: int = handler(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
