"""The ``billing-tui`` command line: the TUI by default, plus non-interactive subcommands.

Each subcommand lives in its own module under :mod:`billing_tui.cli` and registers itself
through ``register(subparsers)``; modules are imported here only. The plain start of the
workstation (connection options only) is parsed without them: their option choices import the
domain, which the first frame does not need.

No traceback reaches the operator: :func:`main` turns any exception a command lets out into one
redacted sentence on stderr (and, with ``--json``, a JSON error document on stdout) and an exit
status — 2 for a known failure (connection, key, case log, Stripe, config), 70 (``EX_SOFTWARE``)
for an unexpected one. A reader that stops early (``billing-tui cases list | head``) ends the
command quietly with 141 (128 + SIGPIPE, what a shell reports for a writer cut off by a pipe):
stdout is pointed at ``/dev/null`` so nothing more is written, rather than restoring the
default SIGPIPE action, which would kill the process in the middle of a case-log write.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from billing_tui import __version__
from billing_tui.cli.options import (
    EXIT_ERROR,
    add_connection_options,
    failure_kind,
    report_failure,
)

#: An unexpected error (sysexits' EX_SOFTWARE): a bug, said in one sentence.
EXIT_INTERNAL = 70
#: stdout was closed by its reader (``| head``): 128 + SIGPIPE, as a shell reports it.
EXIT_BROKEN_PIPE = 141
#: The operator pressed ctrl+c outside the workstation: 128 + SIGINT.
EXIT_INTERRUPTED = 130

EPILOG = (
    "Exit status: 0 done; 2 a usage, key, connection, case-log or Stripe error (one sentence on "
    'stderr; with --json also a JSON document {"error", "kind", "exit_code"} on stdout); '
    "70 an unexpected error; 130 interrupted; 141 the output pipe was closed (| head). "
    "Subcommands add their own codes (see their --help)."
)

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
        epilog=EPILOG,
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
    args: argparse.Namespace | None = None
    try:
        args = parse(argv)
        code = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
    except BrokenPipeError:
        return _output_closed()
    except KeyboardInterrupt:
        print("billing-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place an unexpected error becomes a sentence
        try:
            return _report(error, args)
        except BrokenPipeError:
            return _output_closed()
    return code


def _run(args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    if handler is None:
        from billing_tui.cli.tui import run_tui

        return run_tui(args)
    result: int = handler(args)
    return result


def _output_closed() -> int:
    """stdout's reader has gone: write nothing more (not even at exit) and end quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (an embedding, a test capture)
        pass
    return EXIT_BROKEN_PIPE


def _report(error: Exception, args: argparse.Namespace | None) -> int:
    """One redacted sentence on stderr (a JSON document on stdout with ``--json``)."""
    command = getattr(args, "command", None)
    as_json = bool(getattr(args, "json", False)) or getattr(args, "format", None) == "json"
    code = EXIT_ERROR if failure_kind(error)[1] else EXIT_INTERNAL
    report_failure(command, error, as_json=as_json, code=code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
