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
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import SubParsers, UsageError, add_connection_options, report_failure
from billing_tui.core.classify import Answers, Bucket, Classification
from billing_tui.core.plans import ActionKind, ActionOutcome, Plan, completeness_guard, settled
from billing_tui.core.plans.ledger import CaseLedger
from billing_tui.core.plans.replan import plan_status
from billing_tui.core.ticket import read_ticket

if TYPE_CHECKING:
    from billing_tui.desk.session import CaseView, Session
    from billing_tui.store.caselog import CaseRecord

#: Exit codes (``triage --help`` lists them): one home, read by run() and the epilog.
EXIT_OK = 0  # every selected action succeeded (or a dry run)
EXIT_FAILED = 1  # an action failed at Stripe; the remaining ones were not run
EXIT_USAGE = 2  # nothing was done: a usage, connection or case-log problem
EXIT_HELD = 3  # a money action was skipped (disputed, over-refund, partly loaded customer, …)

EXIT_CODES_HELP = f"""exit codes:
  {EXIT_OK}  every selected action succeeded, or a dry run (a failed reload after the
     actions is a warning line and a "refresh_error" in --json, not a failure)
  {EXIT_FAILED}  an action failed at Stripe; the remaining actions were not run
  {EXIT_USAGE}  nothing was done: usage, connection or case-log problem
  {EXIT_HELD}  a money action was held back and nothing was sent for it: the charge is
     disputed, the amount is more than is left, or another guard said why; also
     whenever part of the customer did not load (no money moves then: re-run once
     Stripe answers every request)"""

