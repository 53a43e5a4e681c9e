"""Classification: one bucket per case, with evidence, before any money moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType


class Bucket(StrEnum):
    DUPLICATE_PERSONAL = "duplicate_personal"
    TEAM_INTENT = "team_intent"
    FAILED_PAYMENT = "failed_payment"
    MISSING_SELF_SERVE = "missing_self_serve"
    PRODUCT_FAILURE = "product_failure"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Evidence:
    """One plain sentence for (``supports=True``) or against a bucket."""

    bucket: Bucket
    sentence: str
    supports: bool
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """A question that tells buckets apart; the wizard asks it, the answer changes the result."""

    id: str
    text: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    help: str = ""


@dataclass(frozen=True)
class Answers:
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, question_id: str) -> str | None:
        return self.values.get(question_id)

    def with_answer(self, question_id: str, value: str) -> Answers:
        return Answers(MappingProxyType({**self.values, question_id: value}))


@dataclass(frozen=True)
class ContractLine:
    """One subscription's contract shape, as the operator must confirm it."""

    subscription_id: str
    price: str  # price label, e.g. "Team Annual ($240.00/year)"
    interval: str  # e.g. "year", "3 months"
    quantity: int
    period_start: str  # ISO date
    period_end: str
    pending_prorations: str  # e.g. "none" or "2 proration lines, -$12.00 net"


@dataclass(frozen=True)
class ContractCheck:
    """Required for annual plans, team plans and anything with proration activity."""

    reasons: tuple[str, ...]
    lines: tuple[ContractLine, ...]
    confirmed: bool = False


@dataclass(frozen=True)
class Classification:
    """The suggestion, the evidence, and (once the operator confirms) the decided bucket."""

    suggested: Bucket | None  # None: nothing in the evidence points at a billing problem
    confidence: float  # 0..1
    evidence: tuple[Evidence, ...]
    questions: tuple[Question, ...]
    answers: Answers = field(default_factory=Answers)
    contract: ContractCheck | None = None
    bucket: Bucket | None = None  # set by confirm(): the operator's decision
    override_reason: str | None = None
    confirmed: bool = False

    @property
    def final(self) -> Bucket | None:
        return self.bucket if self.confirmed else None

    @property
    def overridden(self) -> bool:
        return self.confirmed and self.bucket != self.suggested

    @property
    def contract_pending(self) -> bool:
        return self.contract is not None and not self.contract.confirmed

    @property
    def ready_for_money(self) -> bool:
        """Money may move only after a confirmed bucket and a confirmed contract shape."""
        return self.confirmed and self.bucket is not None and not self.contract_pending

    def blocked_reason(self) -> str | None:
        if not self.confirmed or self.bucket is None:
            return "classify the case first (the wizard: c)"
        if self.contract_pending:
            return "confirm the contract shape (interval, quantity, price, period) first"
        return None

    def confirm(self, bucket: Bucket | None = None, reason: str | None = None) -> Classification:
        """Confirm the suggestion, or override it with ``bucket`` and a reason (required)."""
        chosen = bucket or self.suggested
        if chosen is None:
            raise ValueError("nothing to confirm: choose a bucket")
        if chosen != self.suggested and not (reason and reason.strip()):
            raise ValueError("overriding the suggested bucket needs a reason")
        return replace(self, bucket=chosen, override_reason=reason, confirmed=True)

    def confirm_contract(self) -> Classification:
        if self.contract is None:
            return self
        return replace(self, contract=replace(self.contract, confirmed=True))

    def evidence_for(self, bucket: Bucket) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.bucket == bucket)
