"""The handoff document's value types: the six sections, product gaps, actions as reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from billing_tui.core.model import Money
from billing_tui.core.plans import ActionKind, ActionOutcome


class Section(StrEnum):
    """The six handoff sections, in order: the one place their titles are spelled."""

    CUSTOMER = "CUSTOMER"
    BILLING_STATE = "BILLING STATE"
    DECISION = "DECISION"
    ACTION_TAKEN = "ACTION TAKEN"
    FOLLOW_UP = "FOLLOW-UP"
    PRODUCT_GAP = "PRODUCT GAP"


SECTION_TITLES: tuple[str, ...] = tuple(section.value for section in Section)


@dataclass(frozen=True)
class ProductGap:
    """A ready backlog item: a title and a Markdown body to paste into an issue tracker."""

    title: str
    body: str
    code: str = ""


@dataclass(frozen=True)
class Handoff:
    sections: tuple[tuple[str, str], ...]
    follow_up: str
    product_gaps: tuple[ProductGap, ...]
    locale: str

    def section(self, title: str) -> str:
        for name, body in self.sections:
            if name == title:
                return body
        raise KeyError(title)

    def text(self) -> str:
        return "\n\n".join(f"{name}\n{body}" for name, body in self.sections) + "\n"


@dataclass(frozen=True)
class TakenAction:
    """One action as the handoff reports it: from an :class:`ActionOutcome` or the case log."""

    kind: ActionKind
    status: str  # succeeded | failed | skipped | planned | in_flight
    title: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    amount: Money | None = None
    stripe_ids: tuple[str, ...] = ()
    impact: str = ""
    url: str | None = None
    message: str = ""
    rationale: str = ""

    @classmethod
    def from_outcome(cls, outcome: ActionOutcome) -> TakenAction:
        plan = outcome.plan
        return cls(
            kind=plan.kind,
            status=outcome.status,
            title=plan.title,
            params=MappingProxyType(dict(plan.params)),
            amount=plan.amount,
            stripe_ids=outcome.stripe_ids,
            impact=plan.impact.describe(),
            url=outcome.url,
            message=outcome.message,
            rationale=plan.rationale,
        )

    @property
    def variant(self) -> str:
        """The template key: the kind, or ``kind:variant`` (a cancel at period end)."""
        if (
            self.kind == ActionKind.CANCEL_SUBSCRIPTION
            and self.params.get("mode") == "at_period_end"
        ):
            return f"{self.kind.value}:at_period_end"
        return self.kind.value
