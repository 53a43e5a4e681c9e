"""The rows of ``billing-tui inspect``'s report: one frozen dataclass per kind of record shown.

Each row holds what the ``--json`` document shows (emails masked, times as ISO 8601 ``…Z``,
cards as brand/last4, amounts with their display form) — its field names are its JSON keys, in
order (:func:`json_of`) — and renders its own line of the readable summary. Built from core
model values; :mod:`billing_tui.cli.inspect_report` assembles them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeAlias

from billing_tui.core.text import mask_email

if TYPE_CHECKING:
    from billing_tui.core.anomalies import Anomaly
    from billing_tui.core.model import (
        Charge,
        Customer,
        Dispute,
        Invoice,
        Money,
        PaymentMethod,
        PortalConfiguration,
        RequestStats,
        Subscription,
    )
    from billing_tui.core.results import Candidate

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"


def json_of(value: object) -> JSONValue:
    """A row (its fields in order), a sequence, a mapping or a plain value, as JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_of(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [json_of(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): json_of(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"not a report value: {value!r}")


def iso(value: datetime | None) -> str | None:
    """A time as the report shows it: ISO 8601, ``Z`` for UTC."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def _day(value: str | None) -> str:
    return (value or "")[:10]


@dataclass(frozen=True)
class Amount:
    amount: int
    currency: str
    display: str

    @classmethod
    def of(cls, value: Money | None) -> Amount | None:
        if value is None:
            return None
        return cls(value.amount, value.currency, value.format())


def _display(value: Amount | None) -> str:
    return value.display if value else "—"


@dataclass(frozen=True)
class CustomerRow:
    id: str
    email: str
    name: str | None
    created: str | None
    matched_by: str | None
    balance: Amount | None
    deleted: bool

    @classmethod
    def of(cls, customer: Customer, matched_by: str | None) -> CustomerRow:
        return cls(
            id=customer.id,
            email=mask_email(customer.email),
            name=customer.name,
            created=iso(customer.created),
            matched_by=matched_by,
            balance=Amount.of(customer.balance_money),
            deleted=customer.deleted,
        )

    def line(self) -> str:
        extra = "  [deleted]" if self.deleted else ""
        if self.balance and self.balance.amount:
            extra += f"  balance {self.balance.display}"
        return (
            f"  {self.id}  {self.email}  {self.name or '—'}  created {_day(self.created)}"
            f"  ({self.matched_by}){extra}"
        )


@dataclass(frozen=True)
class CandidateRow:
    """A customer among several that matched (nothing of theirs is loaded)."""

    id: str
    email: str
    name: str | None
    created: str | None
    matched_by: str

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateRow:
        c = candidate.customer
        return cls(c.id, mask_email(c.email), c.name, iso(c.created), candidate.matched_by)

    def line(self) -> str:
        return f"  {self.id}  {self.email}  {self.name or '—'}  ({self.matched_by})"


@dataclass(frozen=True)
class ItemRow:
    id: str
    price: str
    product: str
    product_name: str
    interval: str | None
    interval_count: int
    quantity: int | None
    unit_amount: Amount | None


@dataclass(frozen=True)
class SubscriptionRow:
    id: str
    customer: str
    status: str
    label: str
    created: str | None
    current_period_end: str | None
    cancel_at_period_end: bool
    canceled_at: str | None
    quantity: int
    period_amount: Amount | None
    mrr: Amount | None
    items: tuple[ItemRow, ...]
    metadata: Mapping[str, str]

    @classmethod
    def of(cls, sub: Subscription) -> SubscriptionRow:
        return cls(
            id=sub.id,
            customer=sub.customer_id,
            status=sub.status_label,
            label=sub.label,
            created=iso(sub.created),
            current_period_end=iso(sub.current_period_end),
            cancel_at_period_end=sub.cancel_at_period_end,
            canceled_at=iso(sub.canceled_at),
            quantity=sub.quantity,
            period_amount=Amount.of(sub.period_amount),
            mrr=Amount.of(sub.mrr),
            items=tuple(
                ItemRow(
                    id=item.id,
                    price=item.price.id,
                    product=item.price.product_id,
                    product_name=item.price.product_name,
                    interval=item.price.interval,
                    interval_count=item.price.interval_count,
                    quantity=item.quantity,
                    unit_amount=Amount.of(item.price.unit_money),
                )
                for item in sub.items
            ),
            metadata=dict(sub.metadata),
        )

    @property
    def canceled(self) -> bool:
        return self.status == "canceled"

    def line(self) -> str:
        when = (
            f"renews {_day(self.current_period_end)}"
            if not self.canceled and self.current_period_end
            else f"canceled {_day(self.canceled_at)}"
        )
        flag = "  cancels at period end" if self.cancel_at_period_end else ""
        return f"  {self.id}  {self.status:<10} {self.label}  qty {self.quantity}  {when}{flag}"


@dataclass(frozen=True)
class InvoicePaymentRow:
    id: str
    status: str
    amount_paid: Amount | None
    charge: str | None
    payment_intent: str | None


@dataclass(frozen=True)
class InvoiceRow:
    id: str
    customer: str
    number: str | None
    status: str
    subscription: str | None
    billing_reason: str | None
    total: Amount | None
    amount_due: Amount | None
    amount_paid: Amount | None
    attempt_count: int
    created: str | None
    has_proration: bool
    payments: tuple[InvoicePaymentRow, ...]

    @classmethod
    def of(cls, inv: Invoice) -> InvoiceRow:
        return cls(
            id=inv.id,
            customer=inv.customer_id,
            number=inv.number,
            status=inv.status,
            subscription=inv.subscription_id,
            billing_reason=inv.billing_reason,
            total=Amount.of(inv.total),
            amount_due=Amount.of(inv.amount_due),
            amount_paid=Amount.of(inv.amount_paid),
            attempt_count=inv.attempt_count,
            created=iso(inv.created),
            has_proration=inv.has_proration,
            payments=tuple(
                InvoicePaymentRow(
                    p.id, p.status, Amount.of(p.amount_paid), p.charge_id, p.payment_intent_id
                )
                for p in inv.payments
            ),
        )

    def line(self) -> str:
        return (
            f"  {self.id}  {self.status:<13} {_display(self.total):>12}  {_day(self.created)}"
            f"  {self.billing_reason or ''}"
        )


@dataclass(frozen=True)
class RefundRow:
    id: str
    amount: Amount | None
    status: str
    reason: str | None


@dataclass(frozen=True)
class ChargeRow:
    id: str
    customer: str | None
    status: str
    amount: Amount | None
    amount_refunded: Amount | None
    disputed: bool
    created: str | None
    card: str | None
    payment_intent: str | None
    refunds: tuple[RefundRow, ...]

    @classmethod
    def of(cls, ch: Charge) -> ChargeRow:
        return cls(
            id=ch.id,
            customer=ch.customer_id,
            status=ch.status,
            amount=Amount.of(ch.amount),
            amount_refunded=Amount.of(ch.amount_refunded),
            disputed=ch.disputed,
            created=iso(ch.created),
            card=ch.card.label() if ch.card else None,
            payment_intent=ch.payment_intent_id,
            refunds=tuple(
                RefundRow(r.id, Amount.of(r.amount), r.status, r.reason) for r in ch.refunds
            ),
        )

    def line(self) -> str:
        refunded = self.amount_refunded
        extra = f"  refunded {refunded.display}" if refunded and refunded.amount else ""
        extra += "  DISPUTED" if self.disputed else ""
        return (
            f"  {self.id}  {self.status:<10} {_display(self.amount):>12}  {_day(self.created)}"
            f"  {self.card or ''}{extra}"
        )


@dataclass(frozen=True)
class DisputeRow:
    id: str
    charge: str
    status: str
    reason: str
    amount: Amount | None
    evidence_due_by: str | None

    @classmethod
    def of(cls, d: Dispute) -> DisputeRow:
        return cls(
            d.id, d.charge_id, d.status, d.reason, Amount.of(d.amount), iso(d.evidence_due_by)
        )


@dataclass(frozen=True)
class PaymentMethodRow:
    id: str
    type: str
    brand: str | None
    last4: str | None
    expiry: str | None

    @classmethod
    def of(cls, p: PaymentMethod) -> PaymentMethodRow:
        card = p.card
        if card is None:
            return cls(p.id, p.type, None, None, None)
        return cls(p.id, p.type, card.brand, card.last4, card.expiry)


@dataclass(frozen=True)
class AnomalyRow:
    code: str
    severity: str
    title: str
    detail: str
    refs: tuple[str, ...]

    @classmethod
    def of(cls, a: Anomaly) -> AnomalyRow:
        return cls(a.code, a.severity.label, a.title, a.detail, tuple(a.refs))

    def lines(self) -> list[str]:
        refs = ", ".join(self.refs)
        found = [f"  [{self.severity}] {self.code}: {self.title}" + (f"  ({refs})" if refs else "")]
        return found + ([f"      {self.detail}"] if self.detail else [])


def _on_off(value: bool) -> str:
    return "on" if value else "off"


@dataclass(frozen=True)
class PortalRow:
    id: str
    is_default: bool
    cancel_enabled: bool
    payment_method_update_enabled: bool
    invoice_history_enabled: bool
    update_enabled: bool

    @classmethod
    def of(cls, p: PortalConfiguration) -> PortalRow:
        return cls(
            p.id,
            p.is_default,
            p.cancel_enabled,
            p.payment_method_update_enabled,
            p.invoice_history_enabled,
            p.update_enabled,
        )

    def line(self) -> str:
        return (
            f"PORTAL  {self.id}  cancel {_on_off(self.cancel_enabled)}, "
            f"payment update {_on_off(self.payment_method_update_enabled)}"
        )


@dataclass(frozen=True)
class FailureRow:
    part: str
    message: str
    customer: str | None


@dataclass(frozen=True)
class Requests:
    requests: int
    rounds: int
    seconds: float

    @classmethod
    def of(cls, stats: RequestStats) -> Requests:
        return cls(stats.requests, stats.rounds, stats.seconds)

    def line(self) -> str:
        return f"({self.requests} requests in {self.rounds} rounds, {self.seconds:.2f} s)"
