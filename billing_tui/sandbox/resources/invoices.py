"""Invoices, their lines and pending invoice items (``invoice``, ``line_item``, ``invoiceitem``).

Invoices point at their subscription through ``parent.subscription_details`` and have no
``charge``, ``payment_intent``, ``subscription`` or ``paid``; their payments are separate
``invoice_payment`` objects (:mod:`billing_tui.sandbox.resources.payments`). Lines point at
their source through ``parent.subscription_item_details``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from billing_tui.sandbox.query import ref
from billing_tui.sandbox.resources.base import EMPTY, ISSUER_SELF, SANDBOX_WEB, id_body, require
from billing_tui.sandbox.resources.lists import list_object
from billing_tui.sandbox.state import JSON, SandboxState

_INVOICE_AUTOMATIC_TAX: JSON = {
    "disabled_reason": None,
    "enabled": False,
    "liability": None,
    "provider": None,
    "status": None,
}
_INVOICE_PAYMENT_SETTINGS: JSON = {
    "default_mandate": None,
    "payment_method_options": None,
    "payment_method_types": None,
}
_STATUSES = frozenset({"draft", "open", "paid", "uncollectible", "void"})
#: Statuses with nothing left to collect.
_SETTLED = frozenset({"paid", "void"})
_NO_CREDITED_ITEMS: JSON = {"credited_items": None}
_PRICING: dict[tuple[str, str, str], JSON] = {}


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
    invoice_item: str | None = None,
) -> JSON:
    """One invoice line (``line_item``). Subscription lines point at their item through
    ``parent.subscription_item_details`` (and at the pending ``invoice_item`` they bill, if
    any); other lines are invoice-item lines."""
    pr = state.get("price", price) if price else None
    if price and pr is None:
        raise ValueError(f"price {price!r} does not exist")
    if subscription_item is not None:
        parent: JSON = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": invoice_item,
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
                "invoice_item": invoice_item or "ii_" + id_body(id or invoice),
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
            "discount_amounts": EMPTY,
            "discountable": not proration,
            "discounts": EMPTY,
            "invoice": invoice,
            "livemode": False,
            "metadata": {},
            "parent": parent,
            "period": {"end": period_end, "start": period_start},
            "pretax_credit_amounts": EMPTY,
            "pricing": None if pr is None else _pricing(pr),
            "quantity": quantity,
            "quantity_decimal": None if quantity is None else str(quantity),
            "subscription": subscription,
            "subtotal": amount,
            "taxes": EMPTY,
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
    if status not in _STATUSES:
        raise ValueError(f"unknown invoice status {status!r}")
    cust = require(state, "customer", customer, "customer")
    sub = require(state, "subscription", subscription, "subscription") if subscription else None
    ts = state.now() if created is None else created
    iid = id or state.new_id("invoice")
    cur = _currency(currency, sub, cust)
    line_dicts = _lines(state, iid, cur, subscription, lines)
    total = sum(line["amount"] for line in line_dicts)
    finalized = status != "draft"
    due, amount_paid, remaining, ending = _amounts(total, starting_balance, status)
    if attempt_count is None:
        attempt_count = 1 if amount_paid > 0 else 0
    if period_start is None:
        period_start = min((line["period"]["start"] for line in line_dicts), default=ts)
    number = _next_number(cust) if finalized else None
    hosted = f"{SANDBOX_WEB}/i/{iid}" if finalized else None
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
            "amount_paid": amount_paid,
            "amount_paid_off_stripe": 0,
            "amount_remaining": remaining,
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
            "customer_account": None,
            "customer_address": None,
            "customer_email": cust["email"],
            "customer_name": cust["name"],
            "customer_phone": cust["phone"],
            "customer_shipping": None,
            "customer_tax_exempt": "none",
            "customer_tax_ids": EMPTY,
            "default_payment_method": default_payment_method,
            "default_source": None,
            "default_tax_rates": EMPTY,
            "description": description,
            "discounts": EMPTY,
            "due_date": due_date,
            "effective_at": ts if finalized else None,
            "ending_balance": ending,
            "footer": None,
            "from_invoice": None,
            "hosted_invoice_url": hosted,
            "invoice_pdf": f"{hosted}/pdf" if hosted else None,
            "issuer": ISSUER_SELF,
            "last_finalization_error": None,
            "latest_revision": None,
            "lines": list_object(f"/v1/invoices/{iid}/lines", line_dicts),
            "livemode": False,
            "metadata": dict(metadata or {}),
            "next_payment_attempt": next_payment_attempt,
            "number": number,
            "on_behalf_of": None,
            "parent": None if sub is None else _parent(sub),
            "payment_settings": _INVOICE_PAYMENT_SETTINGS,
            "period_end": ts if period_end is None else period_end,
            "period_start": period_start,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "rendering": None,
            "shipping_cost": None,
            "shipping_details": None,
            "starting_balance": starting_balance,
            "statement_descriptor": None,
            "status": status,
            "status_transitions": _transitions(status, ts, paid_at),
            "subtotal": total,
            "subtotal_excluding_tax": total,
            "test_clock": None,
            "total": total,
            "total_discount_amounts": EMPTY,
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": EMPTY,
            "total_taxes": EMPTY,
            "webhooks_delivered_at": ts,
        }
    )
    if sub is not None:
        _advance_latest(state, sub, iid, ts)
    return obj


def _currency(currency: str | None, sub: JSON | None, cust: JSON) -> str:
    """The given currency, else the subscription's, else the customer's, else usd."""
    chosen = currency or (sub["currency"] if sub else None) or cust.get("currency") or "usd"
    return str(chosen).lower()


def _amounts(total: int, starting_balance: int, status: str) -> tuple[int, int, int, int | None]:
    """(amount_due, amount_paid, amount_remaining, ending_balance), Stripe's balance rules: a
    credit (negative balance) reduces what is due, a negative total leaves credit behind."""
    due = max(total + starting_balance, 0)
    ending = min(total + starting_balance, 0) if status != "draft" else None
    paid = due if status == "paid" else 0
    remaining = 0 if status in _SETTLED else due
    return due, paid, remaining, ending


def _lines(
    state: SandboxState,
    iid: str,
    currency: str,
    subscription: str | None,
    specs: Sequence[Mapping[str, Any]],
) -> list[JSON]:
    """The invoice's lines; they inherit its currency and subscription, ids ``il_<body><n>``."""
    lines = []
    for n, spec in enumerate(specs):
        spec = dict(spec)
        spec.setdefault("subscription", subscription)
        spec.setdefault("id", f"il_{id_body(iid)}{n + 1}")
        lines.append(invoice_line(state, invoice=iid, currency=currency, **spec))
    return lines


