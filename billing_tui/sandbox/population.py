"""A deterministic population of ordinary customers around the scenarios (search, paging, load).

``populate(state, n, seed=7)`` adds ``n`` customers, each with a card and one subscription whose
latest invoice is paid by a PaymentIntent + charge + ``invoice_payment`` (past-due ones: an open
invoice with declined attempts). The mix is realistic rather than uniform:

* plans: Pro (personal, quantity 1) or Team (2–50 seats, mostly small), monthly or annual, in
  usd, eur, gbp or jpy (JPY amounts are zero-decimal);
* about 3 % **planted duplicates**: a second subscription to the same price created 30–300 s
  after the first, both paid (``PopulationInfo.duplicate_customer_ids`` and ``…_pairs``);
* about 5 % past due (expired or declined card, open invoice with 1–3 failed attempts);
* about 12 % churned: canceled, with ``cancellation_details`` (``cancellation_requested`` with
  customer feedback, ``payment_failed`` or ``payment_disputed``).

Beside those, drawn from a second generator of the same seed (so the mix above stays what it
was): about 10 % of subscriptions carry an add-on item (Extra storage or Priority support, its
own product and prices), about 4 % of the active ones are in a 14-day trial (a $0 first
invoice), about 6 % are set to cancel at the period end, about 4 % of paid latest charges are
refunded (a bit over half in full, the rest partly) and about 0.7 % are disputed.

Ids are ``cus_pop<seed>n000001``… (same seed → same ids and data); emails are unique
(``first.last.000001@example.com``) so the population never creates duplicate customers by
accident. 20,000 customers build in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
from dataclasses import dataclass

from billing_tui.sandbox import resources
from billing_tui.sandbox.catalog import load as load_catalog
from billing_tui.sandbox.state import JSON, SandboxState

_FIRST = (
    "Alex", "Maria", "Wei", "Fatima", "John", "Aiko", "Carlos", "Priya", "Olga", "Kwame",
    "Sofia", "Liam", "Chen", "Amina", "Lucas", "Yuki", "Omar", "Elena", "Ravi", "Zoe",
    "Mateo", "Hana", "Ivan", "Leila", "Noah", "Ingrid", "Tariq", "Mei", "Diego", "Nadia",
)  # fmt: skip
_LAST = (
    "Smith", "Garcia", "Wang", "Khan", "Müller", "Tanaka", "Silva", "Patel", "Ivanova",
    "Mensah", "Rossi", "Nguyen", "Kim", "Okafor", "Dubois", "Sato", "Haddad", "Novak",
    "Iyer", "Brown", "López", "Yamamoto", "Petrov", "Rahman", "Johansson", "Costa", "Zhang",
    "Ali", "Fischer", "Moreau",
)  # fmt: skip
_ASCII = str.maketrans({"ü": "u", "ó": "o", "é": "e"})

#: (currency, weight, card brands, card country)
_CURRENCIES = (
    ("usd", 60, ("visa", "mastercard", "amex"), "US"),
    ("eur", 20, ("visa", "mastercard"), "DE"),
    ("gbp", 12, ("visa", "mastercard"), "GB"),
    ("jpy", 8, ("jcb", "visa"), "JP"),
)
_FEEDBACK = ("too_expensive", "unused", "switched_service", "missing_features", "low_quality",
             "other")  # fmt: skip
_DECLINES = ("insufficient_funds", "card_declined", "expired_card", "do_not_honor")


@dataclass(frozen=True)
class PopulationInfo:
    """What :func:`populate` planted, so tests and benchmarks can look for it."""

    count: int
    seed: int
    customer_ids: tuple[str, ...]
    duplicate_customer_ids: tuple[str, ...]
    duplicate_pairs: tuple[tuple[str, str], ...]
    past_due_customer_ids: tuple[str, ...]
    churned_customer_ids: tuple[str, ...]
    multi_item_customer_ids: tuple[str, ...] = ()
    trialing_customer_ids: tuple[str, ...] = ()
    cancel_pending_customer_ids: tuple[str, ...] = ()
    refund_ids: tuple[str, ...] = ()
    dispute_ids: tuple[str, ...] = ()


def populate(state: SandboxState, n: int, *, seed: int = 7) -> PopulationInfo:
    """Add ``n`` deterministic customers (``seed`` picks the population) and return what was
    planted; the info is also stored in ``state.scenarios["population"]`` (or
    ``"population-<seed>"`` for a second population with another seed)."""
    if n < 0:
        raise ValueError("the population size must be ≥ 0")
    key = "population" if "population" not in state.scenarios else f"population-{seed}"
    stem = f"pop{seed}n"
    if state.get("customer", f"cus_{stem}{1:06d}") is not None:
        raise ValueError(f"a population with seed {seed} is already loaded")
    load_catalog(state, [])  # the product catalog (_base.json) the plans use
    _add_ons(state)
    gen = _Generator(state, random.Random(seed), _Extras(random.Random(seed * 7919 + 17)))
    # Hundreds of thousands of new dicts would trigger the cyclic GC over and over (scanning an
    # ever larger heap); nothing here makes cycles, so pause it while building.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with state.lock:
            for i in range(1, n + 1):
                gen.customer(i, f"{stem}{i:06d}")
    finally:
        if gc_was_enabled:
            gc.enable()
    extras = gen.extras
    info = PopulationInfo(
        count=n,
        seed=seed,
        customer_ids=tuple(gen.customer_ids),
        duplicate_customer_ids=tuple(gen.duplicates),
        duplicate_pairs=tuple(gen.pairs),
        past_due_customer_ids=tuple(gen.past_due),
        churned_customer_ids=tuple(gen.churned),
        multi_item_customer_ids=tuple(extras.multi_item),
        trialing_customer_ids=tuple(extras.trialing),
        cancel_pending_customer_ids=tuple(extras.cancel_pending),
        refund_ids=tuple(extras.refunds),
        dispute_ids=tuple(extras.disputes),
    )
    state.scenarios[key] = info
    return info


class _Generator:
    """Makes the population's customers one by one and remembers what it planted."""

    def __init__(self, state: SandboxState, rng: random.Random, extras: _Extras) -> None:
        self.state = state
        self.rng = rng
        self.extras = extras
        self.now = state.now()
        self.descriptions: dict[str, str] = {}
        self.customer_ids: list[str] = []
        self.duplicates: list[str] = []
        self.pairs: list[tuple[str, str]] = []
        self.past_due: list[str] = []
        self.churned: list[str] = []

    def customer(self, i: int, tag: str) -> None:
        state, rng, extras, now = self.state, self.rng, self.extras, self.now
        descriptions = self.descriptions
        roll = rng.random()
        kind = (
            "duplicate" if roll < 0.03
            else "past_due" if roll < 0.08
            else "churned" if roll < 0.20
            else "active"
        )  # fmt: skip
        currency, brands, country = _pick_currency(rng)
        team = kind != "duplicate" and rng.random() < 0.25
        annual = rng.random() < 0.3
        plan = "team" if team else "pro"
        suffix = "" if currency == "usd" else currency
        price_id = f"price_{plan}{'annual' if annual else 'monthly'}{suffix}"
        quantity = _seats(rng) if team else 1
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}.{i:06d}@example.com".lower().translate(_ASCII)
        created = now - rng.randrange(2 * 86400, 5 * 365 * 86400)
        cust = resources.customer(
            state,
            id=f"cus_{tag}",
            email=email,
            name=f"{first} {last}",
            created=created,
            currency=currency,
            metadata={"source": "population"},
        )
        self.customer_ids.append(cust["id"])
        expired = kind == "past_due" and rng.random() < 0.5
        exp = _utc_month(now, -rng.randrange(1, 6) if expired else rng.randrange(14, 60))
        pm = resources.payment_method(
            state,
            id=f"pm_{tag}",
            customer=cust["id"],
            brand=rng.choice(brands),
            last4=f"{rng.randrange(10000):04d}",
            exp_month=exp[0],
            exp_year=exp[1],
            country=country,
            created=created + 60,
            make_default=True,
        )
        sub_created = created + 120
        ended_at = None
        if kind == "churned":
            ended_at = rng.randrange(sub_created + 86400, now)
        shape = extras.shape(
            kind, cust["id"], currency, annual, quantity, now, earliest=sub_created
        )
        sub = _subscription(
            state,
            rng,
            sid=f"sub_{tag}",
            customer=cust["id"],
            price_id=price_id,
            quantity=quantity,
            created=shape.trial_start or sub_created,
            status={"past_due": "past_due", "churned": "canceled"}.get(kind, "active"),
            ended_at=ended_at,
            shape=shape,
        )
        failed = kind == "past_due"
        _latest_invoice(
            state,
            rng,
            sub,
            pm["id"],
            f"{tag}",
            descriptions,
            failed=failed,
            expired=expired,
        )
        if not failed and shape.trial_start is None and kind != "duplicate":
            extras.after_payment(state, f"ch_{tag}", now)
        if kind == "duplicate":
            twin = _subscription(
                state,
                rng,
                sid=f"sub_{tag}d",
                customer=cust["id"],
                price_id=price_id,
                quantity=1,
                created=sub_created + rng.randrange(30, 300),
                status="active",
                ended_at=None,
            )
            _latest_invoice(state, rng, twin, pm["id"], f"{tag}d", descriptions)
            self.duplicates.append(cust["id"])
            self.pairs.append((sub["id"], twin["id"]))
        elif kind == "past_due":
            self.past_due.append(cust["id"])
        elif kind == "churned":
            self.churned.append(cust["id"])


