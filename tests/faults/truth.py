"""What a ticket should leave in Stripe, and what the sandbox's final state says happened.

Everything here reads the sandbox's own state (wire-shaped dicts), never the tool's output:
the tool's exit code is judged against these facts, not the other way round.

A :class:`Ticket` is one or more :class:`Step` s an operator runs in turn (each re-run until
the tool reports done). Each step carries the :class:`Intent` that should hold in Stripe once
it is done: which charges are refunded by how much (one refund each), which subscriptions are
cancelled. Anything else that moved is a defect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

#: The exit code that means "done": the ticket's result is in Stripe. Every other code
#: ``triage --help`` documents means "not done": 1 an action failed, 2 nothing was done
#: (usage, connection, case log), 3 a money action was held back (nothing sent for it).
EXIT_DONE = 0

#: Statuses of a refund that moved (or is moving) money.
_REFUND_MOVED = frozenset({"succeeded", "pending", "requires_action"})
#: Statuses of a subscription that still bills.
_LIVE = frozenset({"active", "trialing", "past_due", "unpaid", "incomplete"})

KEY = "sk_test_" + "Fa0lt5Su1te" + "x" * 13  # 24 alphanumerics after the prefix

DANA = "dana.whitfield@example.com"
VICTOR = "victor.almeida@example.com"
KEPT = "sub_dupcheckoutA"
DUPLICATE = "sub_dupcheckoutB"
DUPLICATE_CHARGE = "ch_dupcheckoutB001"
SCENARIOS = ("duplicate-checkout", "disputed-charge")


@dataclass(frozen=True)
class Intent:
    """The Stripe changes a step should have made, counted from the fresh sandbox."""

    refunds: Mapping[str, int] = field(default_factory=dict)
    """charge id -> amount (minor units) refunded by exactly one refund"""
    cancels: frozenset[str] = frozenset()
    """subscriptions cancelled (now or at period end)"""

    @property
    def changes(self) -> bool:
        return bool(self.refunds or self.cancels)


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    intent: Intent


@dataclass(frozen=True)
class Ticket:
    name: str
    title: str
    steps: tuple[Step, ...]

    @property
    def intent(self) -> Intent:
        return self.steps[-1].intent


WHOLE_INTENT = Intent(refunds={DUPLICATE_CHARGE: 1900}, cancels=frozenset({DUPLICATE}))

TICKETS: dict[str, Ticket] = {
    t.name: t
    for t in (
        Ticket(
            "whole",
            "whole duplicate ticket",
            (Step(("triage", DANA, "--yes"), WHOLE_INTENT),),
        ),
        Ticket(
            "cancel",
            "cancel only, then the rest",
            (
                Step(
                    ("triage", DANA, "--yes", "--action", "cancel_subscription"),
                    Intent(cancels=frozenset({DUPLICATE})),
                ),
                Step(("triage", DANA, "--yes"), WHOLE_INTENT),
            ),
        ),
        Ticket(
            "partial",
            "partial refund 5.00",
            (
                Step(
                    ("triage", DANA, "--yes", "--action", "refund", "--refund-amount", "5.00"),
                    Intent(refunds={DUPLICATE_CHARGE: 500}),
                ),
            ),
        ),
        Ticket(
            "disputed",
            "disputed customer",
            (Step(("triage", VICTOR, "--yes"), Intent()),),
        ),
    )
}


@dataclass(frozen=True)
class Baseline:
    """The fresh sandbox: what existed before the ticket."""

    refund_ids: frozenset[str]
    live_subscriptions: frozenset[str]
    disputed_customers: frozenset[str]

    @classmethod
    def of(cls, objects: Mapping[str, Mapping[str, JSON]]) -> Baseline:
        charges = objects.get("charge", {})
        disputed = {
            charges[d["charge"]]["customer"]
            for d in objects.get("dispute", {}).values()
            if d.get("charge") in charges
        }
        return cls(
            refund_ids=frozenset(objects.get("refund", {})),
            live_subscriptions=frozenset(
                s["id"] for s in objects.get("subscription", {}).values() if _billing(s)
            ),
            disputed_customers=frozenset(disputed),
        )


def _billing(subscription: JSON) -> bool:
    return subscription.get("status") in _LIVE and not subscription.get("cancel_at_period_end")


@dataclass(frozen=True)
class Facts:
    """What moved in Stripe since the baseline."""

    refunds: Mapping[str, tuple[int, ...]]
    """charge id -> the amounts of its new refunds"""
    refunded_customers: frozenset[str]
    cancelled: frozenset[str]

    @classmethod
    def of(cls, baseline: Baseline, objects: Mapping[str, Mapping[str, JSON]]) -> Facts:
        charges = objects.get("charge", {})
        refunds: dict[str, list[int]] = {}
        customers: set[str] = set()
        for refund in objects.get("refund", {}).values():
            if refund["id"] in baseline.refund_ids or refund.get("status") not in _REFUND_MOVED:
                continue
            refunds.setdefault(refund["charge"], []).append(int(refund["amount"]))
            charge = charges.get(refund["charge"])
            if charge is not None:
                customers.add(charge["customer"])
        subscriptions = objects.get("subscription", {})
        cancelled = {
            sub_id
            for sub_id in baseline.live_subscriptions
            if sub_id in subscriptions and not _billing(subscriptions[sub_id])
        }
        return cls(
            refunds={c: tuple(a) for c, a in refunds.items()},
            refunded_customers=frozenset(customers),
            cancelled=frozenset(cancelled),
        )


@dataclass(frozen=True)
class Verdict:
    """The defects of one trial, each true or false (the table counts trials)."""

    double_refund: bool = False
    over_refund: bool = False
    disputed_refund: bool = False
    refund_never_made: bool = False
    wrong_cancel: bool = False
    exit_not_truth: bool = False

    @property
    def bad(self) -> bool:
        return any(getattr(self, name) for name in BAD)


#: The defect columns, in table order (each must be 0).
BAD = (
    "double_refund",
    "over_refund",
    "disputed_refund",
    "refund_never_made",
    "wrong_cancel",
    "exit_not_truth",
)


def holds(intent: Intent, facts: Facts, baseline: Baseline) -> bool:
    """Stripe holds exactly the intent: each intended refund made once for its amount, each
    intended cancel made, nothing else moved."""
    refunds_ok = {c: (a,) for c, a in intent.refunds.items()} == dict(facts.refunds)
    return refunds_ok and facts.cancelled == intent.cancels


def exit_contradicts(intent: Intent, facts: Facts, baseline: Baseline, exit_code: int) -> bool:
    """Done while Stripe lacks the intent, or not done while Stripe holds an intended change.

    A step that intends no change (the disputed customer) holds from the start, so a
    "not done" exit cannot contradict Stripe there; its "done" still must not hide a refund.
    """
    done = exit_code == EXIT_DONE
    ok = holds(intent, facts, baseline)
    if done:
        return not ok
    return ok and intent.changes


def judge(
    ticket: Ticket,
    baseline: Baseline,
    final: Facts,
    step_results: Iterable[tuple[Facts, int]],
) -> Verdict:
    """The verdict on a trial: money and cancels from the final state, exits per step."""
    intent = ticket.intent
    double = any(len(a) > max(1, int(c in intent.refunds)) for c, a in final.refunds.items())
    over = any(sum(a) > intent.refunds.get(c, 0) for c, a in final.refunds.items())
    never = any(sum(final.refunds.get(c, ())) < amount for c, amount in intent.refunds.items())
    contradicted = any(
        exit_contradicts(step.intent, facts, baseline, code)
        for step, (facts, code) in zip(ticket.steps, step_results, strict=True)
    )
    return Verdict(
        double_refund=double,
        over_refund=over,
        disputed_refund=bool(final.refunded_customers & baseline.disputed_customers),
        refund_never_made=never,
        wrong_cancel=bool(final.cancelled - intent.cancels),
        exit_not_truth=contradicted,
    )
