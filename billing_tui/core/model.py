"""Typed, frozen domain data: what every layer above the gateway sees.

Nothing here knows about Stripe's SDK objects or Textual. Amounts are integers in the
currency's minor unit (cents, or yen for zero-decimal currencies); dates are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from billing_tui.core.open_enums import unknown_label
from billing_tui.core.text import card_label

#: Currencies whose minor unit is the unit itself (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
        "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip

#: Currencies Stripe treats as three-decimal.
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

_SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "¥", "krw": "₩",
    "inr": "₹", "cad": "CA$", "aud": "A$", "chf": "CHF ", "sek": "SEK ", "brl": "R$",
}  # fmt: skip

#: Average days in a month/year, for normalising intervals to a month.
_MONTHS_PER_INTERVAL: Mapping[str, Decimal] = MappingProxyType(
    {
        "day": Decimal(12) / Decimal("365.25"),
        "week": Decimal(12) / (Decimal("365.25") / Decimal(7)),
        "month": Decimal(1),
        "year": Decimal(12),
    }
)


#: The recurring intervals Stripe documents today (``price.recurring.interval`` is an open enum:
#: Stripe may add values, which the workstation shows as unknown and refuses to act on).
KNOWN_INTERVALS = frozenset(_MONTHS_PER_INTERVAL)


class UnknownInterval(ValueError):
    """A recurring amount in an interval the workstation cannot normalise to a month."""


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (0 for JPY, 2 for USD)."""
    cur = currency.lower()
    if cur in ZERO_DECIMAL_CURRENCIES:
        return 0
    if cur in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount: integer minor units plus a lower-case ISO currency code."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency != self.currency.lower():
            object.__setattr__(self, "currency", self.currency.lower())

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __bool__(self) -> bool:
        return self.amount != 0

    def times(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)

    @property
    def major(self) -> Decimal:
        """The amount in major units, exactly (``Money(1999, 'usd').major == Decimal('19.99')``)."""
        return Decimal(self.amount).scaleb(-minor_unit_exponent(self.currency))

    def format(self, *, code: bool = False) -> str:
        """Human form: ``$19.99``, ``¥1,200``, ``-€5.00``; ``code=True`` appends ``USD``."""
        exp = minor_unit_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        value = abs(self.major)
        number = f"{value:,.{exp}f}"
        symbol = _SYMBOLS.get(self.currency)
        if symbol is None or code:
            return f"{sign}{number} {self.currency.upper()}"
        return f"{sign}{symbol}{number}"

    def __str__(self) -> str:
        return self.format()


def sum_money(values: Iterable[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for value in values:
        total = total + value
    return total


def monthly_amount(amount: Money, interval: str, interval_count: int = 1) -> Money:
    """Normalise a recurring amount to one month, rounding half-even to the minor unit.

    ``interval`` is Stripe's ``day|week|month|year``; ``interval_count`` may exceed 1
    (a price billed every 3 months contributes a third of its amount each month).
    """
    if interval_count < 1:
        raise UnknownInterval(f"interval_count must be >= 1, not {interval_count}")
    per = _MONTHS_PER_INTERVAL.get(interval)
    if per is None:
        raise UnknownInterval(f"interval {unknown_label(interval)} has no length in months")
    months = per * interval_count
    monthly = (Decimal(amount.amount) / months).quantize(Decimal(1))
    return Money(int(monthly), amount.currency)


def ts(value: int | None) -> datetime | None:
    """A Stripe unix timestamp as an aware UTC datetime."""
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping or {}))


# --------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class CardDetails:
    """The only card data the workstation keeps: brand, last4, expiry.

    ``fingerprint`` is Stripe's opaque per-card hash; it is used only to tell whether two
    payments came from the same card and is never displayed or written to disk.
    """

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str | None = field(default=None, repr=False, compare=False)

    @property
    def expiry(self) -> str:
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def expires_before(self, when: datetime) -> bool:
        """True when the card's last valid day is before ``when``."""
        year, month = (self.exp_year, self.exp_month + 1)
        if month == 13:
            year, month = year + 1, 1
        return datetime(year, month, 1, tzinfo=UTC) <= when

    def label(self) -> str:
        return f"{card_label(self)} exp {self.expiry}"


