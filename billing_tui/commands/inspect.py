"""`billing-tui inspect`: placeholder until its issue lands."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inspect", help="(not available yet)", description="Not available yet."
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    print("billing-tui inspect is not available yet", file=sys.stderr)
    return 2
