"""`billing-tui triage`: classify → plan → (confirm) → execute → hand off, without the TUI.

Without ``--yes`` it is a dry run: it prints the plans with their diffs and sends nothing.
With ``--yes`` it confirms the bucket (and the contract shape it printed) and runs the plans.
A LIVE key needs ``--live`` as well as ``--yes``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from billing_tui.cli.options import add_connection_options, announce
from billing_tui.core.classify import Answers, Bucket, Classification
from billing_tui.core.plans import ActionKind, ActionOutcome, Plan

#: ``--action`` choices: every action kind, plus the variants an operator names directly.
ACTION_CHOICES = (
    *(k.value for k in ActionKind),
    "cancel_at_period_end",
    "update_quantity_now",
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "triage",
        help="classify, plan, execute and hand off one case without the TUI",
        description=(
            "Find the customer behind IDENTIFIER, classify the case, and print the recommended "
            "plans with their diffs (a dry run). With --yes the bucket and the contract shape "
            "are confirmed and the plans are executed (idempotently, logged to the case log), "
            "then the handoff is printed."
        ),
    )
    parser.add_argument("identifier", metavar="IDENTIFIER", help="email, cus_/sub_/in_/ch_/pi_ id")
    parser.add_argument(
        "--bucket",
        choices=[b.value for b in Bucket],
        help="the bucket to use (default: the suggestion); overriding needs --reason",
    )
    parser.add_argument("--reason", metavar="TEXT", help="why the suggestion is overridden")
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="QUESTION=VALUE",
        help="answer a wizard question, e.g. q_team=yes or seats=3 (repeatable)",
    )
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        choices=ACTION_CHOICES,
        metavar="KIND",
        help=f"run only these actions (repeatable): {', '.join(ACTION_CHOICES)}",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm and execute (without it: a dry run)"
    )
    parser.add_argument(
        "--live", action="store_true", help="required with --yes when the key is a LIVE key"
    )
    parser.add_argument(
        "--refund-amount",
        metavar="AMOUNT",
        help="refund this much instead of the whole charge (partial), e.g. 9.50",
    )
    parser.add_argument("--locale", metavar="LANG", help="follow-up language (default: customer's)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_connection_options(parser)
    parser.set_defaults(handler=run)


class TriageError(Exception):
    """A usage problem; the message says what to do."""


def parse_answers(items: Sequence[str]) -> Answers:
    answers = Answers()
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise TriageError(f"--answer {item!r}: write it as QUESTION=VALUE, e.g. q_team=yes")
        answers = answers.with_answer(key.strip(), value.strip())
    return answers


def select_plans(plans: Sequence[Plan], wanted: Sequence[str]) -> list[Plan]:
    """The plans to run: the recommended possible ones, or those the operator named."""
    if not wanted:
        return [p for p in plans if p.recommended and p.possible]
    chosen: list[Plan] = []
    for name in dict.fromkeys(wanted):
        if name == "cancel_at_period_end":
            found = [
                p
                for p in plans
                if p.kind == ActionKind.CANCEL_SUBSCRIPTION and p.param("mode") == "at_period_end"
            ]
        elif name == "update_quantity_now":
            found = [
                p
                for p in plans
                if p.kind == ActionKind.UPDATE_QUANTITY
                and p.param("proration_behavior") == "create_prorations"
            ]
        else:
            kind = ActionKind(name)
            of_kind = [p for p in plans if p.kind == kind]
            if kind == ActionKind.CANCEL_SUBSCRIPTION:
                of_kind = [p for p in of_kind if p.param("mode") != "at_period_end"] or of_kind
            if kind == ActionKind.UPDATE_QUANTITY:
                of_kind = [
                    p for p in of_kind if p.param("proration_behavior") != "create_prorations"
                ] or of_kind
            found = [p for p in of_kind if p.recommended] or of_kind[:1]
        if not found:
            available = ", ".join(dict.fromkeys(p.kind.value for p in plans)) or "none"
            raise TriageError(f"--action {name}: no such plan for this case (plans: {available})")
        chosen += [p for p in found if p not in chosen]
    order = {id(p): i for i, p in enumerate(plans)}
    return sorted(chosen, key=lambda p: order[id(p)])


def decide(
    classification: Classification, bucket: str | None, reason: str | None
) -> Classification:
    """Confirm the suggestion, or override it with ``--bucket`` (``--reason`` required)."""
    chosen = Bucket(bucket) if bucket else classification.suggested
    if chosen is None:
        raise TriageError(
            "nothing in the evidence points at a billing problem: pass --bucket (and --reason) "
            "to act anyway"
        )
    if chosen != classification.suggested and not (reason and reason.strip()):
        suggested = classification.suggested.value if classification.suggested else "none"
        raise TriageError(
            f"--bucket {chosen.value} overrides the suggestion ({suggested}): say why with --reason"
        )
    return classification.confirm(chosen, reason if chosen != classification.suggested else None)


def plan_lines(plan: Plan) -> list[str]:
    lines = [f"[{plan.step.value}] {plan.kind.value}: {plan.title}"]
    if plan.blocked_reason:
        lines.append(f"    BLOCKED: {plan.blocked_reason}")
    if not plan.recommended:
        lines.append("    (alternative, on request)")
    if plan.rationale:
        lines.append(f"    why: {plan.rationale}")
    lines += [f"    diff: {row.text()}" for row in plan.diff]
    lines += [f"    call: {call}" for call in plan.api_calls]
    undo = "reversible" if plan.reversible else "NOT reversible"
    lines.append(f"    {undo}: {plan.reversal}")
    lines.append(f"    impact: {plan.impact.describe()}")
    lines += [f"    note: {w}" for w in plan.warnings]
    return lines


def _outcome_json(outcome: ActionOutcome) -> dict[str, Any]:
    plan = outcome.plan
    return {
        "kind": plan.kind.value,
        "title": plan.title,
        "status": outcome.status,
        "message": outcome.message,
        "amount": plan.amount.amount if plan.amount else None,
        "currency": plan.amount.currency if plan.amount else None,
        "target": plan.target_id,
        "params": dict(plan.params),
        "stripe_ids": list(outcome.stripe_ids),
        "request_id": outcome.request_id,
        "idempotency_key": outcome.idempotency_key,
    }


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "kind": plan.kind.value,
        "title": plan.title,
        "status": "blocked" if plan.blocked_reason else "planned",
        "blocked_reason": plan.blocked_reason,
        "recommended": plan.recommended,
        "amount": plan.amount.amount if plan.amount else None,
        "currency": plan.amount.currency if plan.amount else None,
        "target": plan.target_id,
        "params": dict(plan.params),
        "diff": [
            {"object": r.object_id, "field": r.field, "before": r.before, "after": r.after}
            for r in plan.diff
        ],
        "api_calls": list(plan.api_calls),
        "reversible": plan.reversible,
        "reversal": plan.reversal,
        "impact": plan.impact.describe(),
        "stripe_ids": [],
        "idempotency_key": None,
    }


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_run(args))
    except TriageError as exc:
        print(f"billing-tui triage: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace) -> int:
    from billing_tui.desk.connection import (
        ConnectionFailed,
        ConnectionOptions,
        connect,
    )
    from billing_tui.desk.session import Session
    from billing_tui.gateway import GatewayError
    from billing_tui.store.caselog import CaseLog, CaseLogError, default_operator

    answers = parse_answers(args.answer)
    try:
        connection = connect(ConnectionOptions.from_args(args))
        announce(connection.info, "triage")
    except ConnectionFailed as exc:
        raise TriageError(str(exc)) from None
    if args.yes and connection.info.live and not args.live:
        await connection.aclose()
        raise TriageError(
            f"this is a LIVE key ({connection.info.key_hint}): real money would move. "
            "Add --live as well as --yes to go ahead."
        )
    try:
        session = Session(connection, CaseLog(), operator=default_operator())
    except CaseLogError as exc:
        await connection.aclose()
        raise TriageError(str(exc)) from None
    out: dict[str, Any] = {}
    text: list[str] = []
    failed = False
    try:
        for message in await session.reconcile():
            print(f"reconciled: {message}", file=sys.stderr)
        try:
            resolution = await session.lookup(args.identifier)
            if not resolution.customer_ids:
                raise TriageError(f"no customer found for {args.identifier!r}")
            view = await session.load(resolution.customer_ids)
        except GatewayError as exc:
            raise TriageError(str(exc)) from None
        case = await session.open_case(args.identifier, view)
        try:
            suggestion = session.suggest(view, answers)
        except ValueError as exc:
            raise TriageError(str(exc)) from None
        decided = decide(suggestion, args.bucket, args.reason)
        if decided.contract is not None:
            decided = decided.confirm_contract()
        if args.yes:
            await session.record_classification(case.id, decided)
        elif not case.classification:
            await session.record_classification(case.id, suggestion)  # a dry run never overwrites
        plans = session.plans(view, decided)
        if args.refund_amount:
            refunds = [p for p in plans if p.kind == ActionKind.REFUND]
            if not refunds:
                raise TriageError("--refund-amount: there is no refund plan for this case")
            try:
                adjusted = {
                    id(p): session.refund_amount(view, decided, p, args.refund_amount)
                    for p in refunds
                }
            except ValueError as exc:
                raise TriageError(f"--refund-amount: {exc}") from None
            plans = tuple(adjusted.get(id(p), p) for p in plans)
        selected = select_plans(plans, args.action)
        bucket = decided.bucket.value if decided.bucket else None
        out = {
            "case_id": case.id,
            "mode": connection.info.mode,
            "dry_run": not args.yes,
            "customer_ids": list(view.customer_ids),
            "anomalies": list(view.anomaly_codes),
            "suggested": suggestion.suggested.value if suggestion.suggested else None,
            "bucket": bucket,
            "confidence": suggestion.confidence,
            "evidence": [
                {"bucket": e.bucket.value, "sentence": e.sentence, "supports": e.supports}
                for e in suggestion.evidence
            ],
        }
        text.append(f"case {case.id} · {connection.info.describe()}")
        text.append(
            f"customer {view.masked_email} · {', '.join(view.customer_ids)} · anomalies "
            f"{', '.join(view.anomaly_codes) or 'none'}"
        )
        text.append(
            f"bucket {bucket} (suggested {out['suggested']}, confidence {suggestion.confidence})"
        )
        text += (
            [f"  - {e.sentence}" for e in suggestion.evidence_for(decided.bucket) if e.supports]
            if decided.bucket
            else []
        )
        if decided.contract is not None:
            text.append(
                "contract shape (confirmed by --yes):"
                if args.yes
                else "contract shape (check it: running with --yes confirms it):"
            )
            text += [
                f"  {line.subscription_id}: {line.price} · every {line.interval} · qty "
                f"{line.quantity} · {line.period_start} → {line.period_end} · prorations "
                f"{line.pending_prorations}"
                for line in decided.contract.lines
            ]
        if not args.yes:
            text.append("plans (dry run: nothing is sent; add --yes to execute the selected ones):")
            for plan in plans:
                mark = "*" if plan in selected else " "
                text += [
                    f"{mark} {line}" if i == 0 else f"  {line}"
                    for i, line in enumerate(plan_lines(plan))
                ]
            out["actions"] = [_plan_json(p) for p in selected]
            out["plans"] = [_plan_json(p) for p in plans]
            out["handoff"] = None
        else:
            outcomes: list[ActionOutcome] = []
            for plan in selected:
                outcome = await session.execute(
                    case.id, view, plan, confirmation=plan.confirm_phrase
                )
                outcomes.append(outcome)
                text.append(f"{outcome.status}: {plan.title} — {outcome.message}")
                if outcome.status == "failed":
                    failed = True
                    text.append("stopped: the remaining actions were not run")
                    break
            out["actions"] = [_outcome_json(o) for o in outcomes]
            view = await session.refresh(view)
            handoff = await session.handoff(
                case.id, view, locale=args.locale, regenerate=bool(outcomes)
            )
            out["handoff"] = handoff.text()
            out["follow_up"] = handoff.follow_up
            out["product_gaps"] = [{"title": g.title, "body": g.body} for g in handoff.product_gaps]
            text.append("")
            text.append(handoff.text().rstrip())
    finally:
        await session.aclose()
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print("\n".join(text))
    return 1 if failed else 0
