"""Subscription endpoints: ``DELETE /v1/subscriptions/{id}`` (cancel now, with prorations and a
final invoice on request) and ``POST /v1/subscriptions/{id}`` (quantities, cancel at period end
or at a time, metadata, cancellation details, description, default card).

Every parameter is validated before anything changes: a request is done whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints.collect import default_payment_method, settle
from billing_tui.sandbox.endpoints.common import (
    ENDED,
    PRORATION_BEHAVIORS,
    cancellation_details,
    fmt_date,
    metadata_update,
    product_name,
    subscription_period,
)
from billing_tui.sandbox.endpoints.invoices import (
    invoice_items,
    pending_items,
    proration_item,
    unused_fraction,
)
from billing_tui.sandbox.endpoints.reads import lookup
from billing_tui.sandbox.query import dig, ref
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import (
    ApiError,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    bad_param,
    check_known,
    missing_param,
    no_such,
)

CANCEL_PARAMS = {"invoice_now", "prorate", "cancellation_details", "expand"}
UPDATE_PARAMS = {
    "cancel_at_period_end",
    "cancel_at",
    "items",
    "proration_behavior",
    "proration_date",
    "metadata",
    "cancellation_details",
    "expand",
    "description",
    "default_payment_method",
}
#: What a canceled subscription may still update.
_ENDED_UPDATABLE = {"metadata", "cancellation_details", "expand"}
#: ``cancel_at`` sentinel: the parameter was not given, keep the current value.
_KEEP = "keep"


# --------------------------------------------------------------------------- cancel


def cancel_subscription(ctx: Context, sub_id: str) -> JSON:
    params = ctx.params
    check_known(params, CANCEL_PARAMS)
    invoice_now = _flag(params, "invoice_now")
    prorate = _flag(params, "prorate")
    details = cancellation_details(params.get("cancellation_details", {}), None)
    sub = lookup(ctx, "subscriptions", sub_id)
    if sub.get("status") in ENDED:
        # Stripe answers a second cancel with 404, though retrieve still works.
        raise no_such("subscription", sub_id)
    customer = ctx.state.get("customer", str(ref(sub.get("customer"))))
    now = ctx.now()
    if prorate and sub.get("status") == "active":
        _credit_unused_time(ctx, sub, now)
    _close_pending(ctx, sub, customer, invoice_now=invoice_now, prorate=prorate)
    details["reason"] = "cancellation_requested"
    sub.update(
        {
            "status": "canceled",
            "canceled_at": now,
            "ended_at": now,
            "cancel_at_period_end": False,
            "cancellation_details": details,
        }
    )
    if customer is not None:
        # Stripe stops automatic collection of the customer's finalized invoices.
        for inv in ctx.query.by("invoice", "subscription", sub["id"]):
            if inv.get("status") == "open":
                inv["next_payment_attempt"] = None
                inv["auto_advance"] = False
    return ctx.render(sub)


def _flag(params: JSON, name: str) -> bool:
    return as_bool(params[name], name) if name in params else False


def _credit_unused_time(ctx: Context, sub: JSON, now: int) -> None:
    """A credit item for the unused part of each item's paid-through period."""
    for item in dig(sub, "items.data") or []:
        price = item.get("price") or {}
        quantity = int(item.get("quantity") or 0)
        full = int(price.get("unit_amount") or 0) * quantity
        credit = round(full * unused_fraction(ctx, item))
        if credit > 0:
            proration_item(
                ctx,
                sub,
                item,
                quantity,
                -credit,
                f"Unused time on {quantity} × {product_name(ctx, price)} after {fmt_date(now)}",
                int(item.get("current_period_end") or now),
            )


