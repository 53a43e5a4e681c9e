"""Action plans: what the workstation may do for a case, its diff, revenue impact and execution.

A :class:`Plan` is pure data computed from a snapshot and a classification; executing it is
write-ahead (the case log records the idempotency key before the Stripe call) and idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from billing_tui.model import Money


class ActionKind(StrEnum):
    PORTAL_SESSION = "portal_session"
    CANCEL_SUBSCRIPTION = "cancel_subscription"
    UPDATE_QUANTITY = "update_quantity"
    REFUND = "refund"
    RETRY_INVOICE_PAYMENT = "retry_invoice_payment"
    NO_OP = "no_op"


@dataclass(frozen=True)
class DiffRow:
    """One field that changes: ``object_id.field: before → after``."""

    object_id: str
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class RevenueImpact:
    refund: Money | None = None  # money returned to the customer now
    mrr_delta: Money | None = None  # change in monthly recurring revenue (negative = loss)
    arr_delta: Money | None = None

    def describe(self) -> str:
        parts: list[str] = []
        if self.refund:
            parts.append(f"refund {self.refund.format()}")
        if self.mrr_delta:
            parts.append(f"MRR {self.mrr_delta.format()}")
        if self.arr_delta:
            parts.append(f"ARR {self.arr_delta.format()}")
        return ", ".join(parts) or "no revenue change"


@dataclass(frozen=True)
class Plan:
    """One proposed action, with everything the operator must see before confirming it."""

    kind: ActionKind
    title: str  # "Cancel sub_… (Pro Monthly) immediately, no proration"
    target_id: str | None  # the subscription, charge, invoice or customer it acts on
    params: tuple[tuple[str, str], ...] = ()  # the call's parameters, for the diff and the key
    diff: tuple[DiffRow, ...] = ()
    api_calls: tuple[str, ...] = ()  # e.g. "POST /v1/refunds charge=ch_… amount=1900"
    reversible: bool = True
    reversal: str = ""  # how to undo it, or why it cannot be undone
    impact: RevenueImpact = field(default_factory=RevenueImpact)
    moves_money: bool = False  # refunds, cancels and quantity changes
    blocked_reason: str | None = None  # set when the plan cannot run; shown greyed with this
    rationale: str = ""  # why this step, in the safe order
    confirm_phrase: str | None = None  # what a LIVE operator must type to confirm

    @property
    def possible(self) -> bool:
        return self.blocked_reason is None
