"""The case ledger: what a case observed, decided, asked for and what came of it, as values.

Pure data (no I/O, no Textual). ``billing_tui.desk.records`` builds a :class:`CaseLedger` from
the case log and keeps its schema; the planner (:mod:`billing_tui.core.plans.recommend`), the
action screen, ``triage`` and the handoff read this one object:

- :class:`Observation` — what the snapshot held (customers, anomalies) and which parts of it
  could not be loaded (a money decision on an incomplete snapshot is visible as such);
- ``decided`` — the :class:`~billing_tui.core.classify.Classification` (bucket, answers,
  override reason, contract confirmation);
- :class:`Entry` — one thing the operator asked for (an :data:`Intent` with typed parameters)
  and its :class:`Outcome` (succeeded / failed with a typed
  :class:`~billing_tui.core.plans.plan.Failure` / skipped / pending: sent, answer not known).

A "not refunding because …" decision is an intent too (:class:`NoRefundIntent`): it is
recorded as a ``no_op`` action whose parameters say which charge and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias

from billing_tui.core.classify import Classification
from billing_tui.core.model import CustomerSnapshot, Money, PartFailure
from billing_tui.core.plans.plan import ActionKind, Failure, FailureKind, Plan, amount_of

# --------------------------------------------------------------------------- intents

#: The ``no_op`` parameter that marks a recorded "not refunding because …" decision.
NO_REFUND = "no_refund"


@dataclass(frozen=True)
class RefundIntent:
    charge_id: str
    amount: Money | None  # None: everything left on the charge
    reason: str


@dataclass(frozen=True)
class CancelIntent:
    subscription_id: str
    at_period_end: bool


@dataclass(frozen=True)
class SeatIntent:
    """A seat change *to* ``quantity`` seats (never "+N"), from ``quantity_before``."""

    subscription_id: str
    quantity: int
    quantity_before: int | None
    prorate_now: bool
    item_id: str | None = None


@dataclass(frozen=True)
class PortalIntent:
    customer_id: str
    flow: str | None = None
    subscription_id: str | None = None


@dataclass(frozen=True)
class RetryIntent:
    invoice_id: str


@dataclass(frozen=True)
class NoteIntent:
    note: str


@dataclass(frozen=True)
class NoRefundIntent:
    """The operator's recorded decision not to refund ``charge_id``, and why."""

    charge_id: str
    reason: str


Intent: TypeAlias = (
    RefundIntent
    | CancelIntent
    | SeatIntent
    | PortalIntent
    | RetryIntent
    | NoteIntent
    | NoRefundIntent
)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def intent_of(kind: ActionKind, params: Mapping[str, str]) -> Intent:
    """The typed intent of an action from its kind and its recorded parameters."""
    match kind:
        case ActionKind.REFUND:
            return RefundIntent(
                params.get("charge", ""), amount_of(params), params.get("reason", "")
            )
        case ActionKind.CANCEL_SUBSCRIPTION:
            return CancelIntent(
                params.get("subscription", ""), params.get("mode") == "at_period_end"
            )
        case ActionKind.UPDATE_QUANTITY:
            return SeatIntent(
                params.get("subscription", ""),
                _int_or_none(params.get("quantity")) or 0,
                _int_or_none(params.get("quantity_before")),
                params.get("proration_behavior") == "create_prorations",
                params.get("item") or None,
            )
        case ActionKind.PORTAL_SESSION:
            return PortalIntent(
                params.get("customer", ""),
                params.get("flow") or None,
                params.get("subscription") or None,
            )
        case ActionKind.RETRY_INVOICE_PAYMENT:
            return RetryIntent(params.get("invoice", ""))
        case _:
            if params.get("decision") == NO_REFUND:
                return NoRefundIntent(params.get("charge", ""), params.get("reason", ""))
            return NoteIntent(params.get("note", ""))


def intent_of_plan(plan: Plan) -> Intent:
    """What running ``plan`` asks for."""
    return intent_of(plan.kind, plan.param_map)


# --------------------------------------------------------------------------- outcomes