def _close_pending(
    ctx: Context, sub: JSON, customer: JSON | None, *, invoice_now: bool, prorate: bool
) -> None:
    """What happens to pending prorations when a subscription is canceled."""
    pending = pending_items(ctx, sub)
    if not pending:
        return
    if invoice_now and customer is not None:
        invoice = invoice_items(ctx, customer, sub, pending, "subscription_cycle")
        settle(ctx, invoice, default_payment_method(ctx, customer, sub))
        return
    if prorate and customer is not None:
        # Stripe would leave the prorations pending for the customer's next invoice; the
        # sandbox settles them on the balance right away (negative = credit).
        customer["balance"] = int(customer.get("balance") or 0) + sum(
            int(ii["amount"]) for ii in pending
        )
        ctx.touch("customer")
    # Without prorate (and invoice_now), Stripe removes the pending prorations.
    for ii in pending:
        del ctx.state.objects["invoiceitem"][ii["id"]]
    ctx.touch("invoiceitem")


# --------------------------------------------------------------------------- update


@dataclass(frozen=True)
class _Update:
    """A validated subscription update, applied only once every parameter has been checked."""

    behavior: str
    quantities: list[tuple[JSON, int]]
    cancel_at_period_end: bool | None
    cancel_at: int | str | None
    metadata: dict[str, str] | None
    details: JSON | None
    default_pm: str | None


def update_subscription(ctx: Context, sub_id: str) -> JSON:
    params = ctx.params
    check_known(params, UPDATE_PARAMS)
    sub = lookup(ctx, "subscriptions", sub_id)
    if sub.get("status") in ENDED and set(params) - _ENDED_UPDATABLE:
        raise ApiError(
            400, "A canceled subscription can only update its cancellation_details and metadata."
        )
    if "cancel_at" in params and "cancel_at_period_end" in params:
        raise bad_param(
            "cancel_at",
            "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
        )
    update = _parse_update(ctx, sub)
    _apply_fields(ctx, sub, update)
    new_items = _change_quantities(ctx, sub, update.quantities, update.behavior)
    if new_items:
        ctx.touch("invoiceitem")
    if update.behavior == "always_invoice" and new_items:
        customer = ctx.state.get("customer", str(ref(sub.get("customer"))))
        if customer is not None:
            invoice = invoice_items(
                ctx, customer, sub, pending_items(ctx, sub), "subscription_update"
            )
            settle(ctx, invoice, default_payment_method(ctx, customer, sub))
    return ctx.render(sub)


def _parse_update(ctx: Context, sub: JSON) -> _Update:
    params = ctx.params
    behavior = (
        as_enum(params["proration_behavior"], "proration_behavior", PRORATION_BEHAVIORS)
        if "proration_behavior" in params
        else "create_prorations"
    )
    quantities = _parse_items(sub, params.get("items", []))
    cancel_at_period_end = (
        as_bool(params["cancel_at_period_end"], "cancel_at_period_end")
        if "cancel_at_period_end" in params
        else None
    )
    cancel_at = _parse_cancel_at(ctx, sub, params["cancel_at"]) if "cancel_at" in params else _KEEP
    metadata = (
        metadata_update(sub.get("metadata"), params["metadata"]) if "metadata" in params else None
    )
    details = (
        cancellation_details(params["cancellation_details"], sub.get("cancellation_details"))
        if "cancellation_details" in params
        else None
    )
    return _Update(
        behavior=behavior,
        quantities=quantities,
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=cancel_at,
        metadata=metadata,
        details=details,
        default_pm=_parse_default_pm(ctx, sub),
    )


def _parse_items(sub: JSON, value: Any) -> list[tuple[JSON, int]]:
    """``items[n][id]`` + ``items[n][quantity]``: (the subscription's item, new quantity)."""
    changes: list[tuple[JSON, int]] = []
    for index, entry in enumerate(as_list(value, "items")):
        prefix = f"items[{index}]"
        entry = as_dict(entry, prefix)
        for key in entry:
            if key not in ("id", "quantity"):
                raise bad_param(
                    f"{prefix}[{key}]",
                    f"The sandbox can only change the quantity of an existing item "
                    f"({prefix}[{key}] is not supported).",
                    "parameter_unknown",
                )
        if "id" not in entry:
            raise missing_param(f"{prefix}[id]")
        item_id = as_str(entry["id"], f"{prefix}[id]")
        item = next((i for i in dig(sub, "items.data") or [] if i.get("id") == item_id), None)
        if item is None:
            raise no_such("subscription item", item_id, param=f"{prefix}[id]", status=400)
        if "quantity" in entry:
            changes.append((item, as_int(entry["quantity"], f"{prefix}[quantity]", minimum=0)))
    return changes


