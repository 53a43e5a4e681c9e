"""Pure anomaly detectors over a :class:`~billing_tui.core.model.CustomerSnapshot`.

Each detector is a small pure function ``(snapshot, settings, now) -> list[Anomaly]``; ``refs``
are the ids of the rows an anomaly concerns, so the TUI can highlight them. The codes, their
severities and their exact rules are the table in ``docs/anomalies.md``; every threshold comes
from :class:`~billing_tui.core.settings.Settings`. :func:`detect` runs them all.

Detectors never depend on the order of the snapshot's tuples: every one sorts what it reads
(oldest first, then by id), so the same billing state always gives the same anomalies.
Titles are short; details are one specific sentence an operator can read aloud. Neither ever
contains a card fingerprint or a full email address (emails go through :func:`mask_email`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from billing_tui.core.model import (
    CardDetails,
    Charge,
    Customer,
    CustomerSnapshot,
    Invoice,
    Money,
    PaymentMethod,
    Price,
    Subscription,
    SubscriptionStatus,
)
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import card_label, date_label, human_gap, mask_email, normalise_email


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Anomaly:
    code: str
    severity: Severity
    title: str
    detail: str
    refs: tuple[str, ...] = ()


Detector = Callable[[CustomerSnapshot, Settings, datetime], list[Anomaly]]

# --------------------------------------------------------------------------- codes

DUPLICATE_SUBSCRIPTION = "duplicate_subscription"
DUPLICATE_CUSTOMER = "duplicate_customer"
CROSS_CUSTOMER_DUPLICATE = "cross_customer_duplicate"
TEAM_PURCHASE_PATTERN = "team_purchase_pattern"
MIXED_INTERVAL = "mixed_interval"
PAYMENT_FAILED = "payment_failed"
INCOMPLETE_CHECKOUT = "incomplete_checkout"
CARD_EXPIRED = "card_expired"
CARD_EXPIRES_BEFORE_RENEWAL = "card_expires_before_renewal"
NO_PAYMENT_METHOD = "no_payment_method"
TRIAL_ENDING_WITHOUT_PAYMENT_METHOD = "trial_ending_without_payment_method"
DISPUTED_CHARGE = "disputed_charge"
REFUNDED_CHARGE = "refunded_charge"
DOUBLE_CHARGE = "double_charge"
PRORATION_ACTIVITY = "proration_activity"
CANCEL_PENDING = "cancel_pending"
CUSTOMER_BALANCE = "customer_balance"
PORTAL_MISSING = "portal_missing"
PORTAL_CANCEL_DISABLED = "portal_cancel_disabled"
PORTAL_PAYMENT_UPDATE_DISABLED = "portal_payment_update_disabled"
PORTAL_INVOICE_HISTORY_DISABLED = "portal_invoice_history_disabled"

#: Every code a detector can raise, with its severity (the table in docs/anomalies.md).
SEVERITIES: dict[str, Severity] = {
    DUPLICATE_SUBSCRIPTION: Severity.CRITICAL,
    DUPLICATE_CUSTOMER: Severity.WARNING,
    CROSS_CUSTOMER_DUPLICATE: Severity.CRITICAL,
    TEAM_PURCHASE_PATTERN: Severity.INFO,
    MIXED_INTERVAL: Severity.WARNING,
    PAYMENT_FAILED: Severity.CRITICAL,
    INCOMPLETE_CHECKOUT: Severity.WARNING,
    CARD_EXPIRED: Severity.WARNING,
    CARD_EXPIRES_BEFORE_RENEWAL: Severity.INFO,
    NO_PAYMENT_METHOD: Severity.WARNING,
    TRIAL_ENDING_WITHOUT_PAYMENT_METHOD: Severity.WARNING,
    DISPUTED_CHARGE: Severity.CRITICAL,
    REFUNDED_CHARGE: Severity.INFO,
    DOUBLE_CHARGE: Severity.CRITICAL,
    PRORATION_ACTIVITY: Severity.INFO,
    CANCEL_PENDING: Severity.INFO,
    CUSTOMER_BALANCE: Severity.INFO,
    PORTAL_MISSING: Severity.CRITICAL,
    PORTAL_CANCEL_DISABLED: Severity.WARNING,
    PORTAL_PAYMENT_UPDATE_DISABLED: Severity.WARNING,
    PORTAL_INVOICE_HISTORY_DISABLED: Severity.INFO,
}

ALL_CODES: frozenset[str] = frozenset(SEVERITIES)

_CLOSED_DISPUTE_STATUSES = frozenset({"won", "lost", "warning_closed", "prevented"})


def _anomaly(code: str, title: str, detail: str, refs: Iterable[str] = ()) -> Anomaly:
    return Anomaly(code, SEVERITIES[code], title, detail, tuple(refs))


# --------------------------------------------------------------------------- small helpers


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date(value: datetime | None) -> str:
    return date_label(value, "unknown date")


def plan_name(price: Price) -> str:
    """What an operator calls a price: its nickname, else its product's name."""
    return price.nickname or price.product_name


