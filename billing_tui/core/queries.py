"""Questions asked of a :class:`~billing_tui.core.model.CustomerSnapshot`: the one home of each.

What a plan is called, whom a subscription is for, which card paid it, which customers share an
email, which charge paid which subscription, which invoices prorate — and the ONE definition of
a duplicate subscription (:func:`duplicate_groups`), read by the detectors
(:mod:`billing_tui.core.anomalies`), the classifier and the planner alike.

Every answer is independent of the order of the snapshot's tuples (oldest first, then by id).
Pure: no I/O, no sentences (the detectors write those).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from billing_tui.core.model import (
    CardDetails,
    Customer,
    CustomerSnapshot,
    Invoice,
    PaymentMethod,
    Price,
    Subscription,
    SubscriptionItem,
)
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import normalise_email

# --------------------------------------------------------------------------- names and order


def plan_name(price: Price) -> str:
    """What an operator calls a price: its nickname, else its product's name."""
    return price.nickname or price.product_name


def subscription_name(sub: Subscription) -> str:
    """The plan names of a subscription's items (each once), else its id."""
    return ", ".join(dict.fromkeys(plan_name(i.price) for i in sub.items)) or sub.id


def oldest_first(subs: Iterable[Subscription]) -> list[Subscription]:
    """Subscriptions by creation time, then id."""
    return sorted(subs, key=lambda s: (s.created, s.id))


def live_by_customer(snapshot: CustomerSnapshot) -> dict[str, list[Subscription]]:
    """Customer id → that customer's live subscriptions, oldest first."""
    grouped: dict[str, list[Subscription]] = defaultdict(list)
    for sub in oldest_first(snapshot.live_subscriptions):
        grouped[sub.customer_id].append(sub)
    return grouped


def live_customers(snapshot: CustomerSnapshot) -> list[Customer]:
    """The snapshot's customers that are not deleted, oldest first."""
    return sorted((c for c in snapshot.customers if not c.deleted), key=lambda c: (c.created, c.id))


# --------------------------------------------------------------------------- people and seats


def person(sub: Subscription, settings: Settings) -> str | None:
    """The person a subscription's metadata says it is for (first of the person keys), if any."""
    for key in settings.person_metadata_keys:
        value = (sub.metadata.get(key) or "").strip()
        if value:
            return value.casefold()
    return None


def different_people(a: Subscription, b: Subscription, settings: Settings) -> bool:
    """Both subscriptions name a person in their metadata, and not the same one."""
    pa, pb = person(a, settings), person(b, settings)
    return pa is not None and pb is not None and pa != pb


def single_seat(sub: Subscription) -> bool:
    """Every item has quantity 1 (an unset quantity counts as 1)."""
    return all((item.quantity or 1) == 1 for item in sub.items)


def max_quantity(sub: Subscription) -> int:
    """The largest item quantity (an unset quantity counts as 1); 0 without items."""
    return max(((item.quantity or 1) for item in sub.items), default=0)


def seat_item(sub: Subscription) -> SubscriptionItem | None:
    """The item whose quantity is a seat count: the one with the most seats when any item has
    more than one (a base plan + a per-seat add-on: the add-on), else the only item."""
    if not sub.items:
        return None
    best = next(i for i in sub.items if (i.quantity or 1) == sub.quantity)
    if (best.quantity or 1) > 1 or len(sub.items) == 1:
        return best
    return None


def seats_text(sub: Subscription) -> str:
    """What a subscription holds, item by item: ``5 seats``, ``Pro monthly × 1 + Team × 4``.

    A subscription with two items is one subscription with two items, never ``qty 5``."""
    if len(sub.items) == 1:
        q = sub.items[0].quantity or 1
        return f"{q} seat" if q == 1 else f"{q} seats"
    return " + ".join(f"{plan_name(i.price)} × {i.quantity or 1}" for i in sub.items)


def team_name(sub: Subscription, settings: Settings) -> str | None:
    """The team (or its seat holders) a subscription's metadata names, if any."""
    for key in settings.team_metadata_keys:
        value = (sub.metadata.get(key) or "").strip()
        if value:
            return value.casefold()
    return None


def different_teams(a: Subscription, b: Subscription, settings: Settings) -> bool:
    """Both subscriptions name a team in their metadata, and not the same one."""
    ta, tb = team_name(a, settings), team_name(b, settings)
    return ta is not None and tb is not None and ta != tb


def shared_plans(a: Subscription, b: Subscription) -> list[Price]:
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


def customers_by_email(customers: Iterable[Customer]) -> dict[str, list[Customer]]:
    """Customers grouped by normalised email (trimmed, case-folded); no email, no group."""
    groups: dict[str, list[Customer]] = defaultdict(list)
    for customer in customers:
        key = normalise_email(customer.email)
        if key is not None:
            groups[key].append(customer)
    return groups


# --------------------------------------------------------------------------- cards and charges


