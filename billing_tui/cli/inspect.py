"""``billing-tui inspect IDENTIFIER [--json]``: resolve, snapshot, detect, print.

Exit status: 0 found, 1 not found, 2 usage, authentication or connection error (the message
goes to stderr; with ``--json`` a JSON document ``{"error", "kind", "exit_code", "identifier"}``
goes to stdout as well, so ``--json`` always prints JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from billing_tui.cli.options import EXIT_ERROR, SubParsers, add_connection_options, json_error

if TYPE_CHECKING:
    from billing_tui.desk.session import Session

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1


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

    identifier, as_json = str(args.identifier), bool(args.json)
    try:
        session = command_session(args, "inspect")
    except ConnectionFailed as exc:
        return _failed("connection", str(exc), identifier, as_json, EXIT_ERROR)
    except CaseLogError as exc:
        return _failed("case_log", str(exc), identifier, as_json, EXIT_ERROR)
    return asyncio.run(_inspect(session, identifier, as_json=as_json))


def _failed(kind: str, message: str, identifier: str, as_json: bool, code: int) -> int:
    """The sentence on stderr; with ``--json`` the error document on stdout too."""
    from billing_tui.core.text import redact

    message, identifier = redact(message), redact(identifier)
    print(f"billing-tui inspect: {message}", file=sys.stderr)
    if as_json:
        document = json_error(kind, message, code, identifier=identifier)
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return code


async def _inspect(session: Session, identifier: str, *, as_json: bool) -> int:
    from billing_tui.cli.inspect_report import ChoiceReport, InspectReport
    from billing_tui.core.anomalies import detect
    from billing_tui.gateway import GatewayError, NotFound

    try:
        try:
            found = await session.inspect(identifier)
        except NotFound as exc:
            return _failed("not_found", str(exc), identifier, as_json, EXIT_NOT_FOUND)
        except GatewayError as exc:
            return _failed("stripe", str(exc), identifier, as_json, EXIT_ERROR)
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