def subscription_name(sub: Subscription) -> str:
    return ", ".join(dict.fromkeys(plan_name(i.price) for i in sub.items)) or sub.id


def _oldest_first(subs: Iterable[Subscription]) -> list[Subscription]:
    return sorted(subs, key=lambda s: (s.created, s.id))


def _live_by_customer(snapshot: CustomerSnapshot) -> dict[str, list[Subscription]]:
    grouped: dict[str, list[Subscription]] = defaultdict(list)
    for sub in _oldest_first(snapshot.live_subscriptions):
        grouped[sub.customer_id].append(sub)
    return grouped


def _customers(snapshot: CustomerSnapshot) -> list[Customer]:
    return sorted((c for c in snapshot.customers if not c.deleted), key=lambda c: (c.created, c.id))


def person(sub: Subscription, settings: Settings) -> str | None:
    """The person a subscription's metadata says it is for (first of the person keys), if any."""
    for key in settings.person_metadata_keys:
        value = (sub.metadata.get(key) or "").strip()
        if value:
            return value.casefold()
    return None


def _different_people(a: Subscription, b: Subscription, settings: Settings) -> bool:
    pa, pb = person(a, settings), person(b, settings)
    return pa is not None and pb is not None and pa != pb


def _single_seat(sub: Subscription) -> bool:
    return all((item.quantity or 1) == 1 for item in sub.items)


def max_quantity(sub: Subscription) -> int:
    return max(((item.quantity or 1) for item in sub.items), default=0)


def _shared_plans(a: Subscription, b: Subscription) -> list[Price]:
    """Prices of ``a`` that ``b`` shares by price id, or by product id with the same interval."""
    shared: list[Price] = []
    for ia in sorted(a.items, key=lambda i: i.price.id):
        for ib in b.items:
            same_price = ia.price.id == ib.price.id
            same_product = ia.price.product_id == ib.price.product_id and (
                ia.price.interval,
                ia.price.interval_count,
            ) == (ib.price.interval, ib.price.interval_count)
            if same_price or same_product:
                shared.append(ia.price)
                break
    return shared


def _first_invoice(snapshot: CustomerSnapshot, sub: Subscription) -> Invoice | None:
    invoices = sorted(snapshot.invoices_of(sub.id), key=lambda i: (i.created, i.id))
    for invoice in invoices:
        if invoice.billing_reason == "subscription_create":
            return invoice
    return invoices[0] if invoices else None


@dataclass(frozen=True)
class _CardRef:
    """A card, and the key used to tell whether two payments came from the same one."""

    key: str
    card: CardDetails | None


def paying_card(snapshot: CustomerSnapshot, sub: Subscription) -> _CardRef | None:
    """The card that paid ``sub``'s first invoice, else its default payment method's card."""
    invoice = _first_invoice(snapshot, sub)
    if invoice is not None:
        for charge in sorted(snapshot.charges_of_invoice(invoice), key=lambda c: (c.created, c.id)):
            if charge.status != "succeeded":
                continue
            if charge.card is not None and charge.card.fingerprint:
                return _CardRef(f"fp:{charge.card.fingerprint}", charge.card)
            if charge.payment_method_id:
                pm = snapshot.payment_method(charge.payment_method_id)
                return _pm_ref(pm, charge.payment_method_id, charge.card)
    if sub.default_payment_method_id:
        pm = snapshot.payment_method(sub.default_payment_method_id)
        return _pm_ref(pm, sub.default_payment_method_id, None)
    return None