#: ``--action`` choices: every action kind, plus the variants an operator names directly.
ACTION_CHOICES = (
    *(k.value for k in ActionKind),
    "cancel_at_period_end",
    "update_quantity_now",
)


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "triage",
        help="classify, plan, execute and hand off one case without the TUI",
        description=(
            "Find the customer behind IDENTIFIER, classify the case, and print the recommended "
            "plans with their diffs (a dry run). With --yes the bucket and the contract shape "
            "are confirmed and the plans are executed (idempotently, logged to the case log), "
            "then the handoff is printed."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument(
        "--no-refund",
        metavar="REASON",
        help="record that the refund this case proposes (e.g. of a canceled duplicate's "
        "charge) is not made, and why; the refund is then no longer owed and the handoff's "
        "DECISION gives the reason (with --yes; a dry run only shows it)",
    )
    parser.add_argument(
        "--no-refund-charge",
        metavar="CHARGE",
        help="with --no-refund: the charge it is about, when the case proposes more than one "
        "refund",
    )
    parser.add_argument(
        "--new-intent",
        action="store_true",
        help="run the --action named as a further request on the same target (e.g. a second "
        "partial refund of the same charge); without it an action this customer already had "
        "done is not sent again",
    )
    parser.add_argument(
        "--take-over",
        action="store_true",
        help="act even though another operator (terminal) holds this customer: take it over",
    )
    ticket = parser.add_mutually_exclusive_group()
    ticket.add_argument(
        "--ticket",
        metavar="TEXT",
        help="what the customer wrote: its words answer the questions --answer leaves open",
    )
    ticket.add_argument(
        "--ticket-file",
        metavar="PATH",
        help="read the ticket from a file ('-' reads standard input)",
    )
    parser.add_argument("--locale", metavar="LANG", help="follow-up language (default: customer's)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_connection_options(parser)
    parser.set_defaults(handler=run)


class TriageError(UsageError):
    """A usage problem; the message says what to do."""


def parse_answers(items: Sequence[str]) -> Answers:
    answers = Answers()
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise TriageError(f"--answer {item!r}: write it as QUESTION=VALUE, e.g. q_team=yes")
        answers = answers.with_answer(key.strip(), value.strip())
    return answers


def _cancel_at_period_end(plans: Sequence[Plan]) -> list[Plan]:
    return [
        p
        for p in plans
        if p.kind == ActionKind.CANCEL_SUBSCRIPTION and p.param("mode") == "at_period_end"
    ]


def _update_quantity_now(plans: Sequence[Plan]) -> list[Plan]:
    return [
        p
        for p in plans
        if p.kind == ActionKind.UPDATE_QUANTITY
        and p.param("proration_behavior") == "create_prorations"
    ]


#: The named variants of ``--action`` (the other names are action kinds).
VARIANTS = {
    "cancel_at_period_end": _cancel_at_period_end,
    "update_quantity_now": _update_quantity_now,
}


def _of_kind(plans: Sequence[Plan], kind: ActionKind) -> list[Plan]:
    """The plans of ``kind``; a bare cancel or quantity change means the default variant
    (cancel now, no prorations) when there is one."""
    of_kind = [p for p in plans if p.kind == kind]
    if kind == ActionKind.CANCEL_SUBSCRIPTION:
        return [p for p in of_kind if p.param("mode") != "at_period_end"] or of_kind
    if kind == ActionKind.UPDATE_QUANTITY:
        return [
            p for p in of_kind if p.param("proration_behavior") != "create_prorations"
        ] or of_kind
    return of_kind


def _named(plans: Sequence[Plan], name: str) -> list[Plan]:
    """The plans ``--action NAME`` picks (raises TriageError when there are none)."""
    variant = VARIANTS.get(name)
    if variant is not None:
        found = variant(plans)
    else:
        of_kind = _of_kind(plans, ActionKind(name))
        found = [p for p in of_kind if p.recommended] or of_kind[:1]
    if not found:
        available = ", ".join(dict.fromkeys(p.kind.value for p in plans)) or "none"
        raise TriageError(f"--action {name}: no such plan for this case (plans: {available})")
    return found


def select_plans(plans: Sequence[Plan], wanted: Sequence[str]) -> list[Plan]:
    """The plans to run: the recommended possible ones, or those the operator named."""
    if not wanted:
        return [p for p in plans if p.recommended and p.possible]
    chosen: list[Plan] = []
    for name in dict.fromkeys(wanted):
        chosen += [p for p in _named(plans, name) if p not in chosen]
    order = {id(p): i for i, p in enumerate(plans)}
    return sorted(chosen, key=lambda p: order[id(p)])


def _declinable(plans: Sequence[Plan], charge: str | None) -> list[str]:
    """The charges ``--no-refund`` is about: the proposed refund's, or ``charge``'s."""
    proposed = list(
        dict.fromkeys(
            p.target_id
            for p in plans
            if p.kind == ActionKind.REFUND and p.superseded_by is None and p.target_id
        )
    )
    if charge:
        if charge not in proposed:
            raise TriageError(
                f"--no-refund-charge {charge}: no refund of it is proposed "
                f"(proposed: {', '.join(proposed) or 'none'})"
            )
        return [charge]
    if not proposed:
        raise TriageError("--no-refund: this case proposes no refund")
    if len(proposed) > 1:
        raise TriageError(
            f"--no-refund: this case proposes refunds of {', '.join(proposed)}: "
            "say which with --no-refund-charge"
        )
    return proposed


def held_back(plans: Sequence[Plan], selected: Sequence[Plan]) -> list[Plan]:
    """Recommended money moves a guard blocks: not selected (they cannot run), but run through
    the executor anyway so the case log and the exit code say they were held back."""
    return [
        p for p in plans if p.moves_money and p.recommended and not p.possible and p not in selected
    ]


def decide(
    classification: Classification, bucket: str | None, reason: str | None
) -> Classification:
    """Confirm the suggestion, or override it with ``--bucket`` (``--reason`` required)."""
    chosen = Bucket(bucket) if bucket else classification.suggested
    if chosen is None:
        return classification  # bucket none: a dry run that documents what was checked
    if chosen != classification.suggested and not (reason and reason.strip()):
        suggested = classification.suggested.value if classification.suggested else "none"
        raise TriageError(
            f"--bucket {chosen.value} overrides the suggestion ({suggested}): say why with --reason"
        )
    return classification.confirm(chosen, reason if chosen != classification.suggested else None)


def plan_lines(plan: Plan, ledger: CaseLedger | None = None) -> list[str]:
    status = plan_status(plan, ledger or CaseLedger())
    lines = [f"[{plan.step.value}] {plan.kind.value}: {plan.title}"]
    if status in ("done", "superseded"):  # the reason says what is done, and its action id
        lines.append(f"    {status.upper()}: {plan.blocked_reason}")
    elif plan.blocked_reason:
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


def _plan_json(plan: Plan, ledger: CaseLedger | None = None) -> dict[str, Any]:
    return {
        "kind": plan.kind.value,
        "title": plan.title,
        "status": plan_status(plan, ledger or CaseLedger()),
        "blocked_reason": plan.blocked_reason,
        "superseded_by": plan.superseded_by,
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
    from billing_tui.gateway import GatewayError
    from billing_tui.store.caselog import CaseLogError

    try:
        return asyncio.run(_run(args))
    except (TriageError, GatewayError, CaseLogError) as exc:
        report_failure("triage", exc, as_json=bool(args.json), code=EXIT_USAGE)
        return EXIT_USAGE


def read_ticket_text(args: argparse.Namespace) -> str:
    """``--ticket TEXT``, else the text of ``--ticket-file PATH`` (``-``: stdin), else ``""``."""
    path = getattr(args, "ticket_file", None)
    if path is None:
        return str(getattr(args, "ticket", None) or "")
    try:
        if path == "-":
            return sys.stdin.read()
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TriageError(f"--ticket-file {path}: cannot read it ({reason})") from None


async def _run(args: argparse.Namespace) -> int:
    answers = parse_answers(args.answer)
    args.ticket_text = read_ticket_text(args)
    session = _open(args)
    try:
        refuse_live(session, args)
        triage = Triage(session, args)
        await triage.run(answers)
    finally:
        await session.aclose()
    triage.print(as_json=bool(args.json))
    return triage.exit_code


def _open(args: argparse.Namespace) -> Session:
    """The session (on the real case log, also for the demo, as triage always did)."""
    from billing_tui.cli.opening import command_session
    from billing_tui.desk.connection import ConnectionFailed

    try:
        session = command_session(args, "triage", demo_cases_apart=False)
    except ConnectionFailed as exc:
        raise TriageError(str(exc)) from None
    return session


def refuse_live(session: Session, args: argparse.Namespace) -> None:
    """A LIVE key needs ``--live`` as well as ``--yes``: real money would move."""
    if args.yes and session.info.live and not args.live:
        raise TriageError(
            f"this is a LIVE key ({session.info.key_hint}): real money would move. "
            "Add --live as well as --yes to go ahead."
        )


class Triage:
    """One triage run, phase by phase; collects the JSON document and the text it prints."""

    def __init__(self, session: Session, args: argparse.Namespace) -> None:
        self.session = session
        self.args = args
        self.out: dict[str, Any] = {}
        self.text: list[str] = []
        self.failed = False
        self.held: list[ActionOutcome] = []  # money moves skipped by a guard
        self.partial = False  # the customer loaded only in part: no money may move
        self.recorded: list[ActionOutcome] = []  # --no-refund decisions written to the case
        self.ticket: str = getattr(args, "ticket_text", "") or ""

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        held = self.held or (self.partial and bool(self.args.yes))
        return EXIT_HELD if held else EXIT_OK

    async def run(self, answers: Answers) -> None:
        session, args = self.session, self.args
        for message in await session.reconcile():
            print(f"reconciled: {message}", file=sys.stderr)
        view = await self._find()
        if args.yes:  # one operator at a time per customer
            claim = await session.claim(view.customer_ids, take_over=bool(args.take_over))
            for note in claim.notes:
                print(f"billing-tui triage: {note}", file=sys.stderr)
        case = await session.open_case(args.identifier, view)
        suggestion, decided = await self._classify(case, view, answers)
        plans = self._plans(view, decided)
        if args.no_refund is not None:
            plans = await self._no_refund(case, view, decided, plans)
        selected = select_plans(plans, args.action)
        self._summary(case, view, suggestion, decided)
        self._completeness(view)
        if args.yes and decided.confirmed:
            held = held_back(plans, selected) if not args.action else []
            order = {id(p): i for i, p in enumerate(plans)}
            runs = sorted([*selected, *held], key=lambda p: order[id(p)])
            if args.new_intent:
                runs = await self._new_intents(case, runs)
            await self._execute(case, view, runs)
        else:
            if args.yes:
                self.text.append(
                    "nothing to execute: the evidence points at no billing problem (bucket "
                    "none); pass --bucket and --reason to act anyway"
                )
            self._dry_run(plans, selected, self.session.ledger_for(view))

    async def _find(self) -> CaseView:
        from billing_tui.gateway import GatewayError

        identifier = self.args.identifier
        try:
            resolution = await self.session.lookup(identifier)
            if not resolution.customer_ids:
                raise TriageError(f"no customer found for {identifier!r}")
            return await self.session.load(resolution.customer_ids)
        except GatewayError as exc:
            raise TriageError(str(exc)) from None

    async def _classify(
        self, case: CaseRecord, view: CaseView, answers: Answers
    ) -> tuple[Classification, Classification]:
        """The suggestion and the decision (recorded: a dry run never overwrites one)."""
        try:
            suggestion = self.session.suggest(view, answers, ticket=self.ticket)
        except ValueError as exc:
            raise TriageError(str(exc)) from None
        decided = decide(suggestion, self.args.bucket, self.args.reason)
        if decided.contract is not None:
            decided = decided.confirm_contract()
        if self.args.yes:
            await self.session.record_classification(case.id, decided)
        elif not case.classification:
            await self.session.record_classification(case.id, suggestion)
        return suggestion, decided

    def _plans(self, view: CaseView, decided: Classification) -> tuple[Plan, ...]:
        """The case's plans, the refunds set to ``--refund-amount`` when given."""
        plans = self.session.plans(view, decided)
        amount = self.args.refund_amount
        if not amount:
            return plans
        refunds = [p for p in plans if p.kind == ActionKind.REFUND]
        if not refunds:
            raise TriageError("--refund-amount: there is no refund plan for this case")
        try:
            adjusted = {
                id(p): self.session.refund_amount(view, decided, p, amount) for p in refunds
            }
        except ValueError as exc:
            raise TriageError(f"--refund-amount: {exc}") from None
        return tuple(adjusted.get(id(p), p) for p in plans)

    async def _no_refund(
        self, case: CaseRecord, view: CaseView, decided: Classification, plans: tuple[Plan, ...]
    ) -> tuple[Plan, ...]:
        """``--no-refund REASON``: the proposed refund is declined with a reason (recorded
        with ``--yes``; a dry run leaves it out and says it would be recorded)."""
        reason = (self.args.no_refund or "").strip()
        if not reason:
            raise TriageError("--no-refund: say why the charge is not refunded")
        if ActionKind.REFUND.value in self.args.action:
            raise TriageError("--no-refund and --action refund contradict each other")
        charges = _declinable(plans, self.args.no_refund_charge)
        if not (self.args.yes and decided.confirmed):
            self.text += [f"would record: not refunding {c}: {reason}" for c in charges]
            return tuple(
                p for p in plans if p.kind != ActionKind.REFUND or p.target_id not in charges
            )
        for charge in charges:
            self.recorded.append(await self.session.record_no_refund(case.id, view, charge, reason))
        return self.session.plans(view, decided)

    async def _new_intents(self, case: CaseRecord, selected: Sequence[Plan]) -> list[Plan]:
        """``--new-intent``: the named actions as further requests, each shown with what was
        already done on its target (in this case and, for refunds, tagged in Stripe)."""
        from billing_tui.gateway import GatewayError

        if not self.args.action:
            raise TriageError("--new-intent: say which action is the new request (--action KIND)")
        plans = []
        for plan in selected:
            try:
                done = [p for p in await self.session.prior_intents(case.id, plan) if p.done]
            except GatewayError as exc:
                raise TriageError(f"--new-intent: cannot read what was done: {exc}") from None
            already = "; ".join(p.describe() for p in done) or "nothing"
            self.text.append(f"already done on {plan.target_id}: {already}")
            self.out.setdefault("already_done", []).extend(p.describe() for p in done)
            plans.append(self.session.as_new_intent(plan))
        return plans

    def _summary(
        self,
        case: CaseRecord,
        view: CaseView,
        suggestion: Classification,
        decided: Classification,
    ) -> None:
        info = self.session.info
        bucket = decided.bucket.value if decided.bucket else None
        suggested = suggestion.suggested.value if suggestion.suggested else None
        self.out = {
            "case_id": case.id,
            "mode": info.mode,
            "dry_run": not (self.args.yes and decided.confirmed),
            "customer_ids": list(view.customer_ids),
            "anomalies": list(view.anomaly_codes),
            "suggested": suggested,
            "bucket": bucket,
            "confidence": suggestion.confidence,
            "evidence": [
                {"bucket": e.bucket.value, "sentence": e.sentence, "supports": e.supports}
                for e in suggestion.evidence
            ],
        }
        self.text += [
            f"case {case.id} · {info.describe()}",
            f"customer {view.masked_email} · {', '.join(view.customer_ids)} · anomalies "
            f"{', '.join(view.anomaly_codes) or 'none'}",
            f"bucket {bucket or 'none'} (suggested {suggested or 'none'}, confidence "
            f"{suggestion.confidence})",
        ]
        if decided.bucket:
            self.text += [
                f"  - {e.sentence}" for e in suggestion.evidence_for(decided.bucket) if e.supports
            ]
        self._ticket_summary(suggestion)
        self.text += contract_lines(decided, confirmed=bool(self.args.yes))

    def _ticket_summary(self, suggestion: Classification) -> None:
        """What the ticket's words said, and which answers they gave (the operator's win)."""
        reading = read_ticket(self.ticket)
        in_force = {(p.question_id, p.value, p.quote) for p in suggestion.pre_answers}
        self.out["answers"] = dict(suggestion.answers.values)
        self.out["ticket"] = [
            {
                "quote": e.quote,
                "start": e.start,
                "end": e.end,
                "language": e.phrase.language.value,
                "status": e.status.value,
                "answers": {a.question_id: a.value for a in e.phrase.answers},
                "request": e.phrase.request.value if e.phrase.request else None,
                "applied": [
                    a.question_id
                    for a in e.phrase.answers
                    if (a.question_id, a.value, e.quote) in in_force
                ],
            }
            for e in reading.evidence
        ]
        self.text += [f"  {line}" for line in reading.lines()]

    def _completeness(self, view: CaseView) -> None:
        """Say which parts of the customer did not load: no money moves until they do."""
        gaps = view.snapshot.completeness.incomplete
        self.out["incomplete"] = [
            {"part": g.part.value, "reason": g.reason, "message": [f.message for f in g.failures]}
            for g in gaps
        ]
        blocked = completeness_guard(view.snapshot)
        self.partial = blocked is not None
        if blocked is not None:
            self.text.append(f"warning: no money moves on this load: {blocked.replace(' (r)', '')}")

    def _dry_run(self, plans: Sequence[Plan], selected: Sequence[Plan], ledger: CaseLedger) -> None:
        self.text.append(
            "plans (dry run: nothing is sent; add --yes to execute the selected ones):"
        )
        for plan in plans:
            mark = "*" if plan in selected else " "
            self.text += [
                f"{mark} {line}" if i == 0 else f"  {line}"
                for i, line in enumerate(plan_lines(plan, ledger))
            ]
        self.out["actions"] = [_plan_json(p, ledger) for p in selected]
        self.out["plans"] = [_plan_json(p, ledger) for p in plans]
        self.out["handoff"] = None

    async def _execute(self, case: CaseRecord, view: CaseView, selected: Sequence[Plan]) -> None:
        """Run the selected plans in order (stop at the first failure), then hand off."""
        from billing_tui.gateway import GatewayError

        outcomes: list[ActionOutcome] = list(self.recorded)
        for plan in selected:
            outcome = await self.session.execute(
                case.id, view, plan, confirmation=plan.confirm_phrase
            )
            outcomes.append(outcome)
            self.text.append(f"{outcome.status}: {plan.title} — {outcome.message}")
            if outcome.status == "failed":
                self.failed = True
                self.text.append("stopped: the remaining actions were not run")
                break
            if plan.moves_money and not outcome.succeeded and not settled(view.snapshot, plan):
                self.held.append(outcome)
        self.out["actions"] = [_outcome_json(o) for o in outcomes]
        self.out["refresh_error"] = None
        try:
            view = await self.session.refresh(view)
        except GatewayError as exc:
            self.out["refresh_error"] = str(exc)
            self.text.append(
                f"warning: the actions above are done as shown, but reloading the customer "
                f"afterwards failed ({exc}); the handoff below shows the state before them"
            )
        handoff = await self.session.handoff(
            case.id, view, locale=self.args.locale, regenerate=bool(outcomes)
        )
        self.out["handoff"] = handoff.text()
        self.out["follow_up"] = handoff.follow_up
        self.out["product_gaps"] = [
            {"title": g.title, "body": g.body} for g in handoff.product_gaps
        ]
        self.text += ["", handoff.text().rstrip()]

    def print(self, *, as_json: bool) -> None:
        if as_json:
            print(json.dumps(self.out, indent=2, ensure_ascii=False))
        else:
            print("\n".join(self.text))


def contract_lines(decided: Classification, *, confirmed: bool) -> list[str]:
    """The contract shape the operator confirms with ``--yes`` (none without a contract)."""
    if decided.contract is None:
        return []
    head = (
        "contract shape (confirmed by --yes):"
        if confirmed
        else "contract shape (check it: running with --yes confirms it):"
    )
    return [head] + [
        f"  {line.subscription_id}: {line.price} · every {line.interval} · qty "
        f"{line.quantity} · {line.period_start} → {line.period_end} · prorations "
        f"{line.pending_prorations}"
        for line in decided.contract.lines
    ]