def _next_number(cust: JSON) -> str:
    """A finalized invoice's number: the customer's prefix and next sequence (then bumped)."""
    number = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
    cust["next_invoice_sequence"] += 1
    return number


def _parent(sub: JSON) -> JSON:
    return {
        "quote_details": None,
        "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
        "type": "subscription_details",
    }


def _transitions(status: str, ts: int, paid_at: int | None) -> JSON:
    """When the invoice reached its status (a paid invoice: ``paid_at``, default ``ts``)."""
    return {
        "finalized_at": ts if status != "draft" else None,
        "marked_uncollectible_at": ts if status == "uncollectible" else None,
        "paid_at": (ts if paid_at is None else paid_at) if status == "paid" else None,
        "voided_at": ts if status == "void" else None,
    }


def _advance_latest(state: SandboxState, sub: JSON, iid: str, ts: int) -> None:
    """Point the subscription's ``latest_invoice`` at this invoice when it is the newest."""
    latest = state.get("invoice", sub["latest_invoice"]) if sub["latest_invoice"] else None
    if latest is None or latest["created"] <= ts:
        sub["latest_invoice"] = iid


def invoice_item(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str,
    amount: int,
    currency: str,
    description: str,
    period_start: int,
    period_end: int,
    price: JSON,
    quantity: int,
    subscription: str,
    subscription_item: str,
    proration: bool = True,
    created: int | None = None,
) -> JSON:
    """A pending invoice item (``invoiceitem``, ``invoice`` null until an invoice bills it) for a
    subscription item, e.g. a proration; ``price`` is the item's embedded price."""
    return state.add(
        {
            "id": id or state.new_id("invoiceitem"),
            "object": "invoiceitem",
            "amount": amount,
            "currency": currency,
            "customer": customer,
            "date": state.now() if created is None else created,
            "description": description,
            "discountable": False,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription,
                    "subscription_item": subscription_item,
                },
            },
            "period": {"start": period_start, "end": period_end},
            "pricing": {
                "type": "price_details",
                "price_details": {"price": price.get("id"), "product": ref(price.get("product"))},
                "unit_amount_decimal": str(price.get("unit_amount")),
            },
            "proration": proration,
            "quantity": quantity,
            "unit_amount": price.get("unit_amount"),
            "tax_rates": [],
            "test_clock": None,
        }
    )