def _pm_ref(pm: PaymentMethod | None, pm_id: str, card: CardDetails | None) -> _CardRef:
    card = (pm.card if pm is not None else None) or card
    if card is not None and card.fingerprint:
        return _CardRef(f"fp:{card.fingerprint}", card)
    return _CardRef(f"pm:{pm_id}", card)


def _card_sentence(refs: Sequence[_CardRef | None]) -> str:
    if any(r is None for r in refs):
        return "the paying card is unknown for at least one of them"
    known = [r for r in refs if r is not None]
    keys = {r.key for r in known}
    if len(keys) == 1:
        return f"paid by the same card ({card_label(known[0].card)})"
    labels = ", ".join(dict.fromkeys(card_label(r.card) for r in known))
    return f"paid by different cards ({labels})"


def charge_subscriptions(snapshot: CustomerSnapshot) -> dict[str, str]:
    """Charge id → the subscription whose invoice that charge paid (one pass, any size)."""
    by_id = {c.id for c in snapshot.charges}
    by_pi = {c.payment_intent_id: c.id for c in snapshot.charges if c.payment_intent_id}
    found: dict[str, str] = {}
    for invoice in sorted(snapshot.invoices, key=lambda i: (i.created, i.id)):
        if invoice.subscription_id is None:
            continue
        for payment in invoice.payments:
            charge_id = payment.charge_id if payment.charge_id in by_id else None
            if charge_id is None and payment.payment_intent_id:
                charge_id = by_pi.get(payment.payment_intent_id)
            if charge_id is not None:
                found.setdefault(charge_id, invoice.subscription_id)
    return found


