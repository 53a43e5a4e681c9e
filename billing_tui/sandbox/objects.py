"""Factories for complete, Stripe wire-shaped objects (API version ``2026-10-28.endive``).

Each factory takes the fields that matter (keyword-only), fills every other field with the
default Stripe would return, stores the object in the :class:`SandboxState` and returns it.
References to other objects are ids (unexpanded), exactly as the API returns them.

The shapes follow Stripe's current API (see ``shared/reference/stripe-api.md`` §1):

* billing periods live on subscription **items** (``current_period_start/end``), never on the
  subscription; ``items`` is a list object whose items embed their ``price``;
* invoices point at their subscription through ``parent.subscription_details`` and have no
  ``charge``, ``payment_intent``, ``subscription`` or ``paid``; their payments are separate
  ``invoice_payment`` objects (``payment.payment_intent``); lines point at their source through
  ``parent.subscription_item_details``;
* charges have no ``invoice`` and do not carry ``refunds`` (the engine adds the list when
  expanded); refunds are separate ``refund`` objects with ``charge``.

Money is always integer minor units (JPY is zero-decimal: ``1500`` is ¥1,500).

To keep a 20,000-customer population small in memory, parts that never change after creation are
shared between objects: embedded prices inside subscription items are the stored price dicts, and
constant blocks (empty ``discounts``/``tax_rates``/… lists, ``automatic_tax``, ``issuer``,
``payment_settings``, ``billing_mode``, ``trial_settings``, the subscription's
``invoice_settings``, card ``checks``, a succeeded charge's ``outcome``, a line's ``pricing``…)
are module constants. Code that changes one of those keys assigns a new value; it never mutates
them in place. Everything an API call can change (``metadata``, ``items``,
``cancellation_details``, ``status_transitions``, the customer's ``invoice_settings``…) is per
object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from billing_tui.sandbox.state import JSON, SandboxState

#: Where the sandbox's hosted pages (invoice, receipt) pretend to live. ``.invalid`` never resolves.
SANDBOX_WEB = "https://sandbox.billing-tui.invalid"

#: Stripe statuses in which a subscription is still billed.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid"})

_CARD_NETWORK_REASON = {
    "fraudulent": "10.4",
    "product_not_received": "13.1",
    "duplicate": "12.6.1",
    "subscription_canceled": "13.2",
    "credit_not_processed": "13.6",
    "general": "13.3",
    "unrecognized": "10.4",
}

_DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "do_not_honor": "Your card was declined.",
    "generic_decline": "Your card was declined.",
}


# Read-only parts shared by many objects (they never change after creation in Stripe either).
# Sharing them keeps a 20,000-customer population small; code that changes one of these keys
# must assign a new value (``obj["discounts"] = [...]``), never mutate it in place.
_EMPTY: list[Any] = []
_ISSUER_SELF: JSON = {"type": "self"}
_SUB_AUTOMATIC_TAX: JSON = {"disabled_reason": None, "enabled": False, "liability": None}
_INVOICE_AUTOMATIC_TAX: JSON = {
    "disabled_reason": None,
    "enabled": False,
    "liability": None,
    "provider": None,
    "status": None,
}
_BILLING_MODE: JSON = {"type": "classic"}
_SUB_INVOICE_SETTINGS: JSON = {"account_tax_ids": None, "issuer": _ISSUER_SELF}
_SUB_PAYMENT_SETTINGS: JSON = {
    "payment_method_options": None,
    "payment_method_types": None,
    "save_default_payment_method": "off",
}
_SUB_TRIAL_SETTINGS: JSON = {"end_behavior": {"missing_payment_method": "create_invoice"}}
_INVOICE_PAYMENT_SETTINGS: JSON = {
    "default_mandate": None,
    "payment_method_options": None,
    "payment_method_types": None,
}
_NO_CREDITED_ITEMS: JSON = {"credited_items": None}
_PI_AMOUNT_DETAILS: JSON = {"tip": {}}
_PI_CARD_TYPES: list[str] = ["card"]
_PI_METHOD_OPTIONS: JSON = {
    "card": {
        "installments": None,
        "mandate_options": None,
        "network": None,
        "request_three_d_secure": "automatic",
    }
}
_CHARGE_CHECKS: JSON = {
    "address_line1_check": None,
    "address_postal_code_check": None,
    "cvc_check": None,
}
_PM_CHECKS: JSON = {
    "address_line1_check": None,
    "address_postal_code_check": None,
    "cvc_check": "pass",
}
_NETWORK_TOKEN: JSON = {"used": False}
_THREE_DS_USAGE: JSON = {"supported": True}
_OUTCOME_OK: JSON = {
    "advice_code": None,
    "network_advice_code": None,
    "network_decline_code": None,
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "seller_message": "Payment complete.",
    "type": "authorized",
}
_PRICING: dict[tuple[str, str, str], JSON] = {}
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# --------------------------------------------------------------------------- time helpers


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def add_months(ts: int, months: int, *, anchor_day: int | None = None) -> int:
    """``ts`` moved by whole calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29).

    ``anchor_day`` keeps a billing anchor's day of month across short months.
    """
    moment = _utc(ts)
    day = anchor_day or moment.day
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _DAYS_IN_MONTH[month]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    day = min(day, last)
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def add_interval(
    ts: int, interval: str, count: int = 1, n: int = 1, *, anchor_day: int | None = None
) -> int:
    """``ts`` moved by ``n`` billing intervals (``month``/``year`` are calendar-aware)."""
    if interval == "day":
        return ts + 86400 * count * n
    if interval == "week":
        return ts + 7 * 86400 * count * n
    if interval == "month":
        return add_months(ts, count * n, anchor_day=anchor_day)
    if interval == "year":
        return add_months(ts, 12 * count * n, anchor_day=anchor_day)
    raise ValueError(f"unknown interval {interval!r} (day, week, month or year)")


def period_starts(anchor: int, interval: str, count: int, until: int) -> list[int]:
    """Every period start from ``anchor`` up to and including the one containing ``until``."""
    day = _utc(anchor).day
    starts = [anchor]
    n = 1
    while True:
        nxt = add_interval(anchor, interval, count, n, anchor_day=day)
        if nxt > until:
            return starts
        starts.append(nxt)
        n += 1


def _fingerprint(*parts: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()
    # Stripe fingerprints are 16 alphanumerics in mixed case.
    return digest[:8].upper() + digest[8:]


def _body(obj_id: str) -> str:
    return obj_id.split("_", 1)[1] if "_" in obj_id else obj_id


def _null_address() -> JSON:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def _require(state: SandboxState, kind: str, obj_id: str, what: str) -> JSON:
    obj = state.get(kind, obj_id)
    if obj is None:
        raise ValueError(f"{what} {obj_id!r} does not exist (load the {kind} first)")
    return obj


def _list(url: str, data: list[JSON]) -> JSON:
    return {"object": "list", "data": data, "has_more": False, "url": url}


# --------------------------------------------------------------------------- catalog


def product(
    state: SandboxState,
    *,
    id: str | None = None,
    name: str,
    created: int | None = None,
    description: str | None = None,
    default_price: str | None = None,
    metadata: Mapping[str, str] | None = None,
    active: bool = True,
) -> JSON:
    ts = state.now() if created is None else created
    return state.add(
        {
            "id": id or state.new_id("product"),
            "object": "product",
            "active": active,
            "created": ts,
            "default_price": default_price,
            "description": description,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": dict(metadata or {}),
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": None,
            "updated": ts,
            "url": None,
        }
    )


def price(
    state: SandboxState,
    *,
    id: str | None = None,
    product: str,
    unit_amount: int,
    currency: str = "usd",
    interval: str | None = "month",
    interval_count: int = 1,
    nickname: str | None = None,
    lookup_key: str | None = None,
    created: int | None = None,
    metadata: Mapping[str, str] | None = None,
    active: bool = True,
) -> JSON:
    _require(state, "product", product, "product")
    if interval is not None:
        add_interval(0, interval)  # validates the interval name
    recurring = (
        None
        if interval is None
        else {
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    )
    obj = state.add(
        {
            "id": id or state.new_id("price"),
            "object": "price",
            "active": active,
            "billing_scheme": "per_unit",
            "created": state.now() if created is None else created,
            "currency": currency.lower(),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": dict(metadata or {}),
            "nickname": nickname,
            "product": product,
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time" if interval is None else "recurring",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
    )
    prod = state.get("product", product)
    if prod is not None and prod["default_price"] is None:
        prod["default_price"] = obj["id"]
    return obj


# --------------------------------------------------------------------------- customers


def customer(
    state: SandboxState,
    *,
    id: str | None = None,
    email: str | None,
    name: str | None,
    created: int | None = None,
    metadata: Mapping[str, str] | None = None,
    balance: int = 0,
    currency: str | None = None,
    preferred_locales: Sequence[str] = (),
    default_payment_method: str | None = None,
    phone: str | None = None,
    description: str | None = None,
    invoice_prefix: str | None = None,
    delinquent: bool = False,
) -> JSON:
    cid = id or state.new_id("customer")
    prefix = (
        invoice_prefix or hashlib.sha1(cid.encode(), usedforsecurity=False).hexdigest()[:8].upper()
    )
    return state.add(
        {
            "id": cid,
            "object": "customer",
            "address": None,
            "balance": balance,
            "created": state.now() if created is None else created,
            "currency": currency,
            "default_source": None,
            "delinquent": delinquent,
            "description": description,
            "discount": None,
            "email": email,
            "invoice_prefix": prefix,
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": default_payment_method,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": dict(metadata or {}),
            "name": name,
            "next_invoice_sequence": 1,
            "phone": phone,
            "preferred_locales": list(preferred_locales),
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
    )


def card_details(
    *,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    fingerprint: str | None = None,
    funding: str = "credit",
    country: str = "US",
) -> JSON:
    """The ``card`` hash shared by a payment method and the charges it pays."""
    if not (1 <= exp_month <= 12):
        raise ValueError(f"exp_month must be 1-12, not {exp_month}")
    if len(last4) != 4 or not last4.isdigit():
        raise ValueError(f"last4 must be 4 digits, not {last4!r}")
    return {
        "brand": brand,
        "country": country,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": fingerprint or _fingerprint(brand, last4, exp_month, exp_year, country),
        "funding": funding,
        "last4": last4,
    }


def payment_method(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str | None,
    brand: str = "visa",
    last4: str = "4242",
    exp_month: int = 8,
    exp_year: int = 2030,
    fingerprint: str | None = None,
    funding: str = "credit",
    country: str = "US",
    created: int | None = None,
    name: str | None = None,
    email: str | None = None,
    metadata: Mapping[str, str] | None = None,
    make_default: bool = False,
) -> JSON:
    """A card payment method attached to ``customer``; ``make_default`` sets the customer's
    ``invoice_settings.default_payment_method``. Same brand/last4/expiry ⇒ same fingerprint."""
    cust = _require(state, "customer", customer, "customer") if customer else None
    card = card_details(
        brand=brand,
        last4=last4,
        exp_month=exp_month,
        exp_year=exp_year,
        fingerprint=fingerprint,
        funding=funding,
        country=country,
    )
    obj = state.add(
        {
            "id": id or state.new_id("payment_method"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": _null_address(),
                "email": email if email is not None else (cust or {}).get("email"),
                "name": name if name is not None else (cust or {}).get("name"),
                "phone": None,
                "tax_id": None,
            },
            "card": {
                **card,
                "checks": _PM_CHECKS,
                "display_brand": brand,
                "generated_from": None,
                "networks": {"available": [brand], "preferred": None},
                "regulated_status": "unregulated",
                "three_d_secure_usage": _THREE_DS_USAGE,
                "wallet": None,
            },
            "created": state.now() if created is None else created,
            "customer": customer,
            "livemode": False,
            "metadata": dict(metadata or {}),
            "type": "card",
        }
    )
    if cust is not None and make_default:
        cust["invoice_settings"]["default_payment_method"] = obj["id"]
    return obj


# --------------------------------------------------------------------------- subscriptions


def current_period(
    *,
    anchor: int,
    interval: str,
    interval_count: int,
    at: int,
) -> tuple[int, int]:
    """The billing period (start, end) that contains ``at`` for a cycle anchored at ``anchor``
    (the first period when ``at`` is before the anchor). Jumps straight to the period, so it
    stays cheap for long-lived subscriptions."""
    day = _utc(anchor).day
    if interval in {"month", "year"}:
        step = interval_count * (12 if interval == "year" else 1)
        a, t = _utc(anchor), _utc(max(at, anchor))
        n = max(((t.year - a.year) * 12 + t.month - a.month) // step - 1, 0)
    else:
        length = (7 if interval == "week" else 1) * 86400 * interval_count
        n = max((at - anchor) // length - 1, 0)
    start = add_interval(anchor, interval, interval_count, n, anchor_day=day)
    end = add_interval(anchor, interval, interval_count, n + 1, anchor_day=day)
    while end <= at:
        n += 1
        start, end = end, add_interval(anchor, interval, interval_count, n + 1, anchor_day=day)
    return start, end


def subscription(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str,
    items: Sequence[tuple[str, int]],
    created: int | None = None,
    status: str = "active",
    item_ids: Sequence[str] | None = None,
    default_payment_method: str | None = None,
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
    trial_start: int | None = None,
    trial_end: int | None = None,
    billing_cycle_anchor: int | None = None,
    cancel_at_period_end: bool = False,
    cancel_at: int | None = None,
    canceled_at: int | None = None,
    ended_at: int | None = None,
    cancellation_reason: str | None = None,
    cancellation_feedback: str | None = None,
    cancellation_comment: str | None = None,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    latest_invoice: str | None = None,
) -> JSON:
    """A subscription and its items (stored as ``subscription_item`` objects too, same dicts).

    ``items`` are ``(price_id, quantity)`` pairs. Each item's ``current_period_start/end`` is the
    period that contains now (for a canceled subscription: the last period before it ended;
    for a trial: the trial itself), computed from the billing cycle anchor (``created`` or the
    trial end) and the price's interval.
    """
    now = state.now()
    _require(state, "customer", customer, "customer")
    ts = now if created is None else created
    if status == "trialing" and trial_end is None:
        raise ValueError("a trialing subscription needs trial_end")
    if trial_end is not None and trial_start is None:
        trial_start = ts
    anchor = billing_cycle_anchor or trial_end or ts
    if status == "canceled" and ended_at is None:
        ended_at = canceled_at or now
    if status == "canceled" and canceled_at is None:
        canceled_at = ended_at
    sid = id or state.new_id("subscription")
    if item_ids is not None and len(item_ids) != len(items):
        raise ValueError("item_ids must name one id per item")
    if not items:
        raise ValueError("a subscription needs at least one item")
    currencies = set()
    item_dicts: list[JSON] = []
    for n, (price_id, quantity) in enumerate(items):
        pr = _require(state, "price", price_id, "price")
        if pr["recurring"] is None:
            raise ValueError(f"price {price_id!r} is one-time; subscriptions need recurring prices")
        if quantity < 0:
            raise ValueError(f"quantity must be ≥ 0, not {quantity}")
        currencies.add(pr["currency"])
        rec = pr["recurring"]
        if status == "trialing" and trial_end is not None:
            start, end = trial_start or ts, trial_end
        else:
            at = (ended_at - 1) if (status == "canceled" and ended_at) else max(now, ts)
            start, end = current_period(
                anchor=anchor, interval=rec["interval"], interval_count=rec["interval_count"], at=at
            )
        si_id = item_ids[n] if item_ids is not None else state.new_id("subscription_item")
        item: JSON = {
            "id": si_id,
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": ts,
            "current_period_end": end,
            "current_period_start": start,
            "discounts": _EMPTY,
            "metadata": {},
            "price": pr,
            "quantity": quantity,
            "subscription": sid,
            "tax_rates": _EMPTY,
        }
        item_dicts.append(item)
    if len(currencies) != 1:
        raise ValueError(
            f"all items of a subscription share one currency, got {sorted(currencies)}"
        )
    sub = {
        "id": sid,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": _SUB_AUTOMATIC_TAX,
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": _BILLING_MODE,
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {
            "comment": cancellation_comment,
            "feedback": cancellation_feedback,
            "reason": cancellation_reason,
        },
        "collection_method": collection_method,
        "created": ts,
        "currency": currencies.pop(),
        "customer": customer,
        "days_until_due": days_until_due,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": _EMPTY,
        "description": description,
        "discounts": _EMPTY,
        "ended_at": ended_at,
        "invoice_settings": _SUB_INVOICE_SETTINGS,
        "items": _list(f"/v1/subscription_items?subscription={sid}", item_dicts),
        "latest_invoice": latest_invoice,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": _SUB_PAYMENT_SETTINGS,
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": ts,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": _SUB_TRIAL_SETTINGS,
        "trial_start": trial_start,
    }
    for item in item_dicts:
        state.add(item)
    return state.add(sub)


# --------------------------------------------------------------------------- invoices


def _pricing(pr: JSON) -> JSON:
    key = (pr["id"], pr["product"], pr["unit_amount_decimal"])
    found = _PRICING.get(key)
    if found is None:
        found = _PRICING[key] = {
            "price_details": {"price": pr["id"], "product": pr["product"]},
            "type": "price_details",
            "unit_amount_decimal": pr["unit_amount_decimal"],
        }
    return found


def invoice_line(
    state: SandboxState,
    *,
    id: str | None = None,
    invoice: str,
    amount: int,
    currency: str,
    description: str | None,
    period_start: int,
    period_end: int,
    quantity: int | None = 1,
    price: str | None = None,
    subscription: str | None = None,
    subscription_item: str | None = None,
    proration: bool = False,
) -> JSON:
    """One invoice line (``line_item``). Subscription lines point at their item through
    ``parent.subscription_item_details``; other lines are invoice-item lines."""
    pr = state.get("price", price) if price else None
    if price and pr is None:
        raise ValueError(f"price {price!r} does not exist")
    if subscription_item is not None:
        parent: JSON = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": _NO_CREDITED_ITEMS,
                "subscription": subscription,
                "subscription_item": subscription_item,
            },
        }
    else:
        parent = {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": "ii_" + _body(id or invoice),
                "proration": proration,
                "proration_details": _NO_CREDITED_ITEMS,
                "subscription": subscription,
            },
            "subscription_item_details": None,
        }
    return state.add(
        {
            "id": id or state.new_id("line_item"),
            "object": "line_item",
            "amount": amount,
            "currency": currency,
            "description": description,
            "discount_amounts": _EMPTY,
            "discountable": not proration,
            "discounts": _EMPTY,
            "invoice": invoice,
            "livemode": False,
            "metadata": {},
            "parent": parent,
            "period": {"end": period_end, "start": period_start},
            "pretax_credit_amounts": _EMPTY,
            "pricing": None if pr is None else _pricing(pr),
            "quantity": quantity,
            "quantity_decimal": None if quantity is None else str(quantity),
            "subscription": subscription,
            "subtotal": amount,
            "taxes": _EMPTY,
        }
    )


def invoice(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str,
    lines: Sequence[Mapping[str, Any]],
    created: int | None = None,
    status: str = "paid",
    subscription: str | None = None,
    billing_reason: str = "subscription_cycle",
    currency: str | None = None,
    period_start: int | None = None,
    period_end: int | None = None,
    attempt_count: int | None = None,
    next_payment_attempt: int | None = None,
    paid_at: int | None = None,
    starting_balance: int = 0,
    collection_method: str = "charge_automatically",
    due_date: int | None = None,
    default_payment_method: str | None = None,
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
) -> JSON:
    """An invoice with its lines. ``lines`` are keyword dicts for :func:`invoice_line` without
    ``invoice``/``currency``/``subscription`` (inherited), e.g. ``{"amount": 1900,
    "description": "1 × Pro", "period_start": …, "period_end": …, "price": "price_…",
    "subscription_item": "si_…", "quantity": 1, "proration": False}``.

    Totals follow Stripe: ``total`` is the sum of the lines; a negative ``starting_balance``
    (credit) reduces ``amount_due``; a negative total leaves credit in ``ending_balance``.
    Paid invoices have ``amount_paid = amount_due``. The subscription's ``latest_invoice`` is
    moved to this invoice when it is the newest.
    """
    if status not in {"draft", "open", "paid", "uncollectible", "void"}:
        raise ValueError(f"unknown invoice status {status!r}")
    cust = _require(state, "customer", customer, "customer")
    sub = _require(state, "subscription", subscription, "subscription") if subscription else None
    ts = state.now() if created is None else created
    iid = id or state.new_id("invoice")
    cur = (currency or (sub["currency"] if sub else None) or cust.get("currency") or "usd").lower()
    line_dicts = []
    for n, spec in enumerate(lines):
        spec = dict(spec)
        spec.setdefault("subscription", subscription)
        spec.setdefault("id", f"il_{_body(iid)}{n + 1}")
        line_dicts.append(invoice_line(state, invoice=iid, currency=cur, **spec))
    total = sum(line["amount"] for line in line_dicts)
    finalized = status != "draft"
    due = max(total + starting_balance, 0)
    ending = min(total + starting_balance, 0) if finalized else None
    paid = status == "paid"
    if paid and paid_at is None:
        paid_at = ts
    if attempt_count is None:
        attempt_count = 1 if (paid and due > 0) else 0
    p_start = (
        period_start
        if period_start is not None
        else min((line["period"]["start"] for line in line_dicts), default=ts)
    )
    p_end = period_end if period_end is not None else ts
    number = None
    if finalized:
        number = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
    obj = state.add(
        {
            "id": iid,
            "object": "invoice",
            "account_country": state.account.get("country", "US"),
            "account_name": state.account.get("settings", {})
            .get("dashboard", {})
            .get("display_name"),
            "account_tax_ids": None,
            "amount_due": due,
            "amount_overpaid": 0,
            "amount_paid": due if paid else 0,
            "amount_paid_off_stripe": 0,
            "amount_remaining": 0 if paid or status == "void" else due,
            "amount_shipping": 0,
            "application": None,
            "attempt_count": attempt_count,
            "attempted": attempt_count > 0,
            "auto_advance": status in {"draft", "open"},
            "automatic_tax": _INVOICE_AUTOMATIC_TAX,
            "automatically_finalizes_at": None,
            "billing_reason": billing_reason,
            "collection_method": collection_method,
            "created": ts,
            "currency": cur,
            "custom_fields": None,
            "customer": customer,
            "customer_address": None,
            "customer_email": cust["email"],
            "customer_name": cust["name"],
            "customer_phone": cust["phone"],
            "customer_shipping": None,
            "customer_tax_exempt": "none",
            "customer_tax_ids": _EMPTY,
            "default_payment_method": default_payment_method,
            "default_source": None,
            "default_tax_rates": _EMPTY,
            "description": description,
            "discounts": _EMPTY,
            "due_date": due_date,
            "effective_at": ts if finalized else None,
            "ending_balance": ending,
            "footer": None,
            "from_invoice": None,
            "hosted_invoice_url": f"{SANDBOX_WEB}/i/{iid}" if finalized else None,
            "invoice_pdf": f"{SANDBOX_WEB}/i/{iid}/pdf" if finalized else None,
            "issuer": _ISSUER_SELF,
            "last_finalization_error": None,
            "latest_revision": None,
            "lines": _list(f"/v1/invoices/{iid}/lines", line_dicts),
            "livemode": False,
            "metadata": dict(metadata or {}),
            "next_payment_attempt": next_payment_attempt,
            "number": number,
            "on_behalf_of": None,
            "parent": None
            if sub is None
            else {
                "quote_details": None,
                "subscription_details": {
                    "metadata": dict(sub["metadata"]),
                    "subscription": sub["id"],
                },
                "type": "subscription_details",
            },
            "payment_settings": _INVOICE_PAYMENT_SETTINGS,
            "period_end": p_end,
            "period_start": p_start,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "rendering": None,
            "shipping_cost": None,
            "shipping_details": None,
            "starting_balance": starting_balance,
            "statement_descriptor": None,
            "status": status,
            "status_transitions": {
                "finalized_at": ts if finalized else None,
                "marked_uncollectible_at": ts if status == "uncollectible" else None,
                "paid_at": paid_at if paid else None,
                "voided_at": ts if status == "void" else None,
            },
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "test_clock": None,
            "total": total,
            "total_discount_amounts": _EMPTY,
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": _EMPTY,
            "total_taxes": _EMPTY,
            "webhooks_delivered_at": ts,
        }
    )
    if sub is not None:
        latest = state.get("invoice", sub["latest_invoice"]) if sub["latest_invoice"] else None
        if latest is None or latest["created"] <= ts:
            sub["latest_invoice"] = iid
    return obj


def invoice_payment(
    state: SandboxState,
    *,
    id: str | None = None,
    invoice: str,
    payment_intent: str,
    amount_requested: int | None = None,
    status: str = "paid",
    created: int | None = None,
    paid_at: int | None = None,
    is_default: bool = True,
) -> JSON:
    """The link between an invoice and the payment intent that (tried to) pay it."""
    inv = _require(state, "invoice", invoice, "invoice")
    if status not in {"open", "paid", "canceled"}:
        raise ValueError(f"unknown invoice payment status {status!r}")
    ts = inv["created"] if created is None else created
    requested = inv["amount_due"] if amount_requested is None else amount_requested
    return state.add(
        {
            "id": id or state.new_id("invoice_payment"),
            "object": "invoice_payment",
            "amount_paid": requested if status == "paid" else None,
            "amount_requested": requested,
            "created": ts,
            "currency": inv["currency"],
            "invoice": invoice,
            "is_default": is_default,
            "livemode": False,
            "payment": {"payment_intent": payment_intent, "type": "payment_intent"},
            "status": status,
            "status_transitions": {
                "canceled_at": ts if status == "canceled" else None,
                "paid_at": (paid_at if paid_at is not None else ts) if status == "paid" else None,
            },
        }
    )


# --------------------------------------------------------------------------- payments


def payment_intent(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str | None,
    amount: int,
    currency: str,
    status: str = "succeeded",
    payment_method: str | None = None,
    latest_charge: str | None = None,
    created: int | None = None,
    description: str | None = None,
    last_payment_error: Mapping[str, Any] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    pid = id or state.new_id("payment_intent")
    return state.add(
        {
            "id": pid,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": _PI_AMOUNT_DETAILS,
            "amount_received": amount if status == "succeeded" else 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{pid}_secret_{_body(pid)[::-1]}",
            "confirmation_method": "automatic",
            "created": state.now() if created is None else created,
            "currency": currency,
            "customer": customer,
            "description": description,
            "excluded_payment_method_types": None,
            "last_payment_error": dict(last_payment_error) if last_payment_error else None,
            "latest_charge": latest_charge,
            "livemode": False,
            "metadata": dict(metadata or {}),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": payment_method,
            "payment_method_configuration_details": None,
            "payment_method_options": _PI_METHOD_OPTIONS,
            "payment_method_types": _PI_CARD_TYPES,
            "processing": None,
            "receipt_email": None,
            "review": None,
            "setup_future_usage": "off_session",
            "shipping": None,
            "source": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
        }
    )


def decline_error(code: str, *, charge: str | None, payment_method: JSON | None) -> JSON:
    """A PaymentIntent ``last_payment_error`` for a declined card."""
    message = _DECLINE_MESSAGES.get(code, "Your card was declined.")
    return {
        "charge": charge,
        "code": "expired_card" if code == "expired_card" else "card_declined",
        "decline_code": None if code == "expired_card" else code,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": message,
        "payment_method": payment_method,
        "type": "card_error",
    }


def charge(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str | None,
    amount: int,
    currency: str,
    payment_method: str,
    payment_intent: str | None = None,
    status: str = "succeeded",
    created: int | None = None,
    failure_code: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A card charge paid with the stored ``payment_method`` (its card is copied into
    ``payment_method_details``). ``failure_code`` (e.g. ``card_declined``,
    ``insufficient_funds``, ``expired_card``) makes a failed charge."""
    pm = _require(state, "payment_method", payment_method, "payment method")
    if status not in {"succeeded", "failed", "pending"}:
        raise ValueError(f"unknown charge status {status!r}")
    if status == "failed" and failure_code is None:
        failure_code = "card_declined"
    ok = status == "succeeded"
    cid = id or state.new_id("charge")
    card = pm["card"]
    cust = state.get("customer", customer) if customer else None
    if ok:
        outcome = _OUTCOME_OK
    else:
        outcome = {
            "advice_code": "try_again_later"
            if failure_code != "expired_card"
            else "do_not_try_again",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network",
            "reason": failure_code,
            "risk_level": "normal",
            "seller_message": f"The bank returned the decline code `{failure_code}`.",
            "type": "issuer_declined",
        }
    return state.add(
        {
            "id": cid,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if ok else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": f"txn_{_body(cid)}" if ok else None,
            "billing_details": dict(pm["billing_details"]),
            "calculated_statement_descriptor": "ACME CLOUD",
            "captured": ok,
            "created": state.now() if created is None else created,
            "currency": currency,
            "customer": customer,
            "description": description,
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": None if ok else failure_code,
            "failure_message": None
            if ok
            else _DECLINE_MESSAGES.get(str(failure_code), "Your card was declined."),
            "fraud_details": {},
            "livemode": False,
            "metadata": dict(metadata or {}),
            "on_behalf_of": None,
            "outcome": outcome,
            "paid": ok,
            "payment_intent": payment_intent,
            "payment_method": payment_method,
            "payment_method_details": {
                "card": {
                    "amount_authorized": amount if ok else None,
                    "authorization_code": None,
                    "brand": card["brand"],
                    "checks": _CHARGE_CHECKS,
                    "country": card["country"],
                    "exp_month": card["exp_month"],
                    "exp_year": card["exp_year"],
                    "fingerprint": card["fingerprint"],
                    "funding": card["funding"],
                    "last4": card["last4"],
                    "mandate": None,
                    "network": card["brand"],
                    "network_token": _NETWORK_TOKEN,
                    "network_transaction_id": None,
                    "regulated_status": "unregulated",
                    "three_d_secure": None,
                    "wallet": None,
                },
                "type": "card",
            },
            "receipt_email": (cust or {}).get("email") if ok else None,
            "receipt_number": None,
            "receipt_url": f"{SANDBOX_WEB}/receipts/{cid}" if ok else None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
        }
    )