def _pick_currency(rng: random.Random) -> tuple[str, tuple[str, ...], str]:
    roll = rng.randrange(100)
    for currency, weight, brands, country in _CURRENCIES:
        if roll < weight:
            return currency, brands, country
        roll -= weight
    raise AssertionError("weights sum to 100")  # pragma: no cover


def _seats(rng: random.Random) -> int:
    """2–50 seats, most teams small."""
    return min(50, 2 + int(rng.expovariate(1 / 6)))


def _utc_month(now: int, months: int) -> tuple[int, int]:
    """(month, year) ``months`` away from ``now``'s month."""
    at = dt.datetime.fromtimestamp(now, dt.UTC)
    year, month = divmod(at.year * 12 + at.month - 1 + months, 12)
    return month + 1, year


def _subscription(
    state: SandboxState,
    rng: random.Random,
    *,
    sid: str,
    customer: str,
    price_id: str,
    quantity: int,
    created: int,
    status: str,
    ended_at: int | None,
    shape: _Shape | None = None,
) -> JSON:
    shape = shape or _Shape()
    if shape.trial_start is not None:
        status = "trialing"
    reason = feedback = None
    if status == "canceled":
        roll = rng.random()
        if roll < 0.75:
            reason, feedback = "cancellation_requested", rng.choice(_FEEDBACK)
        elif roll < 0.95:
            reason = "payment_failed"
        else:
            reason = "payment_disputed"
    if shape.cancel_pending and status == "active":
        reason = "cancellation_requested"
    items = [(price_id, quantity), *shape.add_on]
    sub = resources.subscription(
        state,
        id=sid,
        customer=customer,
        items=items,
        item_ids=[f"si_{sid[4:]}", *(f"si_{sid[4:]}a" for _ in shape.add_on)],
        created=created,
        status=status,
        trial_start=shape.trial_start,
        trial_end=None if shape.trial_start is None else shape.trial_start + _TRIAL,
        ended_at=ended_at,
        canceled_at=ended_at,
        cancel_at_period_end=shape.cancel_pending and status == "active",
        cancellation_reason=reason,
        cancellation_feedback=feedback,
    )
    if sub["cancel_at_period_end"]:
        # asked during the current period; the subscription ends with it
        start, end = (
            sub["items"]["data"][0][k] for k in ("current_period_start", "current_period_end")
        )
        sub["cancel_at"] = end
        sub["canceled_at"] = start + (state.now() - start) // 2
    return sub