@dataclass(frozen=True)
class CardRef:
    """A card, and the key used to tell whether two payments came from the same one."""

    key: str
    card: CardDetails | None


def first_invoice(snapshot: CustomerSnapshot, sub: Subscription) -> Invoice | None:
    """The invoice that created ``sub`` (``subscription_create``), else its oldest invoice."""
    invoices = sorted(snapshot.invoices_of(sub.id), key=lambda i: (i.created, i.id))
    for invoice in invoices:
        if invoice.billing_reason == "subscription_create":
            return invoice
    return invoices[0] if invoices else None


def paying_card(snapshot: CustomerSnapshot, sub: Subscription) -> CardRef | None:
    """The card that paid ``sub``'s first invoice, else its default payment method's card."""
    invoice = first_invoice(snapshot, sub)
    if invoice is not None:
        for charge in sorted(snapshot.charges_of_invoice(invoice), key=lambda c: (c.created, c.id)):
            if charge.status != "succeeded":
                continue
            if charge.card is not None and charge.card.fingerprint:
                return CardRef(f"fp:{charge.card.fingerprint}", charge.card)
            if charge.payment_method_id:
                pm = snapshot.payment_method(charge.payment_method_id)
                return _pm_ref(pm, charge.payment_method_id, charge.card)
    if sub.default_payment_method_id:
        pm = snapshot.payment_method(sub.default_payment_method_id)
        return _pm_ref(pm, sub.default_payment_method_id, None)
    return None


def _pm_ref(pm: PaymentMethod | None, pm_id: str, card: CardDetails | None) -> CardRef:
    card = (pm.card if pm is not None else None) or card
    if card is not None and card.fingerprint:
        return CardRef(f"fp:{card.fingerprint}", card)
    return CardRef(f"pm:{pm_id}", card)


def default_payment_method(
    snapshot: CustomerSnapshot, customer: Customer
) -> tuple[str, PaymentMethod | None] | None:
    """The customer's default payment method id (customer's, else a live subscription's)."""
    if customer.default_payment_method_id:
        pm_id = customer.default_payment_method_id
        return pm_id, snapshot.payment_method(pm_id)
    for sub in oldest_first(snapshot.live_subscriptions):
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


def has_payment_method(snapshot: CustomerSnapshot, customer: Customer) -> bool:
    """The customer has a default, an attached payment method, or a subscription's default."""
    if customer.default_payment_method_id:
        return True
    if any(pm.customer_id == customer.id for pm in snapshot.payment_methods):
        return True
    return any(
        s.default_payment_method_id for s in snapshot.subscriptions if s.customer_id == customer.id
    )


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


def proration_invoices(
    snapshot: CustomerSnapshot, settings: Settings, now: datetime
) -> list[Invoice]:
    """Invoices created within ``proration_lookback_days`` with a proration line, oldest first."""
    since = now - timedelta(days=settings.proration_lookback_days)
    return sorted(
        (i for i in snapshot.invoices if i.created >= since and i.has_proration),
        key=lambda i: (i.created, i.id),
    )


# --------------------------------------------------------------------------- duplicates


