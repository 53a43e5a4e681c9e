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
    rng = random.Random(seed)
    now = state.now()
    descriptions: dict[str, str] = {}
    customer_ids: list[str] = []
    duplicates: list[str] = []
    pairs: list[tuple[str, str]] = []
    past_due: list[str] = []
    churned: list[str] = []
    # Hundreds of thousands of new dicts would trigger the cyclic GC over and over (scanning an
    # ever larger heap); nothing here makes cycles, so pause it while building.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with state.lock:
            for i in range(1, n + 1):
                tag = f"{stem}{i:06d}"
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
                customer_ids.append(cust["id"])
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
                sub = _subscription(
                    state,
                    rng,
                    sid=f"sub_{tag}",
                    customer=cust["id"],
                    price_id=price_id,
                    quantity=quantity,
                    created=sub_created,
                    status={"past_due": "past_due", "churned": "canceled"}.get(kind, "active"),
                    ended_at=ended_at,
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
                    duplicates.append(cust["id"])
                    pairs.append((sub["id"], twin["id"]))
                elif kind == "past_due":
                    past_due.append(cust["id"])
                elif kind == "churned":
                    churned.append(cust["id"])
    finally:
        if gc_was_enabled:
            gc.enable()
    info = PopulationInfo(
        count=n,
        seed=seed,
        customer_ids=tuple(customer_ids),
        duplicate_customer_ids=tuple(duplicates),
        duplicate_pairs=tuple(pairs),
        past_due_customer_ids=tuple(past_due),
        churned_customer_ids=tuple(churned),
    )
    state.scenarios[key] = info
    return info


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
) -> JSON:
    reason = feedback = None
    if status == "canceled":
        roll = rng.random()
        if roll < 0.75:
            reason, feedback = "cancellation_requested", rng.choice(_FEEDBACK)
        elif roll < 0.95:
            reason = "payment_failed"
        else:
            reason = "payment_disputed"
    return resources.subscription(
        state,
        id=sid,
        customer=customer,
        items=[(price_id, quantity)],
        item_ids=[f"si_{sid[4:]}"],
        created=created,
        status=status,
        ended_at=ended_at,
        canceled_at=ended_at,
        cancellation_reason=reason,
        cancellation_feedback=feedback,
    )


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
    item = sub["items"]["data"][0]
    pr = item["price"]
    start, end = item["current_period_start"], item["current_period_end"]
    desc = descriptions.get(pr["id"])
    if desc is None:
        product = state.objects["product"][pr["product"]]["name"]
        unit = resources.format_amount(pr["unit_amount"], pr["currency"])
        desc = descriptions[pr["id"]] = f"{product} (at {unit} / {pr['recurring']['interval']})"
    first = start == sub["created"]
    inv = resources.invoice(
        state,
        id=f"in_{tag}",
        customer=sub["customer"],
        subscription=sub["id"],
        lines=[
            {
                "id": f"il_{tag}",
                "amount": pr["unit_amount"] * item["quantity"],
                "description": f"{item['quantity']} × {desc}",
                "period_start": start,
                "period_end": end,
                "price": pr["id"],
                "quantity": item["quantity"],
                "subscription_item": item["id"],
            }
        ],
        created=start,
        status="open" if failed else "paid",
        billing_reason="subscription_create" if first else "subscription_cycle",
    )
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