def _latest_invoice(
    state: SandboxState,
    rng: random.Random,
    sub: JSON,
    pm_id: str,
    tag: str,
    descriptions: dict[str, str],
    *,
    failed: bool = False,
    expired: bool = False,
) -> None:
    items = sub["items"]["data"]
    start = items[0]["current_period_start"]
    trial = sub["status"] == "trialing"
    first = start == sub["created"]
    inv = resources.invoice(
        state,
        id=f"in_{tag}",
        customer=sub["customer"],
        subscription=sub["id"],
        lines=[
            _line(state, item, f"il_{tag}{'abcdefgh'[n] if n else ''}", descriptions, trial)
            for n, item in enumerate(items)
        ],
        created=start,
        status="open" if failed else "paid",
        billing_reason="subscription_create" if first else "subscription_cycle",
    )
    if trial:
        return  # a $0 trial invoice is paid without a payment
    if failed:
        attempts = rng.randrange(1, 4)
        resources.fail_invoice(
            state,
            invoice=inv["id"],
            payment_method=pm_id,
            attempts=attempts,
            failure_code="expired_card" if expired else rng.choice(_DECLINES),
            first_attempt=start + 3600,
            retry_every=max(1, (state.now() - start - 3600) // (attempts + 1)),
            payment_intent_id=f"pi_{tag}",
            charge_ids=[f"ch_{tag}f{k}" for k in range(1, attempts + 1)],
            invoice_payment_id=f"inpay_{tag}",
        )
    else:
        resources.pay_invoice(
            state,
            invoice=inv["id"],
            payment_method=pm_id,
            at=start + (2 if first else 3600),
            payment_intent_id=f"pi_{tag}",
            charge_id=f"ch_{tag}",
            invoice_payment_id=f"inpay_{tag}",
        )


def _line(
    state: SandboxState, item: JSON, line_id: str, descriptions: dict[str, str], trial: bool
) -> JSON:
    """One invoice line for a subscription item (``Trial period for …`` at $0 in a trial)."""
    pr = item["price"]
    desc = descriptions.get(pr["id"])
    if desc is None:
        product = state.objects["product"][pr["product"]]["name"]
        unit = resources.format_amount(pr["unit_amount"], pr["currency"])
        desc = descriptions[pr["id"]] = f"{product} (at {unit} / {pr['recurring']['interval']})"
    product_name = desc.split(" (at ", 1)[0]
    return {
        "id": line_id,
        "amount": 0 if trial else pr["unit_amount"] * item["quantity"],
        "description": f"Trial period for {product_name}"
        if trial
        else f"{item['quantity']} × {desc}",
        "period_start": item["current_period_start"],
        "period_end": item["current_period_end"],
        "price": pr["id"],
        "quantity": item["quantity"],
        "subscription_item": item["id"],
    }


# --------------------------------------------------------------------------- the extras

_TRIAL = 14 * 86400
_DAY = 86400
#: (product id, name, {currency: monthly unit amount}); annual prices are ten months.
_ADD_ONS = (
    ("prod_addon_storage", "Extra storage", {"usd": 500, "eur": 500, "gbp": 400, "jpy": 700}),
    (
        "prod_addon_support",
        "Priority support",
        {"usd": 2900, "eur": 2900, "gbp": 2500, "jpy": 4000},
    ),
)
_DISPUTE_REASONS = ("fraudulent", "product_not_received", "subscription_canceled", "general")
_REFUND_REASONS = ("requested_by_customer",) * 8 + ("duplicate", "fraudulent")


def _add_on_price(product: str, currency: str, annual: bool) -> str:
    return f"price_{product[5:]}_{'year' if annual else 'month'}_{currency}"


def _add_ons(state: SandboxState) -> None:
    """The add-on products and their prices (once per state, whichever seed comes first)."""
    for product_id, name, amounts in _ADD_ONS:
        if state.get("product", product_id) is not None:
            continue
        created = state.now() - 3 * 365 * _DAY
        resources.product(state, id=product_id, name=name, created=created)
        for currency, monthly in amounts.items():
            for annual in (False, True):
                resources.price(
                    state,
                    id=_add_on_price(product_id, currency, annual),
                    product=product_id,
                    unit_amount=monthly * 10 if annual else monthly,
                    currency=currency,
                    interval="year" if annual else "month",
                    created=created,
                )


@dataclass(frozen=True)
class _Shape:
    """How one generated subscription departs from the plain one-item paid subscription."""

    add_on: tuple[tuple[str, int], ...] = ()
    trial_start: int | None = None
    cancel_pending: bool = False


class _Extras:
    """Draws the add-ons, trials, pending cancellations, refunds and disputes from their own
    generator, and remembers what it planted."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.multi_item: list[str] = []
        self.trialing: list[str] = []
        self.cancel_pending: list[str] = []
        self.refunds: list[str] = []
        self.disputes: list[str] = []

    def shape(
        self,
        kind: str,
        customer: str,
        currency: str,
        annual: bool,
        seats: int,
        now: int,
        *,
        earliest: int,
    ) -> _Shape:
        """The departures of one subscription; a trial starts no earlier than ``earliest``."""
        rng = self.rng
        add_on: tuple[tuple[str, int], ...] = ()
        if kind != "duplicate" and rng.random() < 0.10:
            product = rng.choice(_ADD_ONS)[0]
            quantity = seats if product == "prod_addon_support" else 1
            add_on = ((_add_on_price(product, currency, annual), quantity),)
            self.multi_item.append(customer)
        roll = rng.random()
        trial_start = None
        cancel_pending = False
        if kind == "active" and roll < 0.04:
            trial_start = max(earliest, now - rng.randrange(_DAY, _TRIAL - 3600))
            self.trialing.append(customer)
        elif kind == "active" and roll < 0.10:
            cancel_pending = True
            self.cancel_pending.append(customer)
        return _Shape(add_on, trial_start, cancel_pending)

    def after_payment(self, state: SandboxState, charge_id: str, now: int) -> None:
        """Maybe refund (in full or part) or dispute the charge that paid the latest invoice."""
        rng = self.rng
        roll = rng.random()
        ch = state.objects["charge"][charge_id]
        if now - ch["created"] < _DAY:
            return  # too fresh to have been refunded or disputed
        if roll < 0.04:
            full = rng.random() < 0.55
            amount = None if full else max(1, ch["amount"] * rng.randrange(10, 90) // 100)
            refund = resources.refund(
                state,
                id=f"re_{charge_id[3:]}",
                charge=charge_id,
                amount=amount,
                reason=rng.choice(_REFUND_REASONS),
                created=min(now - 60, ch["created"] + rng.randrange(3600, 10 * _DAY)),
            )
            self.refunds.append(refund["id"])
        elif roll < 0.047:
            created = min(now - 3600, ch["created"] + rng.randrange(2 * _DAY, 40 * _DAY))
            age = now - created
            status = (
                rng.choice(("needs_response", "warning_needs_response")) if age < 7 * _DAY
                else "under_review" if age < 30 * _DAY
                else rng.choice(("won", "lost"))
            )  # fmt: skip
            dispute = resources.dispute(
                state,
                id=f"dp_{charge_id[3:]}",
                charge=charge_id,
                reason=rng.choice(_DISPUTE_REASONS),
                status=status,
                created=created,
                due_by=created + 7 * _DAY,
            )
            self.disputes.append(dispute["id"])