def _parse_cancel_at(ctx: Context, sub: JSON, raw: Any) -> int | None:
    """``cancel_at``: ``""`` clears it, ``min_period_end``/``max_period_end``, or a future time."""
    if raw == "":
        return None
    if raw in ("min_period_end", "max_period_end"):
        _, period_end = subscription_period(sub)
        ends = [i.get("current_period_end") for i in dig(sub, "items.data") or []]
        valid = [e for e in ends if isinstance(e, int)] or [period_end]
        return min(valid) if raw == "min_period_end" else max(valid)
    cancel_at = as_int(raw, "cancel_at")
    if cancel_at <= ctx.now():
        raise bad_param(
            "cancel_at", "cancel_at must be in the future.", "parameter_invalid_integer"
        )
    return cancel_at


def _parse_default_pm(ctx: Context, sub: JSON) -> str | None:
    """``default_payment_method``: one of the subscription's customer's cards."""
    if not ctx.params.get("default_payment_method"):
        return None
    default_pm = as_str(ctx.params["default_payment_method"], "default_payment_method")
    pm = ctx.state.get("payment_method", default_pm)
    if pm is None or ref(pm.get("customer")) != ref(sub.get("customer")):
        raise no_such("PaymentMethod", default_pm, param="default_payment_method", status=400)
    return default_pm


def _apply_fields(ctx: Context, sub: JSON, update: _Update) -> None:
    """Everything but quantities: metadata, details, description, card, cancellation time."""
    now = ctx.now()
    if update.metadata is not None:
        sub["metadata"] = update.metadata
    if update.details is not None:
        sub["cancellation_details"] = update.details
    if "description" in ctx.params:
        description = as_str(ctx.params["description"], "description", allow_empty=True)
        sub["description"] = description or None
    if update.default_pm is not None:
        sub["default_payment_method"] = update.default_pm
    _, period_end = subscription_period(sub)
    if update.cancel_at_period_end is not None:
        at_end = update.cancel_at_period_end
        sub["cancel_at_period_end"] = at_end
        sub["cancel_at"] = period_end if at_end else None
        sub["canceled_at"] = now if at_end else None
    if update.cancel_at != _KEEP:
        sub["cancel_at"] = update.cancel_at
        sub["cancel_at_period_end"] = False
        sub["canceled_at"] = now if update.cancel_at is not None else None


def _change_quantities(
    ctx: Context, sub: JSON, changes: list[tuple[JSON, int]], behavior: str
) -> list[JSON]:
    """New item quantities, with the proration pair (credit old, charge new) per change;
    returns the proration items created."""
    new_items: list[JSON] = []
    for item, quantity in changes:
        old = int(item.get("quantity") or 0)
        if quantity == old:
            continue
        item["quantity"] = quantity
        standalone = ctx.state.get("subscription_item", item["id"])
        if standalone is not None:
            standalone["quantity"] = quantity
        if behavior == "none" or sub.get("status") not in ("active", "past_due"):
            continue
        new_items.extend(_prorate_quantity(ctx, sub, item, old, quantity))
    return new_items


def _prorate_quantity(ctx: Context, sub: JSON, item: JSON, old: int, new: int) -> list[JSON]:
    """Credit for the unused time on the old quantity, a charge for it on the new one."""
    now = ctx.now()
    price = item.get("price") or {}
    unit = int(price.get("unit_amount") or 0)
    fraction = unused_fraction(ctx, item)
    end = int(item.get("current_period_end") or now)
    name = product_name(ctx, price)
    when = fmt_date(now)
    return [
        proration_item(
            ctx,
            sub,
            item,
            old,
            -round(unit * old * fraction),
            f"Unused time on {old} × {name} after {when}",
            end,
        ),
        proration_item(
            ctx,
            sub,
            item,
            new,
            round(unit * new * fraction),
            f"Remaining time on {new} × {name} after {when}",
            end,
        ),
    ]