def components(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components of more than one node of an undirected graph, in ``nodes`` order."""
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


@dataclass(frozen=True)
class DuplicateGroup:
    """Live subscriptions that duplicate each other, oldest (the one to keep) first.

    ``across_customers`` false: one customer's ``duplicate_subscription`` group. True: one
    product (``product_id``) live on several customer records sharing ``email`` (normalised),
    the ``cross_customer_duplicate`` group.
    """

    subscriptions: tuple[Subscription, ...]
    across_customers: bool = False
    product_id: str | None = None
    email: str | None = None

    @property
    def original(self) -> Subscription:
        return self.subscriptions[0]

    @property
    def extras(self) -> tuple[Subscription, ...]:
        return self.subscriptions[1:]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.subscriptions)

    @property
    def owners(self) -> frozenset[str]:
        return frozenset(s.customer_id for s in self.subscriptions)

    @property
    def spread_seconds(self) -> int:
        """Seconds between the first and the last member's creation."""
        times = [s.created for s in self.subscriptions]
        return int((max(times) - min(times)).total_seconds())

    def keeping(self, subscription_id: str | None) -> DuplicateGroup:
        """The group with ``subscription_id`` (the operator's pick) as the one kept; the
        oldest stays kept when ``subscription_id`` is None or not a member."""
        if subscription_id is None or subscription_id not in self.ids:
            return self
        kept = next(s for s in self.subscriptions if s.id == subscription_id)
        rest = tuple(s for s in self.subscriptions if s.id != subscription_id)
        return replace(self, subscriptions=(kept, *rest))

    @property
    def product_name(self) -> str:
        """The shared product's name (cross-customer), else the oldest one's plan name."""
        items = sorted(self.original.items, key=lambda i: i.price.id)
        if self.product_id is not None:
            for item in items:
                if item.price.product_id == self.product_id:
                    return item.price.product_name
        return subscription_name(self.original)


def purchase_shape(sub: Subscription) -> tuple[tuple[str, str | None, int, int], ...]:
    """What was bought, whatever the price ids: (product, interval, count, quantity) per item."""
    return tuple(
        sorted(
            (i.price.product_id, i.price.interval, i.price.interval_count, i.quantity or 1)
            for i in sub.items
        )
    )


def _is_duplicate_pair(a: Subscription, b: Subscription, settings: Settings) -> bool:
    """The ``duplicate_subscription`` rule for two live subscriptions of one customer: the same
    purchase twice, at any quantity (a 5-seat team plan bought twice is a duplicate; 5 seats and
    then 1 more seat is not), unless the metadata names different people or different teams."""
    return (
        bool(shared_plans(a, b))
        and purchase_shape(a) == purchase_shape(b)
        and abs((b.created - a.created).total_seconds()) <= settings.duplicate_window_seconds
        and not different_people(a, b, settings)
        and not different_teams(a, b, settings)
    )


def _in_customer_groups(
    snapshot: CustomerSnapshot, settings: Settings, *, include_ended: bool = False
) -> list[DuplicateGroup]:
    groups: list[DuplicateGroup] = []
    if include_ended:
        by_customer: dict[str, list[Subscription]] = defaultdict(list)
        for sub in oldest_first(snapshot.subscriptions):
            by_customer[sub.customer_id].append(sub)
    else:
        by_customer = live_by_customer(snapshot)
    for subs in by_customer.values():
        edges = [
            (a.id, b.id)
            for i, a in enumerate(subs)
            for b in subs[i + 1 :]
            if _is_duplicate_pair(a, b, settings)
        ]
        by_id = {s.id: s for s in subs}
        for component in components([s.id for s in subs], edges):
            groups.append(DuplicateGroup(tuple(by_id[sid] for sid in component)))
    return groups


def _cross_customer_groups(snapshot: CustomerSnapshot) -> list[DuplicateGroup]:
    live = live_by_customer(snapshot)
    groups: list[DuplicateGroup] = []
    for email, customers in customers_by_email(live_customers(snapshot)).items():
        if len(customers) < 2:
            continue
        by_product: dict[str, dict[str, Subscription]] = defaultdict(dict)
        for customer in customers:
            for sub in live.get(customer.id, []):
                for product_id in sub.product_ids:
                    by_product[product_id].setdefault(sub.id, sub)
        for product_id in sorted(by_product):
            subs = tuple(oldest_first(by_product[product_id].values()))
            if len({s.customer_id for s in subs}) >= 2:
                groups.append(DuplicateGroup(subs, True, product_id, email))
    return groups


def duplicate_groups(
    snapshot: CustomerSnapshot,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    across_customers: bool = False,
    include_ended: bool = False,
) -> list[DuplicateGroup]:
    """The ONE definition of duplicate subscriptions (docs/anomalies.md).

    Always: each customer's groups of N ≥ 2 live subscriptions that share a plan (price, or
    product and interval), were created within ``duplicate_window_seconds`` of each other and
    name no different people or teams, whatever their quantities (``duplicate_subscription``).
    With ``across_customers``, also, after those: each product live on two or more customer
    records that share an email (``cross_customer_duplicate``), with every live subscription to
    it on those records. ``include_ended``: the same rule over every subscription, live or
    not (what a case's duplicates were before it cancelled them; never for planning).
    """
    groups = _in_customer_groups(snapshot, settings, include_ended=include_ended)
    if across_customers:
        groups.extend(_cross_customer_groups(snapshot))
    return groups


def cancellable(
    groups: Sequence[DuplicateGroup],
    settings: Settings = DEFAULT_SETTINGS,
    *,
    keep: str | None = None,
) -> list[DuplicateGroup]:
    """What the planner may cancel of :func:`duplicate_groups` ``(across_customers=True)``.

    A customer's own groups as they are. A cross-customer group only with what is safe to
    cancel: not already in a customer's own group, at most one seat in all, and — after the
    oldest of those, which is kept — only subscriptions on another customer record that name
    no different person. A group left with nothing to cancel is dropped. ``keep`` (a member's
    id, the operator's pick) is kept instead of the oldest in its group.
    """
    own = [g.keeping(keep) for g in groups if not g.across_customers]
    taken = {sid for g in own for sid in g.ids}
    narrowed = [_narrowed(g, taken, settings) for g in groups if g.across_customers]
    return own + [g.keeping(keep) for g in narrowed if g is not None]


def _narrowed(group: DuplicateGroup, taken: set[str], settings: Settings) -> DuplicateGroup | None:
    subs = [s for s in group.subscriptions if s.id not in taken and s.quantity <= 1]
    if not subs:
        return None
    original = subs[0]
    extras = [
        s
        for s in subs[1:]
        if s.customer_id != original.customer_id and not different_people(original, s, settings)
    ]
    return replace(group, subscriptions=(original, *extras)) if extras else None