@dataclass(frozen=True)
class PaymentMethod:
    id: str
    type: str
    customer_id: str | None
    created: datetime
    card: CardDetails | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    email: str | None
    name: str | None
    created: datetime
    livemode: bool = False
    metadata: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    balance: int = 0  # minor units; positive = owed by the customer, negative = credit
    currency: str | None = None
    preferred_locales: tuple[str, ...] = ()
    default_payment_method_id: str | None = None
    delinquent: bool = False
    deleted: bool = False

    @property
    def balance_money(self) -> Money | None:
        return Money(self.balance, self.currency) if self.currency else None


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Price:
    id: str
    product_id: str
    product_name: str
    currency: str
    unit_amount: int | None
    interval: str | None = None  # day | week | month | year; None for one-off prices
    interval_count: int = 1
    nickname: str | None = None
    lookup_key: str | None = None

    @property
    def recurring(self) -> bool:
        return self.interval is not None

    @property
    def interval_known(self) -> bool:
        """A one-off price, or a recurring one whose interval can be normalised to a month."""
        return self.interval is None or (
            self.interval in KNOWN_INTERVALS and self.interval_count >= 1
        )

    @property
    def interval_label(self) -> str | None:
        """``month``, ``3 months``, ``unknown (fortnight)``; None for a one-off price."""
        if self.interval is None:
            return None
        if self.interval not in KNOWN_INTERVALS:
            return unknown_label(self.interval)
        if self.interval_count < 1:
            return unknown_label(f"every {self.interval_count} {self.interval}s")
        if self.interval_count == 1:
            return self.interval
        return f"{self.interval_count} {self.interval}s"

    @property
    def label(self) -> str:
        name = self.nickname or self.product_name
        every = self.interval_label
        if every is None:
            return name
        return f"{name} ({self.unit_money.format() if self.unit_money else '?'}/{every})"

    @property
    def unit_money(self) -> Money | None:
        return None if self.unit_amount is None else Money(self.unit_amount, self.currency)


# --------------------------------------------------------------------------- subscriptions


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"
    #: A status Stripe sent that this version does not know (an open enum); the value itself
    #: is kept in ``Subscription.status_value``.
    UNKNOWN = "unknown"

    @classmethod
    def read(cls, value: object) -> tuple[SubscriptionStatus, str | None]:
        """``(status, unknown value)``: a known status and None, or UNKNOWN and what was sent."""
        try:
            return cls(str(value)), None
        except ValueError:
            return cls.UNKNOWN, str(value)


#: Statuses in which a subscription still bills (or will bill) the customer.
LIVE_STATUSES = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE,
     SubscriptionStatus.UNPAID}
)  # fmt: skip


@dataclass(frozen=True)
class SubscriptionItem:
    id: str
    price: Price
    quantity: int | None
    current_period_start: datetime
    current_period_end: datetime

    @property
    def amount(self) -> Money | None:
        """What one period of this item costs (unit amount × quantity)."""
        if self.price.unit_amount is None:
            return None
        return Money(self.price.unit_amount * (self.quantity or 1), self.price.currency)