def refund(
    state: SandboxState,
    *,
    id: str | None = None,
    charge: str,
    amount: int | None = None,
    reason: str | None = None,
    created: int | None = None,
    status: str = "succeeded",
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A refund of ``charge`` (default: what remains). A succeeded or pending refund also
    updates the charge's ``amount_refunded`` and ``refunded`` the way Stripe does.

    Raises ``ValueError`` for a charge that did not succeed, is already fully refunded, or an
    amount larger than what remains.
    """
    ch = _require(state, "charge", charge, "charge")
    if ch["status"] != "succeeded":
        raise ValueError(f"charge {charge!r} did not succeed; there is nothing to refund")
    remaining = ch["amount"] - ch["amount_refunded"]
    if remaining <= 0:
        raise ValueError(f"charge {charge!r} has already been refunded")
    amt = remaining if amount is None else amount
    if not (0 < amt <= remaining):
        raise ValueError(f"refund amount {amt} must be between 1 and the unrefunded {remaining}")
    if reason is not None and reason not in {"duplicate", "fraudulent", "requested_by_customer"}:
        raise ValueError(f"unknown refund reason {reason!r}")
    rid = id or state.new_id("refund")
    obj = state.add(
        {
            "id": rid,
            "object": "refund",
            "amount": amt,
            "balance_transaction": f"txn_{_body(rid)}",
            "charge": charge,
            "created": state.now() if created is None else created,
            "currency": ch["currency"],
            "customer": ch["customer"],
            "destination_details": {
                "card": {
                    "reference": None,
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": dict(metadata or {}),
            "payment_intent": ch["payment_intent"],
            "payment_method": ch["payment_method"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": status,
            "transfer_reversal": None,
        }
    )
    if status in {"succeeded", "pending"}:
        ch["amount_refunded"] += amt
        ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
    return obj


def dispute(
    state: SandboxState,
    *,
    id: str | None = None,
    charge: str,
    amount: int | None = None,
    reason: str = "product_not_received",
    status: str = "needs_response",
    created: int | None = None,
    due_by: int | None = None,
) -> JSON:
    """A dispute on ``charge`` (marks the charge ``disputed``). ``warning_*`` statuses are
    inquiries (the charge stays refundable); others are chargebacks."""
    ch = _require(state, "charge", charge, "charge")
    ts = state.now() if created is None else created
    inquiry = status.startswith("warning_")
    ch["disputed"] = True
    brand = ch["payment_method_details"]["card"]["brand"]
    return state.add(
        {
            "id": id or state.new_id("dispute"),
            "object": "dispute",
            "amount": ch["amount"] if amount is None else amount,
            "balance_transactions": [],
            "charge": charge,
            "created": ts,
            "currency": ch["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {
                "access_activity_log": None,
                "billing_address": None,
                "cancellation_policy": None,
                "cancellation_policy_disclosure": None,
                "cancellation_rebuttal": None,
                "customer_communication": None,
                "customer_email_address": None,
                "customer_name": None,
                "customer_purchase_ip": None,
                "customer_signature": None,
                "duplicate_charge_documentation": None,
                "duplicate_charge_explanation": None,
                "duplicate_charge_id": None,
                "product_description": None,
                "receipt": None,
                "refund_policy": None,
                "refund_policy_disclosure": None,
                "refund_refusal_explanation": None,
                "service_date": None,
                "service_documentation": None,
                "shipping_address": None,
                "shipping_carrier": None,
                "shipping_date": None,
                "shipping_documentation": None,
                "shipping_tracking_number": None,
                "uncategorized_file": None,
                "uncategorized_text": None,
            },
            "evidence_details": {
                "due_by": ts + 7 * 86400 if due_by is None else due_by,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": inquiry,
            "livemode": False,
            "metadata": {},
            "payment_intent": ch["payment_intent"],
            "payment_method_details": {
                "card": {
                    "brand": brand,
                    "case_type": "inquiry" if inquiry else "chargeback",
                    "network_reason_code": _CARD_NETWORK_REASON.get(reason, "13.3"),
                },
                "type": "card",
            },
            "reason": reason,
            "status": status,
        }
    )


# --------------------------------------------------------------------------- billing portal


def portal_configuration(
    state: SandboxState,
    *,
    id: str | None = None,
    is_default: bool = False,
    active: bool = True,
    name: str | None = None,
    created: int | None = None,
    customer_update: bool = True,
    invoice_history: bool = True,
    payment_method_update: bool = True,
    subscription_cancel: bool = True,
    cancel_mode: str = "at_period_end",
    subscription_update: bool = True,
    update_products: Sequence[Mapping[str, Any]] = (),
    default_return_url: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A billing-portal configuration; each feature flag maps to ``features.<name>.enabled``.
    ``update_products`` are ``{"product": "prod_…", "prices": ["price_…"]}`` entries that the
    portal lets customers switch between."""
    ts = state.now() if created is None else created
    return state.add(
        {
            "id": id or state.new_id("billing_portal.configuration"),
            "object": "billing_portal.configuration",
            "active": active,
            "application": None,
            "business_profile": {
                "headline": None,
                "privacy_policy_url": None,
                "terms_of_service_url": None,
            },
            "created": ts,
            "default_return_url": default_return_url,
            "features": {
                "customer_update": {
                    "allowed_updates": ["email", "address", "tax_id"] if customer_update else [],
                    "enabled": customer_update,
                },
                "invoice_history": {"enabled": invoice_history},
                "payment_method_update": {
                    "enabled": payment_method_update,
                    "payment_method_configuration": None,
                },
                "subscription_cancel": {
                    "cancellation_reason": {
                        "enabled": subscription_cancel,
                        "options": [
                            "too_expensive",
                            "missing_features",
                            "switched_service",
                            "unused",
                            "other",
                        ]
                        if subscription_cancel
                        else [],
                    },
                    "enabled": subscription_cancel,
                    "mode": cancel_mode,
                    "proration_behavior": "none",
                },
                "subscription_update": {
                    "billing_cycle_anchor": None,
                    "default_allowed_updates": ["price", "quantity"] if subscription_update else [],
                    "enabled": subscription_update,
                    "products": [
                        {"prices": list(p["prices"]), "product": p["product"]}
                        for p in update_products
                    ],
                    "proration_behavior": "create_prorations",
                    "schedule_at_period_end": {"conditions": []},
                    "trial_update_behavior": "end_trial",
                },
            },
            "is_default": is_default,
            "livemode": False,
            "login_page": {"enabled": False, "url": None},
            "metadata": dict(metadata or {}),
            "name": name,
            "updated": ts,
        }
    )


# --------------------------------------------------------------------------- composites


def pay_invoice(
    state: SandboxState,
    *,
    invoice: str,
    payment_method: str,
    at: int | None = None,
    payment_intent_id: str | None = None,
    charge_id: str | None = None,
    invoice_payment_id: str | None = None,
) -> tuple[JSON, JSON, JSON]:
    """Settle an invoice with a card the way Stripe does: a succeeded PaymentIntent with its
    charge, a paid ``invoice_payment``, and the invoice marked paid. Returns (pi, charge, inpay)."""
    inv = _require(state, "invoice", invoice, "invoice")
    ts = inv["created"] + 2 if at is None else at
    pi = payment_intent(
        state,
        id=payment_intent_id,
        customer=inv["customer"],
        amount=inv["amount_due"],
        currency=inv["currency"],
        payment_method=payment_method,
        created=ts,
        description=_payment_description(inv),
    )
    ch = charge(
        state,
        id=charge_id,
        customer=inv["customer"],
        amount=inv["amount_due"],
        currency=inv["currency"],
        payment_method=payment_method,
        payment_intent=pi["id"],
        created=ts + 1,
        description=pi["description"],
    )
    pi["latest_charge"] = ch["id"]
    inpay = invoice_payment(
        state,
        id=invoice_payment_id,
        invoice=invoice,
        payment_intent=pi["id"],
        created=ts,
        paid_at=ts + 1,
    )
    _mark_paid(inv, ts + 1)
    return pi, ch, inpay


def fail_invoice(
    state: SandboxState,
    *,
    invoice: str,
    payment_method: str,
    attempts: int,
    failure_code: str = "card_declined",
    first_attempt: int | None = None,
    retry_every: int = 3 * 86400,
    payment_intent_id: str | None = None,
    charge_ids: Sequence[str] | None = None,
    invoice_payment_id: str | None = None,
    next_retry: bool = True,
) -> tuple[JSON, list[JSON], JSON]:
    """Record ``attempts`` declined attempts to collect an open invoice: one PaymentIntent in
    ``requires_payment_method`` whose ``latest_charge`` is the last failed charge, an open
    ``invoice_payment``, and the invoice's ``attempt_count``/``next_payment_attempt``."""
    inv = _require(state, "invoice", invoice, "invoice")
    if inv["status"] != "open":
        raise ValueError(f"invoice {invoice!r} is {inv['status']}; only open invoices fail")
    if attempts < 1:
        raise ValueError("attempts must be ≥ 1")
    if charge_ids is not None and len(charge_ids) != attempts:
        raise ValueError("charge_ids must name one id per attempt")
    start = inv["created"] + 3600 if first_attempt is None else first_attempt
    pi = payment_intent(
        state,
        id=payment_intent_id,
        customer=inv["customer"],
        amount=inv["amount_due"],
        currency=inv["currency"],
        status="requires_payment_method",
        payment_method=None,
        created=start,
        description=_payment_description(inv),
    )
    charges = []
    for n in range(attempts):
        charges.append(
            charge(
                state,
                id=charge_ids[n] if charge_ids is not None else None,
                customer=inv["customer"],
                amount=inv["amount_due"],
                currency=inv["currency"],
                payment_method=payment_method,
                payment_intent=pi["id"],
                status="failed",
                failure_code=failure_code,
                created=start + n * retry_every,
                description=pi["description"],
            )
        )
    last = charges[-1]
    pi["latest_charge"] = last["id"]
    pi["last_payment_error"] = decline_error(
        failure_code, charge=last["id"], payment_method=state.get("payment_method", payment_method)
    )
    inpay = invoice_payment(
        state,
        id=invoice_payment_id,
        invoice=invoice,
        payment_intent=pi["id"],
        status="open",
        created=start,
    )
    inv["attempt_count"] = attempts
    inv["attempted"] = True
    inv["next_payment_attempt"] = last["created"] + retry_every if next_retry else None
    return pi, charges, inpay


def _mark_paid(inv: JSON, at: int) -> None:
    inv["status"] = "paid"
    inv["amount_paid"] = inv["amount_due"]
    inv["amount_remaining"] = 0
    inv["attempt_count"] = max(inv["attempt_count"], 1)
    inv["attempted"] = True
    inv["auto_advance"] = False
    inv["next_payment_attempt"] = None
    inv["status_transitions"]["paid_at"] = at


def _payment_description(inv: JSON) -> str:
    if inv["billing_reason"] == "subscription_create":
        return "Subscription creation"
    if inv["billing_reason"] == "subscription_update":
        return "Subscription update"
    return "Subscription update" if inv["parent"] is None else "Subscription cycle"