def _components(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of an undirected graph, each in ``nodes`` order."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)
    return [g for g in groups.values() if len(g) > 1]


def customers_by_email(customers: Iterable[Customer]) -> dict[str, list[Customer]]:
    """Customers grouped by normalised email (trimmed, case-folded); no email, no group."""
    groups: dict[str, list[Customer]] = defaultdict(list)
    for customer in customers:
        key = normalise_email(customer.email)
        if key is not None:
            groups[key].append(customer)
    return groups


# --------------------------------------------------------------------------- subscriptions


def duplicate_groups(
    snapshot: CustomerSnapshot, settings: Settings = DEFAULT_SETTINGS
) -> list[list[Subscription]]:
    """Groups (oldest first) of one customer's live subscriptions that duplicate each other."""
    groups: list[list[Subscription]] = []
    window = settings.duplicate_window_seconds
    for subs in _live_by_customer(snapshot).values():
        edges: list[tuple[str, str]] = []
        for i, a in enumerate(subs):
            for b in subs[i + 1 :]:
                if (
                    _shared_plans(a, b)
                    and abs((b.created - a.created).total_seconds()) <= window
                    and _single_seat(a)
                    and _single_seat(b)
                    and not _different_people(a, b, settings)
                ):
                    edges.append((a.id, b.id))
        by_id = {s.id: s for s in subs}
        for component in _components([s.id for s in subs], edges):
            groups.append([by_id[sid] for sid in component])
    return groups


def detect_duplicate_subscription(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for group in duplicate_groups(snapshot, settings):
        plans = _shared_plans(group[0], group[1])
        name = plan_name(plans[0]) if plans else subscription_name(group[0])
        gap = human_gap((group[-1].created - group[0].created).total_seconds())
        apart = f"created {gap} apart" if len(group) == 2 else f"created within {gap}"
        cards = _card_sentence([paying_card(snapshot, s) for s in group])
        found.append(
            _anomaly(
                DUPLICATE_SUBSCRIPTION,
                "Duplicate subscription",
                f"{len(group)} subscriptions to {name} {apart}, {cards}, quantity 1 each",
                (s.id for s in group),
            )
        )
    return found


def detect_duplicate_customer(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    by_email = customers_by_email(_customers(snapshot))
    found: list[Anomaly] = []
    for customers in by_email.values():
        if len(customers) < 2:
            continue
        spellings = {c.email for c in customers}
        how = " (spelled differently)" if len(spellings) > 1 else ""
        listing = ", ".join(f"{c.id} created {_date(c.created)}" for c in customers)
        masked = mask_email(normalise_email(customers[0].email))
        found.append(
            _anomaly(
                DUPLICATE_CUSTOMER,
                "Several customers, one email",
                f"{len(customers)} customer records share {masked}{how}: {listing}",
                (c.id for c in customers),
            )
        )
    return found


def detect_cross_customer_duplicate(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    by_email = customers_by_email(_customers(snapshot))
    live = _live_by_customer(snapshot)
    found: list[Anomaly] = []
    for customers in by_email.values():
        if len(customers) < 2:
            continue
        by_product: dict[str, list[tuple[Subscription, Price]]] = defaultdict(list)
        for customer in customers:
            for sub in live.get(customer.id, []):
                for item in sorted(sub.items, key=lambda i: i.price.id):
                    entries = by_product[item.price.product_id]
                    if all(s.id != sub.id for s, _ in entries):
                        entries.append((sub, item.price))
        for product_id in sorted(by_product):
            entries = sorted(by_product[product_id], key=lambda e: (e[0].created, e[0].id))
            owners = {s.customer_id for s, _ in entries}
            if len(owners) < 2:
                continue
            product = entries[0][1].product_name
            listing = ", ".join(f"{s.id} on {s.customer_id}" for s, _ in entries)
            found.append(
                _anomaly(
                    CROSS_CUSTOMER_DUPLICATE,
                    "Same product on two customer records",
                    f"{product} is live on {len(owners)} customer records for "
                    f"{mask_email(normalise_email(customers[0].email))}: {listing}",
                    (s.id for s, _ in entries),
                )
            )
    return found


def detect_team_purchase_pattern(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for sub in _oldest_first(snapshot.live_subscriptions):
        seats = max_quantity(sub)
        if seats > 1:
            found.append(
                _anomaly(
                    TEAM_PURCHASE_PATTERN,
                    "Team purchase",
                    f"{subscription_name(sub)} has {seats} seats (quantity {seats}) on {sub.id}",
                    (sub.id,),
                )
            )
    for subs in _live_by_customer(snapshot).values():
        by_product: dict[str, list[Subscription]] = defaultdict(list)
        for sub in subs:
            for product_id in sorted(sub.product_ids):
                by_product[product_id].append(sub)
        for product_id in sorted(by_product):
            named = [s for s in by_product[product_id] if person(s, settings) is not None]
            people = {person(s, settings) for s in named}
            if len(people) < 2:
                continue
            name = next(
                i.price.product_name for i in named[0].items if i.price.product_id == product_id
            )
            found.append(
                _anomaly(
                    TEAM_PURCHASE_PATTERN,
                    "Team purchase",
                    f"{len(named)} subscriptions to {name} name {len(people)} different people "
                    "in their metadata",
                    (s.id for s in named),
                )
            )
    return found


def detect_mixed_interval(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for subs in _live_by_customer(snapshot).values():
        by_product: dict[str, dict[str, list[Subscription]]] = defaultdict(
            lambda: defaultdict(list)
        )
        names: dict[str, str] = {}
        for sub in subs:
            for item in sub.items:
                interval = item.price.interval
                if interval in ("month", "year") and item.price.interval_count == 1:
                    bucket = by_product[item.price.product_id][interval]
                    if sub not in bucket:
                        bucket.append(sub)
                    names.setdefault(item.price.product_id, item.price.product_name)
        for product_id in sorted(by_product):
            monthly = by_product[product_id]["month"]
            yearly = by_product[product_id]["year"]
            involved = _oldest_first({s.id: s for s in monthly + yearly}.values())
            if not monthly or not yearly or len(involved) < 2:
                continue
            found.append(
                _anomaly(
                    MIXED_INTERVAL,
                    "Monthly and annual of one product",
                    f"{names[product_id]} is billed both monthly ("
                    + ", ".join(s.id for s in monthly)
                    + ") and yearly ("
                    + ", ".join(s.id for s in yearly)
                    + ")",
                    (s.id for s in involved),
                )
            )
    return found


def _failure_reason(snapshot: CustomerSnapshot, invoice: Invoice) -> str:
    failed = [
        c
        for c in snapshot.charges
        if c.status == "failed"
        and (
            any(p.charge_id == c.id for p in invoice.payments)
            or (
                c.payment_intent_id is not None
                and any(p.payment_intent_id == c.payment_intent_id for p in invoice.payments)
            )
        )
    ]
    if not failed:
        return ""
    last = max(failed, key=lambda c: (c.created, c.id))
    reason = last.failure_message or last.failure_code
    return f" ({reason})" if reason else ""


def _invoice_failure(snapshot: CustomerSnapshot, invoice: Invoice) -> str:
    attempts = "attempt" if invoice.attempt_count == 1 else "attempts"
    retry = (
        f"; next retry {_date(invoice.next_payment_attempt)}"
        if invoice.next_payment_attempt
        else "; no retry scheduled"
    )
    return (
        f"invoice {invoice.id} for {invoice.amount_remaining.format()} failed "
        f"{invoice.attempt_count} {attempts}{_failure_reason(snapshot, invoice)}{retry}"
    )


def detect_payment_failed(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    failed_invoices = sorted(
        (i for i in snapshot.invoices if i.status == "open" and i.attempt_count >= 1),
        key=lambda i: (i.created, i.id),
    )
    covered: set[str] = set()
    found: list[Anomaly] = []
    for sub in _oldest_first(snapshot.subscriptions):
        if sub.status not in (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID):
            continue
        invoices = [i for i in failed_invoices if i.subscription_id == sub.id]
        covered.update(i.id for i in invoices)
        status = "past due" if sub.status == SubscriptionStatus.PAST_DUE else "unpaid"
        what = "; ".join(_invoice_failure(snapshot, i) for i in invoices)
        detail = f"{subscription_name(sub)} ({sub.id}) is {status}" + (f": {what}" if what else "")
        found.append(
            _anomaly(
                PAYMENT_FAILED,
                "Payment failed",
                detail,
                [sub.id, *(i.id for i in invoices)],
            )
        )
    for invoice in failed_invoices:
        if invoice.id in covered:
            continue
        refs = [invoice.subscription_id, invoice.id] if invoice.subscription_id else [invoice.id]
        found.append(
            _anomaly(
                PAYMENT_FAILED,
                "Payment failed",
                _capitalised(_invoice_failure(snapshot, invoice)),
                refs,
            )
        )
    return found


def detect_incomplete_checkout(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for sub in _oldest_first(snapshot.subscriptions):
        if sub.status == SubscriptionStatus.INCOMPLETE:
            detail = (
                f"{subscription_name(sub)} ({sub.id}) was started {_date(sub.created)} but its "
                "first payment never completed"
            )
        elif sub.status == SubscriptionStatus.INCOMPLETE_EXPIRED:
            detail = (
                f"{subscription_name(sub)} ({sub.id}) expired unpaid: the checkout of "
                f"{_date(sub.created)} was never completed"
            )
        else:
            continue
        found.append(_anomaly(INCOMPLETE_CHECKOUT, "Incomplete checkout", detail, (sub.id,)))
    return found


# --------------------------------------------------------------------------- payment methods


def default_payment_method(
    snapshot: CustomerSnapshot, customer: Customer
) -> tuple[str, PaymentMethod | None] | None:
    """The customer's default payment method id (customer's, else a live subscription's)."""
    if customer.default_payment_method_id:
        pm_id = customer.default_payment_method_id
        return pm_id, snapshot.payment_method(pm_id)
    for sub in _oldest_first(snapshot.live_subscriptions):
        if sub.customer_id == customer.id and sub.default_payment_method_id:
            pm_id = sub.default_payment_method_id
            return pm_id, snapshot.payment_method(pm_id)
    return None


def default_card(snapshot: CustomerSnapshot, customer: Customer) -> tuple[str, CardDetails] | None:
    """The customer's default payment method id and its card, when it is a known card."""
    default = default_payment_method(snapshot, customer)
    if default is None or default[1] is None or default[1].card is None:
        return None
    return default[0], default[1].card


def detect_card_expired(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for customer in _customers(snapshot):
        default = default_card(snapshot, customer)
        if default is None:
            continue
        pm_id, card = default
        if card.expires_before(now):
            found.append(
                _anomaly(
                    CARD_EXPIRED,
                    "Card expired",
                    f"The default card {card_label(card)} of {customer.id} expired {card.expiry}",
                    (pm_id,),
                )
            )
    return found


def detect_card_expires_before_renewal(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for customer in _customers(snapshot):
        default = default_card(snapshot, customer)
        if default is None:
            continue
        pm_id, card = default
        if card.expires_before(now):
            continue
        renewing = [
            s
            for s in _oldest_first(snapshot.live_subscriptions)
            if s.customer_id == customer.id
            and not s.cancel_at_period_end
            and s.cancel_at is None
            and s.current_period_end is not None
        ]
        # Each subscription's next renewal: any that falls after the card's last valid day.
        affected = [
            s
            for s in renewing
            if s.current_period_end and card.expires_before(s.current_period_end)
        ]
        if not affected:
            continue
        first = min(affected, key=lambda s: (s.current_period_end or now, s.id))
        found.append(
            _anomaly(
                CARD_EXPIRES_BEFORE_RENEWAL,
                "Card expires before renewal",
                f"The default card {card_label(card)} expires {card.expiry}, before "
                f"{subscription_name(first)} renews on {_date(first.current_period_end)}",
                [pm_id, *(s.id for s in affected)],
            )
        )
    return found


def _has_payment_method(snapshot: CustomerSnapshot, customer: Customer) -> bool:
    if customer.default_payment_method_id:
        return True
    if any(pm.customer_id == customer.id for pm in snapshot.payment_methods):
        return True
    return any(
        s.default_payment_method_id for s in snapshot.subscriptions if s.customer_id == customer.id
    )


def detect_no_payment_method(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    if snapshot.failed("payment_methods"):
        return []  # unknown is not "none": the failure is shown elsewhere
    found: list[Anomaly] = []
    live = _live_by_customer(snapshot)
    for customer in _customers(snapshot):
        if _has_payment_method(snapshot, customer):
            continue
        subs = [
            s
            for s in live.get(customer.id, [])
            if s.collection_method == "charge_automatically"
            and s.status != SubscriptionStatus.TRIALING
        ]
        if not subs:
            continue
        names = ", ".join(f"{subscription_name(s)} ({s.id})" for s in subs)
        found.append(
            _anomaly(
                NO_PAYMENT_METHOD,
                "No payment method",
                f"{customer.id} has no payment method, but {names} charges automatically",
                [customer.id, *(s.id for s in subs)],
            )
        )
    return found


def detect_trial_ending_without_payment_method(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    if snapshot.failed("payment_methods"):
        return []
    horizon = now + timedelta(days=settings.trial_warning_days)
    found: list[Anomaly] = []
    for sub in _oldest_first(snapshot.subscriptions):
        if sub.status != SubscriptionStatus.TRIALING or sub.trial_end is None:
            continue
        if sub.trial_end > horizon:
            continue
        customer = snapshot.customer(sub.customer_id)
        if customer is None or _has_payment_method(snapshot, customer):
            continue
        left = (sub.trial_end - now).total_seconds()
        when = f"in {human_gap(left)}" if left >= 0 else f"{human_gap(left)} ago"
        found.append(
            _anomaly(
                TRIAL_ENDING_WITHOUT_PAYMENT_METHOD,
                "Trial ending, no payment method",
                f"The trial of {subscription_name(sub)} ({sub.id}) ends {when} "
                f"({_date(sub.trial_end)}) and {sub.customer_id} has no payment method",
                (sub.id,),
            )
        )
    return found


# --------------------------------------------------------------------------- charges


def detect_disputed_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    charges = {c.id: c for c in snapshot.charges}
    charge_ids = sorted(
        {c.id for c in snapshot.charges if c.disputed}
        | {d.charge_id for d in snapshot.disputes if d.status not in _CLOSED_DISPUTE_STATUSES}
    )
    for charge_id in charge_ids:
        disputes = sorted(snapshot.disputes_of(charge_id), key=lambda d: (d.created, d.id))
        charge = charges.get(charge_id)
        amount = charge.amount.format() if charge else (disputes[0].amount.format())
        when = f", {_date(charge.created)}" if charge else ""
        if disputes:
            latest = disputes[-1]
            due = (
                f", evidence due {_date(latest.evidence_due_by)}" if latest.evidence_due_by else ""
            )
            state = f"disputed ({latest.reason.replace('_', ' ')}, {latest.status}{due})"
        else:
            state = "marked disputed"
        found.append(
            _anomaly(
                DISPUTED_CHARGE,
                "Disputed charge",
                f"Charge {charge_id} ({amount}{when}) is {state}; never refund a disputed "
                "charge: answer the dispute",
                [charge_id, *(d.id for d in disputes)],
            )
        )
    return found


def detect_refunded_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    since = now - timedelta(days=settings.recent_days)
    found: list[Anomaly] = []
    for charge in sorted(snapshot.charges, key=lambda c: (c.created, c.id)):
        if charge.amount_refunded.amount <= 0 or charge.created < since:
            continue
        refunds = sorted(charge.refunds, key=lambda r: (r.created, r.id))
        how = "fully" if charge.amount_refunded.amount >= charge.amount.amount else "partly"
        found.append(
            _anomaly(
                REFUNDED_CHARGE,
                "Charge refunded",
                f"Charge {charge.id} of {_date(charge.created)} was {how} refunded: "
                f"{charge.amount_refunded.format()} of {charge.amount.format()}",
                [charge.id, *(r.id for r in refunds)],
            )
        )
    return found


def detect_double_charge(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    window = settings.double_charge_window_seconds
    paid_subs = charge_subscriptions(snapshot)
    covered_groups = [{s.id for s in group} for group in duplicate_groups(snapshot, settings)]

    def covered(a: Charge, b: Charge) -> bool:
        sa, sb = paid_subs.get(a.id), paid_subs.get(b.id)
        return any(sa in g and sb in g for g in covered_groups)

    by_key: dict[tuple[str, Money], list[Charge]] = defaultdict(list)
    for charge in sorted(snapshot.charges, key=lambda c: (c.created, c.id)):
        # A fully refunded charge is no longer money taken twice: once the extra one is
        # refunded (and its subscription canceled) the case must not flag itself again.
        if charge.status == "succeeded" and charge.customer_id and not charge.refunded:
            by_key[(charge.customer_id, charge.amount)].append(charge)
    found: list[Anomaly] = []
    for (_customer, amount), charges in sorted(by_key.items()):
        edges: list[tuple[str, str]] = []
        for i, a in enumerate(charges):  # sorted by time: stop at the first one too late
            for b in charges[i + 1 :]:
                if (b.created - a.created).total_seconds() > window:
                    break
                if not covered(a, b):
                    edges.append((a.id, b.id))
        by_id = {c.id: c for c in charges}
        for component in _components([c.id for c in charges], edges):
            group = [by_id[cid] for cid in component]
            gap = human_gap((group[-1].created - group[0].created).total_seconds())
            cards = {c.card.fingerprint if c.card else None for c in group}
            same = (
                f", same card ({card_label(group[0].card)})"
                if len(cards) == 1 and None not in cards
                else ""
            )
            found.append(
                _anomaly(
                    DOUBLE_CHARGE,
                    "Double charge",
                    f"{len(group)} successful charges of {amount.format()} {gap} apart{same}, "
                    "not explained by a duplicate subscription",
                    component,
                )
            )
    return found


# --------------------------------------------------------------------------- invoices, account


def proration_invoices(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Invoice]:
    since = now - timedelta(days=settings.proration_lookback_days)
    return sorted(
        (i for i in snapshot.invoices if i.created >= since and i.has_proration),
        key=lambda i: (i.created, i.id),
    )


def detect_proration_activity(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    invoices = proration_invoices(snapshot, settings, now)
    if not invoices:
        return []
    parts: list[str] = []
    sub_ids: list[str] = []
    for invoice in invoices:
        lines = [line for line in invoice.lines if line.proration]
        net = Money(sum(line.amount.amount for line in lines), invoice.total.currency)
        count = f"{len(lines)} proration line{'s' if len(lines) != 1 else ''}"
        parts.append(f"{invoice.id} of {_date(invoice.created)} ({count}, {net.format()} net)")
        for sid in [invoice.subscription_id, *(line.subscription_id for line in lines)]:
            if sid and sid not in sub_ids:
                sub_ids.append(sid)
    return [
        _anomaly(
            PRORATION_ACTIVITY,
            "Recent proration",
            "Prorated changes in the last "
            f"{settings.proration_lookback_days} days: {'; '.join(parts)}. Check the contract "
            "shape before acting",
            [*(i.id for i in invoices), *sub_ids],
        )
    ]


def detect_cancel_pending(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for sub in _oldest_first(snapshot.live_subscriptions):
        if sub.cancel_at is not None:
            when = f"on {_date(sub.cancel_at)}"
        elif sub.cancel_at_period_end:
            when = f"at the end of its period, {_date(sub.current_period_end)}"
        else:
            continue
        found.append(
            _anomaly(
                CANCEL_PENDING,
                "Cancellation scheduled",
                f"{subscription_name(sub)} ({sub.id}) is set to cancel {when}",
                (sub.id,),
            )
        )
    return found


def detect_customer_balance(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Anomaly]:
    found: list[Anomaly] = []
    for customer in _customers(snapshot):
        if customer.balance == 0:
            continue
        money = customer.balance_money
        amount = (
            money.format()
            if money is not None
            else f"{abs(customer.balance)} minor units (currency unknown)"
        )
        if money is not None:
            amount = Money(abs(customer.balance), money.currency).format()
        if customer.balance < 0:
            detail = f"{customer.id} has a credit of {amount}, applied to the next invoices"
        else:
            detail = f"{customer.id} owes {amount}, added to the next invoice"
        found.append(_anomaly(CUSTOMER_BALANCE, "Customer balance", detail, (customer.id,)))
    return found


def detect_portal(snapshot: CustomerSnapshot, settings: Settings, now: datetime) -> list[Anomaly]:
    if not snapshot.portal_known:
        return []  # the portal could not be read: the failure is shown, not guessed at
    portal = snapshot.portal
    if portal is None or not portal.active:
        return [
            _anomaly(
                PORTAL_MISSING,
                "No billing portal",
                "No active billing-portal configuration applies to this customer: they cannot "
                "cancel, change card or see invoices themselves",
            )
        ]
    found: list[Anomaly] = []
    if not portal.cancel_enabled:
        found.append(
            _anomaly(
                PORTAL_CANCEL_DISABLED,
                "Portal cannot cancel",
                f"The billing portal ({portal.id}) has cancellation turned off: the customer "
                "cannot cancel by themselves",
                (portal.id,),
            )
        )
    if not portal.payment_method_update_enabled:
        found.append(
            _anomaly(
                PORTAL_PAYMENT_UPDATE_DISABLED,
                "Portal cannot update card",
                f"The billing portal ({portal.id}) does not let the customer change their "
                "payment method",
                (portal.id,),
            )
        )
    if not portal.invoice_history_enabled:
        found.append(
            _anomaly(
                PORTAL_INVOICE_HISTORY_DISABLED,
                "Portal hides invoices",
                f"The billing portal ({portal.id}) does not show the invoice history",
                (portal.id,),
            )
        )
    return found


#: Every detector, in the order of the table in docs/anomalies.md.
DETECTORS: tuple[Detector, ...] = (
    detect_duplicate_subscription,
    detect_duplicate_customer,
    detect_cross_customer_duplicate,
    detect_team_purchase_pattern,
    detect_mixed_interval,
    detect_payment_failed,
    detect_incomplete_checkout,
    detect_card_expired,
    detect_card_expires_before_renewal,
    detect_no_payment_method,
    detect_trial_ending_without_payment_method,
    detect_disputed_charge,
    detect_refunded_charge,
    detect_double_charge,
    detect_proration_activity,
    detect_cancel_pending,
    detect_customer_balance,
    detect_portal,
)


def sort_key(anomaly: Anomaly) -> tuple[int, str, tuple[str, ...]]:
    return (-anomaly.severity, anomaly.code, anomaly.refs)


def detect(
    snapshot: CustomerSnapshot,
    settings: Settings = DEFAULT_SETTINGS,
    now: datetime | None = None,
) -> tuple[Anomaly, ...]:
    """Every anomaly in ``snapshot``, most severe first (then by code and refs).

    ``now`` defaults to the snapshot's own clock (``loaded_at``), so a snapshot taken from the
    sandbox is judged at the sandbox's time.
    """
    when = now or snapshot.loaded_at
    found: list[Anomaly] = []
    for detector in DETECTORS:
        found.extend(detector(snapshot, settings, when))
    return tuple(sorted(found, key=sort_key))


def codes(anomalies: Iterable[Anomaly]) -> frozenset[str]:
    """The set of codes among ``anomalies``."""
    return frozenset(a.code for a in anomalies)