@dataclass(frozen=True)
class Subscription:
    id: str
    customer_id: str
    status: SubscriptionStatus
    items: tuple[SubscriptionItem, ...]
    created: datetime
    currency: str
    livemode: bool = False
    start_date: datetime | None = None
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    cancellation_reason: str | None = None
    cancellation_comment: str | None = None  # cancellation_details.comment (who canceled, why)
    trial_start: datetime | None = None
    trial_end: datetime | None = None
    default_payment_method_id: str | None = None
    latest_invoice_id: str | None = None
    collection_method: str = "charge_automatically"
    metadata: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    status_value: str | None = None  # what Stripe sent when ``status`` is UNKNOWN

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def status_label(self) -> str:
        """``active``, or ``unknown (<what Stripe sent>)``."""
        if self.status is SubscriptionStatus.UNKNOWN:
            return unknown_label(self.status_value or "")
        return self.status.value

    @property
    def unknown_values(self) -> tuple[str, ...]:
        """What of this subscription the workstation could not understand (an unknown status,
        an interval it cannot normalise): rules that need them refuse to act."""
        found: list[str] = []
        if self.status is SubscriptionStatus.UNKNOWN:
            found.append(f"status {self.status_label}")
        for item in self.items:
            if not item.price.interval_known:
                found.append(f"interval {item.price.interval_label} on {item.price.id}")
        return tuple(found)

    @property
    def current_period_start(self) -> datetime | None:
        """The earliest item period start (periods live on items since API 2025-03-31)."""
        return min((i.current_period_start for i in self.items), default=None)

    @property
    def current_period_end(self) -> datetime | None:
        """The earliest item period end: when the next renewal (or period-end cancel) happens."""
        return min((i.current_period_end for i in self.items), default=None)

    @property
    def quantity(self) -> int:
        """The seat count: the quantity of the item with the most seats. A base plan plus a
        4-seat add-on is ONE subscription with two items and 4 seats, never "qty 5"; an unset
        quantity counts as 1; 0 without items."""
        return max((i.quantity or 1 for i in self.items), default=0)

    @property
    def product_ids(self) -> frozenset[str]:
        return frozenset(i.price.product_id for i in self.items)

    @property
    def price_ids(self) -> frozenset[str]:
        return frozenset(i.price.id for i in self.items)

    @property
    def intervals(self) -> frozenset[str]:
        return frozenset(i.price.interval for i in self.items if i.price.interval)

    @property
    def label(self) -> str:
        return ", ".join(i.price.label for i in self.items) or self.id

    @property
    def period_amount(self) -> Money:
        """What one billing period costs across all items (without discounts or tax)."""
        return sum_money((a for i in self.items if (a := i.amount) is not None), self.currency)

    @property
    def mrr(self) -> Money:
        """Monthly recurring revenue of this subscription; zero unless it still bills."""
        if not self.is_live or self.status == SubscriptionStatus.TRIALING:
            return Money.zero(self.currency)
        total = Money.zero(self.currency)
        for item in self.items:
            amount = item.amount
            if amount is None or item.price.interval is None or not item.price.interval_known:
                continue  # an unknown interval has no monthly figure (see ``unknown_values``)
            total = total + monthly_amount(amount, item.price.interval, item.price.interval_count)
        return total


# --------------------------------------------------------------------------- invoices


@dataclass(frozen=True)
class InvoiceLine:
    id: str
    amount: Money
    description: str | None
    period_start: datetime | None
    period_end: datetime | None
    proration: bool = False
    subscription_id: str | None = None
    price_id: str | None = None
    quantity: int | None = None


@dataclass(frozen=True)
class Payment:
    """An ``InvoicePayment``: the link between an invoice and the charge that paid it."""

    id: str
    invoice_id: str
    amount_requested: Money
    amount_paid: Money | None
    status: str  # open | paid | canceled
    created: datetime
    payment_intent_id: str | None = None
    charge_id: str | None = None
    is_default: bool = True


@dataclass(frozen=True)
class Invoice:
    id: str
    customer_id: str
    status: str  # draft | open | paid | uncollectible | void
    total: Money
    amount_due: Money
    amount_paid: Money
    amount_remaining: Money
    created: datetime
    livemode: bool = False
    number: str | None = None
    subscription_id: str | None = None
    billing_reason: str | None = None
    attempt_count: int = 0
    next_payment_attempt: datetime | None = None
    hosted_invoice_url: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    paid_at: datetime | None = None
    lines: tuple[InvoiceLine, ...] = ()
    payments: tuple[Payment, ...] = ()

    @property
    def has_proration(self) -> bool:
        return any(line.proration for line in self.lines)

    @property
    def proration_lines(self) -> tuple[InvoiceLine, ...]:
        return tuple(line for line in self.lines if line.proration)

    @property
    def proration_net(self) -> Money:
        """The proration lines' sum in the invoice's currency (negative: a net credit)."""
        return Money(sum(line.amount.amount for line in self.proration_lines), self.total.currency)

    def prorations_of(self, subscription_id: str) -> tuple[InvoiceLine, ...]:
        """The proration lines for ``subscription_id`` (a line naming none is the invoice's)."""
        return tuple(
            line
            for line in self.proration_lines
            if (line.subscription_id or self.subscription_id) == subscription_id
        )


# --------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class Refund:
    id: str
    charge_id: str | None
    amount: Money
    status: str  # pending | requires_action | succeeded | failed | canceled
    created: datetime
    reason: str | None = None
    payment_intent_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: _frozen(None))


