"""`billing-tui cases`: the local case log from the command line (list, show, handoff, export).

Reads only the case log; no Stripe key or network is needed. A case log that cannot be read
(no such case, a broken file or directory) is a CaseLogError, which ``billing_tui.cli.main``
says in one sentence (a JSON error document with ``--json``) with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from billing_tui.cli.options import SubParsers
from billing_tui.core.classify import Bucket
from billing_tui.core.text import time_label

if TYPE_CHECKING:  # loaded by the handlers: registering the parser stays cheap
    from billing_tui.desk.casebook import CaseBook, RecordedDecision
    from billing_tui.store.caselog import ActionRecord, CaseRecord

STATUSES = ("open", "resolved")


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cases",
        help="list, show, hand off and export cases from the local case log",
        description=(
            "The local case log: every case, its classification, actions (with Stripe ids and "
            "idempotency keys), follow-up and product gaps. Reads the log only; no Stripe key "
            "is needed."
        ),
    )
    sub = parser.add_subparsers(dest="cases_command", metavar="ACTION")
    parser.set_defaults(handler=_missing_action, cases_parser=parser)

    p_list = sub.add_parser("list", help="list cases, open first, newest first")
    p_list.add_argument("--status", choices=STATUSES, help="only cases with this status")
    p_list.add_argument(
        "--bucket", choices=[b.value for b in Bucket], help="only cases in this bucket"
    )
    p_list.add_argument("--search", metavar="TEXT", help="match ids, queries or the masked email")
    p_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p_list.set_defaults(handler=_list)

    p_show = sub.add_parser("show", help="everything recorded about one case")
    p_show.add_argument("case_id", metavar="ID")
    p_show.add_argument(
        "--json",
        action="store_true",
        help="print the stored record as JSON, with its ledger (done, failed, still owed)",
    )
    p_show.set_defaults(handler=_show)

    p_handoff = sub.add_parser("handoff", help="print a case's handoff (the six sections)")
    p_handoff.add_argument("case_id", metavar="ID")
    p_handoff.set_defaults(handler=_handoff)

    p_export = sub.add_parser("export", help="export cases for an audit (CSV or JSON)")
    p_export.add_argument(
        "--since", metavar="DATE", type=_date, help="cases updated on or after YYYY-MM-DD"
    )
    p_export.add_argument("--format", choices=("csv", "json"), default="csv")
    p_export.set_defaults(handler=_export)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-01") from None


def _missing_action(args: argparse.Namespace) -> int:
    args.cases_parser.print_help(sys.stderr)
    return 2


def _book() -> CaseBook:
    from billing_tui.cli.opening import case_book

    return case_book()


def _with_ledger(book: CaseBook, record: CaseRecord) -> dict[str, object]:
    """The stored record, plus what its ledger says (done, failed, still owed)."""
    return {**record.to_json(), "ledger": book.ledger(record).to_json()}


def _list(args: argparse.Namespace) -> int:
    book = _book()
    records = book.cases(status=args.status, bucket=args.bucket, search=args.search)
    if args.json:
        found = [_with_ledger(book, r) for r in records]
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    if not records:
        print("no cases" + (" matching the filters" if args.status or args.bucket else ""))
        return 0
    header = ("CASE", "STATUS", "BUCKET", "CUSTOMER", "ACTIONS", "OWED", "OPENED", "OPERATOR")
    rows = [
        (
            r.id,
            r.status,
            r.bucket or "—",
            r.masked_email or "—",
            _actions_summary(r.actions),
            str(len(book.ledger(r).still_owed()) or "—"),
            time_label(r.opened_at),
            r.operator,
        )
        for r in records
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _actions_summary(actions: Sequence[ActionRecord]) -> str:
    if not actions:
        return "—"
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.status] = counts.get(action.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items())


def _show(args: argparse.Namespace) -> int:
    book = _book()
    record = book.case(args.case_id)  # a CaseLogError is said by main: one sentence, exit 2
    if args.json:
        print(json.dumps(_with_ledger(book, record), indent=2, ensure_ascii=False))
        return 0
    for line in show_lines(record):
        print(line)
    return 0


def show_lines(record: CaseRecord) -> list[str]:
    """Everything recorded about one case, as ``cases show`` prints it."""
    from billing_tui.desk.casebook import recorded_decision

    return [
        f"case {record.id} · {record.status} · operator {record.operator}",
        f"opened {time_label(record.opened_at)} UTC · updated {time_label(record.updated_at)} UTC",
        f"customer {record.masked_email} · {', '.join(record.customer_ids) or '—'}",
        f"searched {', '.join(record.queries) or '—'}",
        f"anomalies {', '.join(record.anomaly_codes) or 'none'}",
        *_classification_lines(recorded_decision(record)),
        *_contract_lines(record.contract),
        *_action_lines(record.actions),
        *_ledger_lines(record),
        *(["product gaps: " + "; ".join(record.product_gaps)] if record.product_gaps else []),
        *_follow_up_lines(record.follow_up),
    ]


def _classification_lines(recorded: RecordedDecision | None) -> list[str]:
    if recorded is None:
        return []
    decision = recorded.decision
    state = "confirmed" if decision.confirmed else "not confirmed"
    # a record without a confidence has always shown 0
    confidence = "0" if recorded.confidence is None else str(recorded.confidence)
    lines = [
        f"bucket {recorded.bucket or '—'} ({state}; suggested {recorded.suggested or 'none'}, "
        f"confidence {confidence})"
    ]
    if decision.override_reason:
        lines.append(f"override reason: {decision.override_reason}")
    if decision.answers:
        lines.append("answers: " + ", ".join(f"{k}={v}" for k, v in decision.answers))
    return lines


def _contract_lines(contract: Mapping[str, object] | None) -> list[str]:
    from billing_tui.desk.records import ContractRecord

    if not contract:
        return []
    check = ContractRecord.from_json(contract)
    state = "confirmed" if check.confirmed else "NOT confirmed"
    return [f"contract shape {state}: {'; '.join(check.reasons)}"]


def _action_lines(actions: Sequence[ActionRecord]) -> list[str]:
    from billing_tui.desk.records import outcome_of

    lines = ["actions:" if actions else "actions: none"]
    for a in actions:
        result = outcome_of(a)
        ids = ", ".join(result.stripe_ids) or "—"
        line = f"  {a.id} {a.kind} {a.status} · {ids} · key {a.idempotency_key}"
        if result.error:
            line += f" · error: {result.error}"
        lines.append(line)
        lines.append(f"    params: {', '.join(f'{k}={v}' for k, v in a.params.items())}")
    return lines


def _ledger_lines(record: CaseRecord) -> list[str]:
    """What the case did, what failed, and what it still owes (as it last observed Stripe)."""
    from billing_tui.desk.records import ledger_report

    report = ledger_report(record)
    lines = [f"done: {', '.join(f'{e.title} ({e.action_id})' for e in report.done) or 'nothing'}"]
    lines += [f"failed: {e.title} ({e.action_id}): {e.outcome.message}" for e in report.failed]
    owed = report.still_owed()
    lines.append("still owed: " + ("nothing" if not owed else owed[0]))
    lines += [f"  {line}" for line in owed[1:]]
    return lines


def _follow_up_lines(follow_up: str | None) -> list[str]:
    if not follow_up:
        return []
    return ["follow-up:", *(f"  {line}" for line in follow_up.splitlines())]


def _handoff(args: argparse.Namespace) -> int:
    print(_book().handoff(args.case_id).text(), end="")
    return 0


def _export(args: argparse.Namespace) -> int:
    sys.stdout.write(_book().export(since=args.since, fmt=args.format))
    return 0
