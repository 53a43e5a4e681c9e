"""Explicit invoices in a scenario: their lines, and optionally a card payment or declines.

Lines are ``{"price", "quantity", "amount", "description", "period": [start, end],
"proration", "subscription_item"}``; ``amount`` defaults to ``unit_amount × quantity``
(required for proration lines), ``period`` to the item's current period
(``"period_start"``/``"period_end"`` name its bounds), ``subscription_item`` to the
subscription's item with that price. ``"pay"`` settles a paid invoice with a card;
``"failed_attempts"`` declines an open one that many times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.catalog.fields import FieldError, Fields
from billing_tui.sandbox.state import JSON

_LINE_FIELDS = frozenset(
    {"price", "quantity", "amount", "description", "period", "proration", "subscription_item"}
)
_BOUNDS = frozenset({"period_start", "period_end"})


def build_invoice(f: Fields, e: Mapping[str, Any]) -> None:
    state = f.state
    iid = e["id"]
    cust = f.ref(e, "customer", "customer")
    sub_id = f.ref(e, "subscription", "subscription", required=False)
    sub = state.objects["subscription"][sub_id] if sub_id else None
    created = f.time(e, "created", "now")
    status = f.text(e, "status", "paid")
    raw_lines = e.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise FieldError("lines", "must be a non-empty list")
    lines = [_line(f, raw, f"lines[{n}]", sub, created) for n, raw in enumerate(raw_lines)]
    pay = e.get("pay", False)
    failed = f.integer(e, "failed_attempts", 0)
    if pay and status != "paid":
        raise FieldError("pay", "only a 'paid' invoice can be paid")
    if failed and status != "open":
        raise FieldError("failed_attempts", "only an 'open' invoice has failed attempts")
    try:
        inv = resources.invoice(
            state,
            id=iid,
            customer=cust,
            subscription=sub_id,
            lines=lines,
            created=created,
            status=status,
            billing_reason=f.text(
                e, "billing_reason", "subscription_update" if sub_id else "manual"
            ),
            starting_balance=f.integer(e, "starting_balance", 0),
            metadata=f.metadata(e),
            description=f.text(e, "description", None),
            attempt_count=0 if (status == "paid" and not pay) else None,
        )
    except ValueError as exc:
        raise FieldError("status", str(exc)) from None
    default_pm = state.objects["customer"][cust]["invoice_settings"]["default_payment_method"]
    if pay and inv["amount_due"] > 0:
        _pay(f, inv, pay, default_pm, at=created + 2)
    if failed:
        _decline(f, e, inv, failed, default_pm)


def _line(f: Fields, raw: Any, where: str, sub: JSON | None, created: int) -> dict[str, Any]:
    """One line entry as :func:`resources.invoice_line` keywords."""
    if not isinstance(raw, dict) or set(raw) - _LINE_FIELDS:
        raise FieldError(where, f"must be an object with {', '.join(sorted(_LINE_FIELDS))}")
    pid = f.ref(raw, "price", "price", required=False)
    pr = f.state.objects["price"][pid] if pid else None
    qty = f.integer(raw, "quantity", 1)
    proration = f.flag(raw, "proration", False)
    amount = f.integer(raw, "amount", None)
    if amount is None:
        if pr is None or proration:
            raise FieldError(f"{where}.amount", "is required without a price or on prorations")
        amount = pr["unit_amount"] * qty
    item = _line_item(f, raw, where, sub, pr)
    p_start, p_end = _line_period(f, raw.get("period"), where, item, created)
    desc = f.text(raw, "description", None)
    if desc is None and pr is not None:
        prod = f.state.objects["product"][pr["product"]]
        desc = f"{qty} × {prod['name']}"
    return {
        "amount": amount,
        "description": desc,
        "period_start": p_start,
        "period_end": p_end,
        "price": pid,
        "quantity": qty,
        "proration": proration,
        "subscription_item": item["id"] if item else None,
    }


def _line_item(
    f: Fields, raw: Mapping[str, Any], where: str, sub: JSON | None, pr: JSON | None
) -> JSON | None:
    """The subscription item a line bills: the one named, else the one with the line's price."""
    si = f.text(raw, "subscription_item", None)
    if sub is None:
        if si is not None:
            raise FieldError(f"{where}.subscription_item", "needs the invoice's 'subscription'")
        return None
    item = None
    for candidate in sub["items"]["data"]:
        if candidate["id"] == si or (si is None and pr and candidate["price"] is pr):
            item = candidate
    if si is not None and item is None:
        raise FieldError(f"{where}.subscription_item", f"{si!r} is not an item of {sub['id']}")
    return item


def _line_period(
    f: Fields, period: Any, where: str, item: JSON | None, created: int
) -> tuple[int, int]:
    """``period``: [start, end] times or item bounds; default the item's current period."""
    if period is None:
        if item is None:
            return created, created
        return item["current_period_start"], item["current_period_end"]
    if not (isinstance(period, list) and len(period) == 2):
        raise FieldError(f"{where}.period", "must be [start, end]")
    bounds = []
    for bound in period:
        if bound in _BOUNDS:
            if item is None:
                raise FieldError(f"{where}.period", f"{bound!r} needs a subscription item")
            bounds.append(int(item[f"current_{bound}"]))
        else:
            bounds.append(f.at(bound, f"{where}.period"))
    return bounds[0], bounds[1]


def _pay(f: Fields, inv: JSON, pay: Any, default_pm: str | None, *, at: int) -> None:
    """``"pay": true`` or ``{payment_method, payment_intent, charge, invoice_payment}``."""
    spec: Mapping[str, Any] = pay if isinstance(pay, dict) else {}
    if not isinstance(pay, (bool, dict)):
        raise FieldError("pay", "must be true or {payment_method, payment_intent, charge, …}")
    pm = f.ref(spec, "payment_method", "payment_method", required=False) or default_pm
    if pm is None:
        raise FieldError("pay", "the customer has no default card; name a payment_method")
    stem = inv["id"].split("_", 1)[1]
    resources.pay_invoice(
        f.state,
        invoice=inv["id"],
        payment_method=pm,
        at=at,
        payment_intent_id=f.text(spec, "payment_intent", f"pi_{stem}"),
        charge_id=f.text(spec, "charge", f"ch_{stem}"),
        invoice_payment_id=f.text(spec, "invoice_payment", f"inpay_{stem}"),
    )


def _decline(
    f: Fields, e: Mapping[str, Any], inv: JSON, failed: int, default_pm: str | None
) -> None:
    if default_pm is None:
        raise FieldError("failed_attempts", "the customer has no default card to decline")
    stem = inv["id"].split("_", 1)[1]
    resources.fail_invoice(
        f.state,
        invoice=inv["id"],
        payment_method=default_pm,
        attempts=failed,
        failure_code=f.text(e, "failure_code", "card_declined"),
        payment_intent_id=f"pi_{stem}",
        charge_ids=[f"ch_{stem}f{n}" for n in range(1, failed + 1)],
        invoice_payment_id=f"inpay_{stem}",
    )
