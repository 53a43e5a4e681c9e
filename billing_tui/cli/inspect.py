"""``billing-tui inspect IDENTIFIER [--json]``: resolve, snapshot, detect, print.

Exit status: 0 found, 1 not found, 2 usage, authentication or connection error (the message
goes to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from billing_tui.cli.options import SubParsers, add_connection_options

if TYPE_CHECKING:
    from billing_tui.desk.session import Session

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_ERROR = 2


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inspect",
        help="look up a customer and print their billing state and anomalies",
        description=(
            "Resolve an identifier (email, cus_/sub_/in_/ch_/pi_/re_/dp_ id, GitHub user or "
            "name), load every customer record behind it in parallel, and print the billing "
            "state and anomalies. Exit status: 0 found, 1 not found, 2 usage/auth/connection "
            "error."
        ),
    )
    parser.add_argument("identifier", help="what the ticket gives: email, Stripe id, GitHub user…")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    add_connection_options(parser)
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    from billing_tui.cli.opening import command_session
    from billing_tui.desk.connection import ConnectionFailed
    from billing_tui.store.caselog import CaseLogError

    try:
        session = command_session(args, "inspect")
    except (ConnectionFailed, CaseLogError) as exc:
        print(f"billing-tui inspect: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return asyncio.run(_inspect(session, str(args.identifier), as_json=bool(args.json)))


async def _inspect(session: Session, identifier: str, *, as_json: bool) -> int:
    from billing_tui.cli.inspect_report import ChoiceReport, InspectReport
    from billing_tui.core.anomalies import detect
    from billing_tui.gateway import GatewayError, NotFound

    try:
        try:
            found = await session.inspect(identifier)
        except NotFound as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
        except GatewayError as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_ERROR
    finally:
        await session.aclose()
    now = session.now()
    mode = session.info.mode
    report: InspectReport | ChoiceReport
    if found.snapshot is None:
        report = ChoiceReport.of(found, mode=mode, now=now)
    else:
        anomalies = detect(found.snapshot, now=now)
        report = InspectReport.of(found, found.snapshot, anomalies, mode=mode, now=now)
    print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if as_json else report.text())
    return EXIT_FOUND