class OutcomeState(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # Stripe (or the gateway) refused it: ``failure`` says why
    SKIPPED = "skipped"  # nothing was sent (a guard, a missing confirmation)
    PENDING = "pending"  # written ahead or sent, no answer recorded: it may have happened


@dataclass(frozen=True)
class Outcome:
    state: OutcomeState
    stripe_ids: tuple[str, ...] = ()
    message: str = ""
    failure: Failure | None = None

    @property
    def done(self) -> bool:
        return self.state == OutcomeState.SUCCEEDED

    @property
    def may_have_happened(self) -> bool:
        """Succeeded, or sent without a known answer (a lost answer, a kill mid-call)."""
        return self.state in (OutcomeState.SUCCEEDED, OutcomeState.PENDING)

    @property
    def cause(self) -> FailureKind | None:
        return self.failure.kind if self.failure is not None else None


@dataclass(frozen=True)
class Entry:
    """One action of the case: what was asked for, and what came of it."""

    action_id: str
    kind: ActionKind
    intent: Intent
    outcome: Outcome
    title: str = ""
    at: datetime | None = None
    operator: str = ""


# --------------------------------------------------------------------------- observation


@dataclass(frozen=True)
class OwedCharge:
    """A refund the case owed when it looked: the charge of a duplicate it canceled."""

    charge_id: str
    subscription_id: str
    refundable: Money


@dataclass(frozen=True)
class Observation:
    """What the case saw in Stripe: whom, which anomalies, what could not be loaded, and the
    refunds it still owed then (so the case log alone can say what is owed)."""

    loaded_at: datetime
    customer_ids: tuple[str, ...]
    anomaly_codes: tuple[str, ...] = ()
    failures: tuple[PartFailure, ...] = ()
    owed_refunds: tuple[OwedCharge, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """One line: complete, or which parts failed."""
        if self.complete:
            return "snapshot complete"
        parts = ", ".join(dict.fromkeys(f.part for f in self.failures))
        return f"snapshot incomplete: {parts} could not be loaded"

    @classmethod
    def of(
        cls,
        snapshot: CustomerSnapshot,
        anomaly_codes: tuple[str, ...] = (),
        owed_refunds: tuple[OwedCharge, ...] = (),
    ) -> Observation:
        return cls(
            snapshot.loaded_at,
            snapshot.customer_ids,
            anomaly_codes,
            snapshot.failures,
            owed_refunds,
        )


# --------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class CaseLedger:
    """Everything a case knows about itself; the planner's second input beside the snapshot."""

    case_id: str = ""
    observed: Observation | None = None
    decided: Classification | None = None
    entries: tuple[Entry, ...] = ()

    def with_entry(self, entry: Entry) -> CaseLedger:
        return replace(self, entries=(*self.entries, entry))

    @property
    def done(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.outcome.done)

    @property
    def failed(self) -> tuple[Entry, ...]:
        return tuple(
            e
            for e in self.entries
            if e.outcome.state in (OutcomeState.FAILED, OutcomeState.SKIPPED)
        )

    @property
    def pending(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.outcome.state == OutcomeState.PENDING)

    def cancel_of(self, subscription_id: str) -> Entry | None:
        """The case's cancel of ``subscription_id`` that succeeded or may have (latest first)."""
        for entry in reversed(self.entries):
            intent = entry.intent
            if (
                isinstance(intent, CancelIntent)
                and intent.subscription_id == subscription_id
                and entry.outcome.may_have_happened
            ):
                return entry
        return None

    @property
    def cancelled_subscriptions(self) -> tuple[str, ...]:
        """Subscriptions this case canceled (now or at period end), or may have."""
        found = [
            e.intent.subscription_id
            for e in self.entries
            if isinstance(e.intent, CancelIntent) and e.outcome.may_have_happened
        ]
        return tuple(dict.fromkeys(found))

    def refunds_of(self, charge_id: str) -> tuple[Entry, ...]:
        """The case's refunds of ``charge_id`` that succeeded or may have."""
        return tuple(
            e
            for e in self.entries
            if isinstance(e.intent, RefundIntent)
            and e.intent.charge_id == charge_id
            and e.outcome.may_have_happened
        )

    def no_refund(self, charge_id: str) -> tuple[Entry, NoRefundIntent] | None:
        """The operator's recorded "not refunding ``charge_id`` because …", if any."""
        for entry in reversed(self.done):
            intent = entry.intent
            if isinstance(intent, NoRefundIntent) and intent.charge_id == charge_id:
                return entry, intent
        return None

    def seat_changes(self, subscription_id: str) -> tuple[tuple[Entry, SeatIntent], ...]:
        """The case's seat changes of ``subscription_id`` that succeeded, oldest first."""
        return tuple(
            (e, e.intent)
            for e in self.entries
            if isinstance(e.intent, SeatIntent)
            and e.intent.subscription_id == subscription_id
            and e.outcome.done
        )

    def seats_before_case(self, subscription_id: str) -> int | None:
        """The seat count before the case's first seat change of the subscription."""
        changes = self.seat_changes(subscription_id)
        return changes[0][1].quantity_before if changes else None

    @property
    def open_failures(self) -> tuple[Entry, ...]:
        """Failed or skipped entries nothing later in the case did instead (same kind, same
        target): what a retry or a decision is still owed for."""
        return tuple(
            e
            for i, e in enumerate(self.entries)
            if e in self.failed
            and not any(
                later.outcome.done and _target(later) == _target(e)
                for later in self.entries[i + 1 :]
            )
        )

    @property
    def owed_refunds(self) -> tuple[OwedCharge, ...]:
        """The refunds owed when the case last looked, less those it refunded or declined
        with a reason since."""
        seen = self.observed.owed_refunds if self.observed is not None else ()
        return tuple(
            o
            for o in seen
            if self.no_refund(o.charge_id) is None
            and not any(e.outcome.done for e in self.refunds_of(o.charge_id))
        )

    def portal_links(self, flow: str | None = None) -> tuple[Entry, ...]:
        """Portal sessions this case created (optionally: with ``flow``)."""
        return tuple(
            e
            for e in self.done
            if isinstance(e.intent, PortalIntent) and (flow is None or e.intent.flow == flow)
        )


def _target(entry: Entry) -> tuple[ActionKind, str]:
    """What an entry acts on: its kind and the id it targets."""
    intent = entry.intent
    match intent:
        case NoRefundIntent():  # a decision settles a failed refund of the same charge
            return ActionKind.REFUND, intent.charge_id
        case RefundIntent():
            target = intent.charge_id
        case CancelIntent() | SeatIntent():
            target = intent.subscription_id
        case RetryIntent():
            target = intent.invoice_id
        case PortalIntent():
            target = intent.customer_id
        case NoteIntent():
            target = intent.note
    return entry.kind, target


#: A case that has done nothing yet (the planner's default).
EMPTY_LEDGER = CaseLedger()