@dataclass(frozen=True)
class Charge:
    id: str
    customer_id: str | None
    amount: Money
    amount_captured: Money
    amount_refunded: Money
    status: str  # succeeded | pending | failed
    created: datetime
    livemode: bool = False
    paid: bool = False
    refunded: bool = False
    disputed: bool = False
    payment_intent_id: str | None = None
    payment_method_id: str | None = None
    card: CardDetails | None = None
    description: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    receipt_url: str | None = None
    refunds: tuple[Refund, ...] = ()

    @property
    def refundable(self) -> Money:
        """What can still be refunded: captured minus already refunded (never negative)."""
        if self.status != "succeeded":
            return Money.zero(self.amount.currency)
        left = self.amount_captured.amount - self.amount_refunded.amount
        return Money(max(left, 0), self.amount.currency)


@dataclass(frozen=True)
class Dispute:
    id: str
    charge_id: str
    amount: Money
    status: str
    reason: str
    created: datetime
    is_charge_refundable: bool = False
    evidence_due_by: datetime | None = None
    payment_intent_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status not in {"won", "lost", "warning_closed", "prevented"}


# --------------------------------------------------------------------------- portal


@dataclass(frozen=True)
class PortalConfiguration:
    """The parts of a ``billing_portal.configuration`` that decide what customers can self-serve."""

    id: str
    active: bool
    is_default: bool
    livemode: bool = False
    login_page_enabled: bool = False
    customer_update_enabled: bool = False
    invoice_history_enabled: bool = False
    payment_method_update_enabled: bool = False
    cancel_enabled: bool = False
    cancel_mode: str | None = None  # at_period_end | immediately
    cancel_reasons_enabled: bool = False
    update_enabled: bool = False
    update_allowed: tuple[str, ...] = ()  # price | quantity | promotion_code
    update_prices: tuple[str, ...] = ()  # price ids offered for switching
    update_proration_behavior: str | None = None
    pause_enabled: bool = False
    default_return_url: str | None = None


# --------------------------------------------------------------------------- snapshot


@dataclass(frozen=True)
class PartFailure:
    """One part of a snapshot that could not be loaded, and why (shown, never hidden)."""

    part: str  # a SnapshotPart value: "invoices", "disputes", "portal", …
    message: str
    customer_id: str | None = None
    reason: str = ""  # the short cause, e.g. "HTTP 500" (``message`` is the whole sentence)

    @property
    def short(self) -> str:
        """The short cause when known, else the whole message."""
        return self.reason or self.message


class SnapshotPart(StrEnum):
    """The resources a snapshot is made of; each loads completely (every page) or not."""

    CUSTOMERS = "customers"
    SUBSCRIPTIONS = "subscriptions"
    INVOICES = "invoices"
    INVOICE_PAYMENTS = "invoice_payments"
    CHARGES = "charges"
    REFUNDS = "refunds"
    DISPUTES = "disputes"
    PAYMENT_METHODS = "payment_methods"
    PORTAL = "portal"
    PRODUCTS = "products"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def decides_money(self) -> bool:
        """Whether a gap here can make a money move wrong (product names and the portal
        configuration cannot: the portal plans have their own guard)."""
        return self not in (SnapshotPart.PORTAL, SnapshotPart.PRODUCTS)


#: Parts that come embedded in another: when the carrier failed, they are unknown too.
_CARRIED_BY: Mapping[SnapshotPart, SnapshotPart] = MappingProxyType(
    {
        SnapshotPart.REFUNDS: SnapshotPart.CHARGES,
        SnapshotPart.INVOICE_PAYMENTS: SnapshotPart.INVOICES,
    }
)


@dataclass(frozen=True)
class PartLoad:
    """How one resource of a snapshot loaded: completely, or not (with the failures)."""

    part: SnapshotPart
    failures: tuple[PartFailure, ...] = ()
    carried_by: SnapshotPart | None = None  # set when it is unknown because its carrier failed

    @property
    def complete(self) -> bool:
        return not self.failures

    @property
    def reason(self) -> str | None:
        """The short cause ("HTTP 500"), None when complete."""
        if not self.failures:
            return None
        causes = list(dict.fromkeys(f.short for f in self.failures))
        cause = "; ".join(causes)
        return f"{cause} (with the {self.carried_by.label})" if self.carried_by else cause


