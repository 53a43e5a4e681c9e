"""What a lookup or a write returns besides model objects: resolutions (the candidate customers
behind an identifier) and mutation results. Pure values, made by the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from billing_tui.core.identify import IdentifierKind
from billing_tui.core.model import Customer, RequestStats
from billing_tui.core.text import normalise_email

T = TypeVar("T")


@dataclass(frozen=True)
class Candidate:
    """One customer the identifier led to, and how it was found (shown to the operator)."""

    customer: Customer
    matched_by: str


@dataclass(frozen=True)
class Resolution:
    """The candidate customers behind what the operator typed."""

    query: str
    kind: IdentifierKind
    candidates: tuple[Candidate, ...]
    notes: tuple[str, ...] = ()
    stats: RequestStats = field(default_factory=RequestStats)
    #: The object the identifier named when it was not a customer (``sub_…``, ``ch_…``…).
    object_id: str | None = None

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return tuple(c.customer.id for c in self.candidates)

    @property
    def customers(self) -> tuple[Customer, ...]:
        return tuple(c.customer for c in self.candidates)

    @property
    def email_collision(self) -> bool:
        """Several customers share one email (case-insensitively): reported, never hidden."""
        seen: set[str] = set()
        for cand in self.candidates:
            email = normalise_email(cand.customer.email)
            if email is None:
                continue
            if email in seen:
                return True
            seen.add(email)
        return False

    @property
    def single(self) -> bool:
        return len(self.candidates) == 1


@dataclass(frozen=True)
class MutationResult(Generic[T]):
    """A mutation's resulting object (a model type), Stripe's request id, and a note when the
    call was a no-op (e.g. the subscription was already canceled)."""

    obj: T
    request_id: str | None
    note: str | None = None
    stats: RequestStats = field(default_factory=RequestStats)


@dataclass(frozen=True)
class PortalSession:
    """A billing-portal session: its URL is short-lived, so it is created on demand only."""

    id: str
    url: str
    customer_id: str
    configuration_id: str | None = None
    flow_type: str | None = None
    return_url: str | None = None