@dataclass(frozen=True)
class Completeness:
    """Per resource, whether the snapshot holds all of it. Derived from the snapshot's
    failures (one record), so a snapshot with no failure is complete."""

    parts: tuple[PartLoad, ...]

    @classmethod
    def of(cls, failures: Iterable[PartFailure]) -> Completeness:
        by_part: dict[SnapshotPart, list[PartFailure]] = {p: [] for p in SnapshotPart}
        for failure in failures:
            by_part[_part_of(failure.part)].append(failure)
        loads: list[PartLoad] = []
        for part in SnapshotPart:
            own = by_part[part]
            carrier = _CARRIED_BY.get(part)
            if not own and carrier is not None and by_part[carrier]:
                loads.append(PartLoad(part, tuple(by_part[carrier]), carried_by=carrier))
            else:
                loads.append(PartLoad(part, tuple(own)))
        return cls(tuple(loads))

    @property
    def complete(self) -> bool:
        return all(p.complete for p in self.parts)

    @property
    def incomplete(self) -> tuple[PartLoad, ...]:
        return tuple(p for p in self.parts if not p.complete)

    @property
    def money_gaps(self) -> tuple[PartLoad, ...]:
        """The incomplete parts a money move depends on."""
        return tuple(p for p in self.incomplete if p.part.decides_money)

    def part(self, part: SnapshotPart) -> PartLoad:
        return next(p for p in self.parts if p.part == part)


def _part_of(name: str) -> SnapshotPart:
    """The resource a failure's ``part`` names (``customer`` is the customers part); an
    unknown name counts against the customers, so it is never silently complete."""
    if name == "customer":
        return SnapshotPart.CUSTOMERS
    try:
        return SnapshotPart(name)
    except ValueError:
        return SnapshotPart.CUSTOMERS


@dataclass(frozen=True)
class RequestStats:
    """How a lookup went over the wire."""

    requests: int = 0
    rounds: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class CustomerSnapshot:
    """Everything the workstation knows about one case: one or several customer records."""

    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    charges: tuple[Charge, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    payment_methods: tuple[PaymentMethod, ...] = ()
    portal: PortalConfiguration | None = None
    portal_known: bool = True  # False when the portal configuration could not be read
    failures: tuple[PartFailure, ...] = ()
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    livemode: bool = False
    stats: RequestStats = field(default_factory=RequestStats)

    @property
    def primary(self) -> Customer:
        return self.customers[0]

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.customers)

    @property
    def live_subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(s for s in self.subscriptions if s.is_live)

    def subscription(self, sub_id: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.id == sub_id), None)

    def invoice(self, invoice_id: str) -> Invoice | None:
        return next((i for i in self.invoices if i.id == invoice_id), None)

    def charge(self, charge_id: str) -> Charge | None:
        return next((c for c in self.charges if c.id == charge_id), None)

    def customer(self, customer_id: str) -> Customer | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def invoices_of(self, sub_id: str) -> tuple[Invoice, ...]:
        return tuple(i for i in self.invoices if i.subscription_id == sub_id)

    def charges_of_invoice(self, invoice: Invoice) -> tuple[Charge, ...]:
        """The charges that paid ``invoice``, through its invoice payments."""
        by_id = {c.id: c for c in self.charges}
        by_pi = {c.payment_intent_id: c for c in self.charges if c.payment_intent_id}
        found: list[Charge] = []
        for payment in invoice.payments:
            charge = (by_id.get(payment.charge_id) if payment.charge_id else None) or (
                by_pi.get(payment.payment_intent_id) if payment.payment_intent_id else None
            )
            if charge is not None and charge not in found:
                found.append(charge)
        return tuple(found)

    def disputes_of(self, charge_id: str) -> tuple[Dispute, ...]:
        return tuple(d for d in self.disputes if d.charge_id == charge_id)

    def payment_method(self, pm_id: str | None) -> PaymentMethod | None:
        if pm_id is None:
            return None
        return next((p for p in self.payment_methods if p.id == pm_id), None)

    def failed(self, part: str) -> bool:
        return any(f.part == part for f in self.failures)

    @property
    def completeness(self) -> Completeness:
        """Per resource, whether it loaded completely (derived from ``failures``)."""
        return Completeness.of(self.failures)
