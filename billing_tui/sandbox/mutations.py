"""Write endpoints: refunds, cancel and update subscriptions, portal sessions and
configurations, paying invoices — with Stripe's money rules, kept simple but consistent.

Sandbox payment rule: a payment succeeds when the card is not expired (its expiry month has not
ended at the sandbox clock) and fails with ``expired_card`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints import lookup
from billing_tui.sandbox.query import dig, invoice_subscription, ref
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
    format_money,
    missing_param,
    no_such,
)

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
ENDED = ("canceled", "incomplete_expired")

# --------------------------------------------------------------------------- helpers


def _metadata(ctx: Context, current: Any, value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value deletes a key, ``""`` clears all."""
    if value == "":
        return {}
    updates = as_dict(value, param)
    merged = dict(current or {})
    for key, item in updates.items():
        text = as_str(item, f"{param}[{key}]", allow_empty=True)
        if text == "":
            merged.pop(key, None)
        else:
            if len(key) > 40:
                raise bad_param(f"{param}[{key}]", "Metadata keys can be at most 40 characters.")
            if len(text) > 500:
                raise bad_param(f"{param}[{key}]", "Metadata values can be at most 500 characters.")
            merged[key] = text
    if len(merged) > 50:
        raise bad_param(param, "An object can have at most 50 metadata keys.")
    return merged


def _fmt_date(ctx: Context, stamp: int) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%d %b %Y")


def _card_expired(pm: JSON, now: int) -> bool:
    card = pm.get("card") or {}
    year, month = card.get("exp_year"), card.get("exp_month")
    if not isinstance(year, int) or not isinstance(month, int):
        return False
    today = dt.datetime.fromtimestamp(now, dt.UTC)
    return (year, month) < (today.year, today.month)


def _default_payment_method(ctx: Context, customer: JSON, sub: JSON | None) -> JSON | None:
    for candidate in (
        ref(sub.get("default_payment_method")) if sub else None,
        ref(dig(customer, "invoice_settings.default_payment_method")),
        ref(customer.get("default_source")),
    ):
        if isinstance(candidate, str):
            pm = ctx.state.get("payment_method", candidate)
            if pm is not None:
                return pm
    return None


def _period(sub: JSON) -> tuple[int, int]:
    items = dig(sub, "items.data") or []
    starts = [i["current_period_start"] for i in items if "current_period_start" in i]
    ends = [i["current_period_end"] for i in items if "current_period_end" in i]
    if not starts or not ends:
        created = int(sub.get("created") or 0)
        return created, created
    return min(starts), min(ends)


def _product_name(ctx: Context, price: JSON) -> str:
    product = ctx.state.get("product", str(ref(price.get("product"))))
    return str(product.get("name")) if product else "subscription"


def _touch_all(ctx: Context, *kinds: str) -> None:
    for kind in kinds:
        ctx.touch(kind)


# --------------------------------------------------------------------------- payments


def _charge_card(
    ctx: Context,
    customer: JSON,
    pm: JSON,
    amount: int,
    currency: str,
    description: str,
) -> tuple[JSON, JSON, str | None]:
    """A PaymentIntent and its charge for ``amount`` on ``pm``: (intent, charge, failure code)."""
    now = ctx.now()
    failure = "expired_card" if _card_expired(pm, now) else None
    pi_id, ch_id = ctx.state.new_id("payment_intent"), ctx.state.new_id("charge")
    card = pm.get("card") or {}
    succeeded = failure is None
    charge: JSON = {
        "id": ch_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": ctx.state.new_id("balance_transaction") if succeeded else None,
        "billing_details": pm.get("billing_details"),
        "calculated_statement_descriptor": None,
        "captured": succeeded,
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure,
        "failure_message": "Your card has expired." if failure else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "type": "authorized" if succeeded else "issuer_declined",
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": failure,
            "seller_message": "Payment complete."
            if succeeded
            else "The bank returned the decline code `expired_card`.",
            "risk_level": "normal",
        },
        "paid": succeeded,
        "payment_intent": pi_id,
        "payment_method": pm["id"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": card.get("brand"),
                "last4": card.get("last4"),
                "exp_month": card.get("exp_month"),
                "exp_year": card.get("exp_year"),
                "fingerprint": card.get("fingerprint"),
                "funding": card.get("funding"),
                "country": card.get("country"),
                "network": card.get("brand"),
            },
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{ch_id}" if succeeded else None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    intent: JSON = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount if succeeded else 0,
        "application": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
        "confirmation_method": "automatic",
        "created": now,
        "currency": currency,
        "customer": customer["id"],
        "description": description,
        "last_payment_error": None
        if succeeded
        else {
            "type": "card_error",
            "code": failure,
            "decline_code": failure,
            "message": "Your card has expired.",
            "charge": ch_id,
        },
        "latest_charge": ch_id,
        "livemode": False,
        "metadata": {},
        "payment_method": pm["id"] if succeeded else None,
        "payment_method_types": ["card"],
        "status": "succeeded" if succeeded else "requires_payment_method",
    }
    ctx.state.add(charge)
    ctx.state.add(intent)
    return intent, charge, failure


def _settle(ctx: Context, invoice: JSON, pm: JSON | None) -> str | None:
    """Try to collect an open invoice's remainder; returns the failure code or None."""
    now = ctx.now()
    remaining = int(invoice.get("amount_remaining") or 0)
    if remaining <= 0:
        _mark_paid(ctx, invoice, now)
        return None
    customer = ctx.state.get("customer", str(ref(invoice.get("customer"))))
    if customer is None or pm is None:
        return "no_payment_method"
    intent, _charge, failure = _charge_card(
        ctx, customer, pm, remaining, str(invoice["currency"]), f"Invoice {invoice.get('number')}"
    )
    invoice["attempt_count"] = int(invoice.get("attempt_count") or 0) + 1
    invoice["attempted"] = True
    payment: JSON = {
        "id": ctx.state.new_id("invoice_payment"),
        "object": "invoice_payment",
        "amount_paid": None if failure else remaining,
        "amount_requested": remaining,
        "created": now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
        "status": "open" if failure else "paid",
        "status_transitions": {"canceled_at": None, "paid_at": None if failure else now},
    }
    for earlier in ctx.query.by("invoice_payment", "invoice", invoice["id"]):
        if earlier.get("is_default") and earlier.get("status") == "open":
            earlier["is_default"] = False
            earlier["status"] = "canceled"
            earlier["status_transitions"] = {"canceled_at": now, "paid_at": None}
    ctx.state.add(payment)
    _touch_all(ctx, "invoice_payment", "charge", "payment_intent")
    if failure:
        invoice["next_payment_attempt"] = now + 3 * 86_400 if invoice.get("auto_advance") else None
        return failure
    invoice["amount_paid"] = int(invoice.get("amount_paid") or 0) + remaining
    _mark_paid(ctx, invoice, now)
    return None


def _mark_paid(ctx: Context, invoice: JSON, now: int) -> None:
    invoice["status"] = "paid"
    invoice["amount_remaining"] = 0
    invoice["next_payment_attempt"] = None
    invoice["auto_advance"] = False
    transitions = invoice.setdefault("status_transitions", {})
    transitions["paid_at"] = now
    transitions.setdefault("finalized_at", now)
    sub_id = invoice_subscription(invoice)
    sub = ctx.state.get("subscription", sub_id) if sub_id else None
    if (
        sub
        and sub.get("latest_invoice") == invoice["id"]
        and sub["status"] in ("past_due", "unpaid")
    ):
        sub["status"] = "active"


# --------------------------------------------------------------------------- invoices


def _line_from_item(ctx: Context, item: JSON, invoice_id: str) -> JSON:
    price = dig(item, "pricing.price_details") or {}
    parent = item.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return {
        "id": ctx.state.new_id("line_item"),
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item.get("description"),
        "discount_amounts": [],
        "discountable": False,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "period": item.get("period"),
        "quantity": item.get("quantity"),
        "subscription": details.get("subscription"),
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": item["id"],
                "proration": bool(item.get("proration")),
                "proration_details": {"credited_items": None},
                "subscription": details.get("subscription"),
                "subscription_item": details.get("subscription_item"),
            },
        },
        "pricing": {
            "type": "price_details",
            "price_details": price,
            "unit_amount_decimal": str(item.get("unit_amount") or item["amount"]),
        },
        "subtotal": item["amount"],
        "taxes": [],
        "pretax_credit_amounts": [],
    }


def _create_invoice(
    ctx: Context, customer: JSON, sub: JSON, items: list[JSON], billing_reason: str
) -> JSON:
    """A finalized invoice over pending invoice items, with the customer balance applied."""
    now = ctx.now()
    inv_id = ctx.state.new_id("invoice")
    lines = [_line_from_item(ctx, item, inv_id) for item in items]
    for item in items:
        item["invoice"] = inv_id
    total = sum(int(line["amount"]) for line in lines)
    balance = int(customer.get("balance") or 0)
    due = max(total + balance, 0)
    ending = min(total + balance, 0)
    customer["balance"] = ending
    sequence = int(customer.get("next_invoice_sequence") or 1)
    customer["next_invoice_sequence"] = sequence + 1
    period_start, period_end = _period(sub)
    invoice: JSON = {
        "id": inv_id,
        "object": "invoice",
        "account_country": ctx.state.account.get("country"),
        "account_name": dig(ctx.state.account, "business_profile.name"),
        "amount_due": due,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": due,
        "amount_shipping": 0,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "billing_reason": billing_reason,
        "collection_method": sub.get("collection_method", "charge_automatically"),
        "created": now,
        "currency": sub.get("currency") or (lines[0]["currency"] if lines else "usd"),
        "customer": customer["id"],
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "default_payment_method": None,
        "description": None,
        "due_date": None,
        "effective_at": now,
        "ending_balance": ending,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_sandbox/test_{inv_id}",
        "invoice_pdf": f"https://pay.stripe.com/invoice/acct_sandbox/test_{inv_id}/pdf",
        "last_finalization_error": None,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": f"{customer.get('invoice_prefix') or 'SANDBOX'}-{sequence:04d}",
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/invoices/{inv_id}/lines",
        },
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub.get("metadata") or {}),
                "subscription": sub["id"],
            },
        },
        "period_end": period_end if billing_reason != "subscription_cycle" else now,
        "period_start": period_start,
        "starting_balance": balance,
        "status": "open",
        "status_transitions": {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "total": total,
        "total_excluding_tax": total,
        "total_discount_amounts": [],
        "total_taxes": [],
        "test_clock": None,
    }
    ctx.state.add(invoice)
    sub["latest_invoice"] = inv_id
    _touch_all(ctx, "invoice", "invoiceitem", "customer")
    return invoice


def _proration_item(
    ctx: Context,
    sub: JSON,
    item: JSON,
    quantity: int,
    amount: int,
    description: str,
    period_end: int,
) -> JSON:
    price = item.get("price") or {}
    invoice_item: JSON = {
        "id": ctx.state.new_id("invoiceitem"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": price.get("currency") or sub.get("currency") or "usd",
        "customer": ref(sub["customer"]),
        "date": ctx.now(),
        "description": description,
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
        },
        "period": {"start": ctx.now(), "end": period_end},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price.get("id"), "product": ref(price.get("product"))},
            "unit_amount_decimal": str(price.get("unit_amount")),
        },
        "proration": True,
        "quantity": quantity,
        "unit_amount": price.get("unit_amount"),
        "tax_rates": [],
        "test_clock": None,
    }
    ctx.state.add(invoice_item)
    return invoice_item


def _pending_items(ctx: Context, sub: JSON) -> list[JSON]:
    return [
        ii
        for ii in ctx.state.objects.get("invoiceitem", {}).values()
        if ii.get("invoice") is None
        and dig(ii, "parent.subscription_details.subscription") == sub["id"]
    ]


def _unused_fraction(ctx: Context, item: JSON) -> float:
    start, end = item.get("current_period_start"), item.get("current_period_end")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return 0.0
    return min(max((end - ctx.now()) / (end - start), 0.0), 1.0)


# --------------------------------------------------------------------------- refunds


def create_refund(ctx: Context) -> JSON:
    params = ctx.params
    check_known(
        params,
        {
            "charge",
            "payment_intent",
            "amount",
            "reason",
            "metadata",
            "expand",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
            "currency",
            "customer",
            "origin",
        },
    )
    if "origin" in params:
        raise bad_param(
            "origin", "The sandbox supports refunds of charges and payment intents only."
        )
    if "charge" in params and "payment_intent" in params:
        raise bad_param(
            "charge", "You may only specify one of these parameters: charge, payment_intent."
        )
    if "charge" in params:
        charge_id = as_str(params["charge"], "charge")
        charge = ctx.state.get("charge", charge_id)
        if charge is None:
            raise no_such("charge", charge_id, param="charge", status=400)
    elif "payment_intent" in params:
        pi_id = as_str(params["payment_intent"], "payment_intent")
        intent = ctx.state.get("payment_intent", pi_id)
        if intent is None:
            raise no_such("payment_intent", pi_id, param="payment_intent", status=400)
        latest = ref(intent.get("latest_charge"))
        charge = ctx.state.get("charge", latest) if isinstance(latest, str) else None
        if charge is None or intent.get("status") != "succeeded":
            raise ApiError(
                400,
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
    else:
        raise ApiError(
            400,
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
            cacheable=False,
        )
    reason = as_enum(params["reason"], "reason", REFUND_REASONS) if "reason" in params else None
    metadata = _metadata(ctx, {}, params["metadata"]) if "metadata" in params else {}
    amount_param = as_int(params["amount"], "amount", minimum=1) if "amount" in params else None

    currency = str(charge["currency"])
    captured = int(charge.get("amount_captured") or 0)
    if not captured and charge.get("captured") is not False:
        captured = int(charge.get("amount") or 0)
    refunded = int(charge.get("amount_refunded") or 0)
    remaining = captured - refunded
    if charge.get("status") != "succeeded" or not charge.get("paid", True):
        raise ApiError(
            400,
            f"Charge {charge['id']} has not succeeded and cannot be refunded.",
            code="charge_not_refundable",
            param="charge",
        )
    if charge.get("refunded") or remaining <= 0:
        raise ApiError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param="charge" if "charge" in params else "payment_intent",
        )
    if charge.get("disputed"):
        disputes = ctx.query.by("dispute", "charge", charge["id"])
        if not any(d.get("is_charge_refundable") for d in disputes):
            raise ApiError(
                400,
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
                param="charge" if "charge" in params else "payment_intent",
            )
    amount = remaining if amount_param is None else amount_param
    if amount > remaining:
        raise ApiError(
            400,
            f"Refund amount ({format_money(amount, currency)}) is greater than unrefunded "
            f"amount on charge ({format_money(remaining, currency)})",
            param="amount",
        )
    refund: JSON = {
        "id": ctx.state.new_id("refund"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": ctx.state.new_id("balance_transaction"),
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": currency,
        "destination_details": {
            "type": "card",
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
        },
        "metadata": metadata,
        "payment_intent": ref(charge.get("payment_intent")),
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
        "customer": ref(charge.get("customer")),
        "customer_account": None,
        "payment_method": ref(charge.get("payment_method")),
    }
    ctx.state.add(refund)
    charge["amount_refunded"] = refunded + amount
    charge["refunded"] = charge["amount_refunded"] >= captured
    ctx.touch("refund")
    return ctx.render(refund)


# --------------------------------------------------------------------------- subscriptions


def _subscription(ctx: Context, sub_id: str) -> JSON:
    return lookup(ctx, "subscriptions", sub_id)


def _cancellation_details(value: Any, current: JSON | None) -> JSON:
    details = as_dict(value, "cancellation_details")
    for key in details:
        if key not in ("comment", "feedback"):
            raise bad_param(
                f"cancellation_details[{key}]",
                f"Received unknown parameter: cancellation_details[{key}]",
                "parameter_unknown",
            )
    out = dict(current or {"comment": None, "feedback": None, "reason": None})
    if "comment" in details:
        comment = as_str(details["comment"], "cancellation_details[comment]", allow_empty=True)
        if len(comment) > 5000:
            raise bad_param("cancellation_details[comment]", "The comment is too long (max 5000).")
        out["comment"] = comment or None
    if "feedback" in details:
        feedback = details["feedback"]
        out["feedback"] = (
            None
            if feedback == ""
            else as_enum(feedback, "cancellation_details[feedback]", FEEDBACK)
        )
    return out


def cancel_subscription(ctx: Context, sub_id: str) -> JSON:
    params = ctx.params
    check_known(params, {"invoice_now", "prorate", "cancellation_details", "expand"})
    invoice_now = (
        as_bool(params["invoice_now"], "invoice_now") if "invoice_now" in params else False
    )
    prorate = as_bool(params["prorate"], "prorate") if "prorate" in params else False
    details = _cancellation_details(params.get("cancellation_details", {}), None)
    sub = _subscription(ctx, sub_id)
    if sub.get("status") in ENDED:
        # Stripe answers a second cancel with 404, though retrieve still works.
        raise no_such("subscription", sub_id)
    customer = ctx.state.get("customer", str(ref(sub.get("customer"))))
    now = ctx.now()
    paid_through = sub.get("status") == "active"
    if prorate and paid_through:
        # A credit item for the unused part of the current period.
        for item in dig(sub, "items.data") or []:
            price = item.get("price") or {}
            quantity = int(item.get("quantity") or 0)
            full = int(price.get("unit_amount") or 0) * quantity
            credit = round(full * _unused_fraction(ctx, item))
            if credit > 0:
                _proration_item(
                    ctx,
                    sub,
                    item,
                    quantity,
                    -credit,
                    f"Unused time on {quantity} × {_product_name(ctx, price)} after "
                    f"{_fmt_date(ctx, now)}",
                    int(item.get("current_period_end") or now),
                )
    pending = _pending_items(ctx, sub)
    if invoice_now and pending and customer is not None:
        invoice = _create_invoice(ctx, customer, sub, pending, "subscription_cycle")
        _settle(ctx, invoice, _default_payment_method(ctx, customer, sub))
    elif pending:
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


def update_subscription(ctx: Context, sub_id: str) -> JSON:
    params = ctx.params
    check_known(params, UPDATE_PARAMS)
    sub = _subscription(ctx, sub_id)
    if sub.get("status") in ENDED and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise ApiError(
            400, "A canceled subscription can only update its cancellation_details and metadata."
        )
    if "cancel_at" in params and "cancel_at_period_end" in params:
        raise bad_param(
            "cancel_at",
            "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
        )
    behavior = (
        as_enum(params["proration_behavior"], "proration_behavior", PRORATION_BEHAVIORS)
        if "proration_behavior" in params
        else "create_prorations"
    )
    # Validate everything before changing anything: nothing is half-done.
    changes: list[tuple[JSON, int]] = []
    for index, entry in enumerate(as_list(params.get("items", []), "items")):
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
    cancel_at_period_end = (
        as_bool(params["cancel_at_period_end"], "cancel_at_period_end")
        if "cancel_at_period_end" in params
        else None
    )
    cancel_at: int | str | None = "keep"
    if "cancel_at" in params:
        raw = params["cancel_at"]
        _, period_end = _period(sub)
        if raw == "":
            cancel_at = None
        elif raw in ("min_period_end", "max_period_end"):
            ends = [i.get("current_period_end") for i in dig(sub, "items.data") or []]
            valid = [e for e in ends if isinstance(e, int)] or [period_end]
            cancel_at = min(valid) if raw == "min_period_end" else max(valid)
        else:
            cancel_at = as_int(raw, "cancel_at")
            if cancel_at <= ctx.now():
                raise bad_param(
                    "cancel_at", "cancel_at must be in the future.", "parameter_invalid_integer"
                )
    metadata = (
        _metadata(ctx, sub.get("metadata"), params["metadata"]) if "metadata" in params else None
    )
    details = (
        _cancellation_details(params["cancellation_details"], sub.get("cancellation_details"))
        if "cancellation_details" in params
        else None
    )
    default_pm: str | None = None
    if params.get("default_payment_method"):
        default_pm = as_str(params["default_payment_method"], "default_payment_method")
        pm = ctx.state.get("payment_method", default_pm)
        if pm is None or ref(pm.get("customer")) != ref(sub.get("customer")):
            raise no_such("PaymentMethod", default_pm, param="default_payment_method", status=400)

    now = ctx.now()
    if metadata is not None:
        sub["metadata"] = metadata
    if details is not None:
        sub["cancellation_details"] = details
    if "description" in params:
        sub["description"] = as_str(params["description"], "description", allow_empty=True) or None
    if default_pm is not None:
        sub["default_payment_method"] = default_pm
    _, period_end = _period(sub)
    if cancel_at_period_end is not None:
        sub["cancel_at_period_end"] = cancel_at_period_end
        sub["cancel_at"] = period_end if cancel_at_period_end else None
        sub["canceled_at"] = now if cancel_at_period_end else None
    if cancel_at != "keep":
        sub["cancel_at"] = cancel_at
        sub["cancel_at_period_end"] = False
        sub["canceled_at"] = now if cancel_at is not None else None
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
        price = item.get("price") or {}
        unit = int(price.get("unit_amount") or 0)
        fraction = _unused_fraction(ctx, item)
        end = int(item.get("current_period_end") or now)
        name = _product_name(ctx, price)
        when = _fmt_date(ctx, now)
        new_items.append(
            _proration_item(
                ctx,
                sub,
                item,
                old,
                -round(unit * old * fraction),
                f"Unused time on {old} × {name} after {when}",
                end,
            )
        )
        new_items.append(
            _proration_item(
                ctx,
                sub,
                item,
                quantity,
                round(unit * quantity * fraction),
                f"Remaining time on {quantity} × {name} after {when}",
                end,
            )
        )
    if new_items:
        ctx.touch("invoiceitem")
    if behavior == "always_invoice" and new_items:
        customer = ctx.state.get("customer", str(ref(sub.get("customer"))))
        if customer is not None:
            invoice = _create_invoice(
                ctx, customer, sub, _pending_items(ctx, sub), "subscription_update"
            )
            _settle(ctx, invoice, _default_payment_method(ctx, customer, sub))
    return ctx.render(sub)


# --------------------------------------------------------------------------- invoices


def pay_invoice(ctx: Context, invoice_id: str) -> JSON:
    params = ctx.params
    check_known(
        params,
        {"payment_method", "off_session", "paid_out_of_band", "forgive", "source", "expand"},
    )
    invoice = lookup(ctx, "invoices", invoice_id)
    status = invoice.get("status")
    if status == "paid":
        raise ApiError(400, "Invoice is already paid.")
    if status == "void":
        raise ApiError(400, "This invoice has been voided and cannot be paid.")
    if status == "draft":
        invoice["status"] = "open"
        invoice.setdefault("status_transitions", {})["finalized_at"] = ctx.now()
    if "paid_out_of_band" in params and as_bool(params["paid_out_of_band"], "paid_out_of_band"):
        invoice["amount_paid_off_stripe"] = int(invoice.get("amount_remaining") or 0)
        _mark_paid(ctx, invoice, ctx.now())
        return ctx.render(invoice)
    customer = ctx.state.get("customer", str(ref(invoice.get("customer"))))
    if customer is None:
        raise ApiError(400, "This invoice has no customer and cannot be paid.")
    sub_id = invoice_subscription(invoice)
    sub = ctx.state.get("subscription", sub_id) if sub_id else None
    pm: JSON | None
    if "payment_method" in params:
        pm_id = as_str(params["payment_method"], "payment_method")
        pm = ctx.state.get("payment_method", pm_id)
        if pm is None or ref(pm.get("customer")) != customer["id"]:
            raise no_such("PaymentMethod", pm_id, param="payment_method", status=400)
    else:
        pm = _default_payment_method(ctx, customer, sub)
    if int(invoice.get("amount_remaining") or 0) > 0 and pm is None:
        raise ApiError(
            400,
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
        )
    failure = _settle(ctx, invoice, pm)
    ctx.touch("invoice")
    if failure == "expired_card":
        latest = ctx.query.by("invoice_payment", "invoice", invoice["id"])
        charge_id = None
        if latest:
            intent = ctx.state.get("payment_intent", str(dig(latest[0], "payment.payment_intent")))
            charge_id = intent.get("latest_charge") if intent else None
        raise ApiError(
            402,
            "Your card has expired.",
            type="card_error",
            code="expired_card",
            decline_code="expired_card",
            param="exp_month",
            extra={"charge": charge_id} if charge_id else None,
        )
    return ctx.render(invoice)


# --------------------------------------------------------------------------- portal

FLOW_FEATURES = {
    "payment_method_update": "payment_method_update",
    "subscription_cancel": "subscription_cancel",
    "subscription_update": "subscription_update",
    "subscription_update_confirm": "subscription_update",
    "subscription_pause": "subscription_pause",
    "customer_update": "customer_update",
}
FLOW_SUBSCRIPTION = (
    "subscription_cancel",
    "subscription_update",
    "subscription_update_confirm",
    "subscription_pause",
)


def _portal_flow(ctx: Context, value: Any, customer: JSON, config: JSON) -> JSON:
    flow = as_dict(value, "flow_data")
    known = {"type", "after_completion", *FLOW_FEATURES}
    for key in flow:
        if key not in known:
            raise bad_param(
                f"flow_data[{key}]",
                f"Received unknown parameter: flow_data[{key}]",
                "parameter_unknown",
            )
    if "type" not in flow:
        raise missing_param("flow_data[type]")
    kind = as_enum(flow["type"], "flow_data[type]", tuple(FLOW_FEATURES))
    feature = FLOW_FEATURES[kind]
    if not dig(config, f"features.{feature}.enabled"):
        raise ApiError(
            400,
            f"You can't use a {kind} flow because the {feature} feature is disabled in the "
            f"portal configuration {config['id']}. Enable features.{feature} on the "
            "configuration, or pass a configuration that has it enabled.",
            param="flow_data[type]",
        )
    out: JSON = {
        "after_completion": {
            "hosted_confirmation": None,
            "redirect": None,
            "type": "portal_homepage",
        },
        "subscription_cancel": None,
        "subscription_update": None,
        "subscription_update_confirm": None,
        "type": kind,
    }
    if kind in FLOW_SUBSCRIPTION:
        sub_params = as_dict(flow.get(kind, {}), f"flow_data[{kind}]")
        if "subscription" not in sub_params:
            raise missing_param(f"flow_data[{kind}][subscription]")
        sub_id = as_str(sub_params["subscription"], f"flow_data[{kind}][subscription]")
        sub = ctx.state.get("subscription", sub_id)
        if sub is None or ref(sub.get("customer")) != customer["id"]:
            raise no_such(
                "subscription", sub_id, param=f"flow_data[{kind}][subscription]", status=400
            )
        if sub.get("status") in ENDED:
            raise ApiError(
                400,
                f"The subscription {sub_id} is canceled; a {kind} flow needs a live subscription.",
                param=f"flow_data[{kind}][subscription]",
            )
        detail: JSON = {"subscription": sub_id}
        if kind == "subscription_cancel":
            detail["retention"] = None
        if kind == "subscription_update_confirm":
            items = []
            for i, entry in enumerate(as_list(sub_params.get("items", []), "items")):
                entry = as_dict(entry, f"flow_data[{kind}][items][{i}]")
                items.append(
                    {
                        "id": entry.get("id"),
                        "price": entry.get("price"),
                        "quantity": int(entry["quantity"]) if "quantity" in entry else None,
                    }
                )
            if not items:
                raise missing_param(f"flow_data[{kind}][items]")
            detail["items"] = items
            detail["discounts"] = None
        if kind in out:
            out[kind] = detail
    after = as_dict(flow.get("after_completion", {}), "flow_data[after_completion]")
    if after:
        after_type = as_enum(
            after.get("type", ""),
            "flow_data[after_completion][type]",
            ("hosted_confirmation", "portal_homepage", "redirect"),
        )
        result: JSON = {"hosted_confirmation": None, "redirect": None, "type": after_type}
        if after_type == "redirect":
            redirect = as_dict(after.get("redirect", {}), "flow_data[after_completion][redirect]")
            if "return_url" not in redirect:
                raise missing_param("flow_data[after_completion][redirect][return_url]")
            result["redirect"] = {
                "return_url": as_str(
                    redirect["return_url"], "flow_data[after_completion][redirect][return_url]"
                )
            }
        if after_type == "hosted_confirmation":
            hosted = as_dict(
                after.get("hosted_confirmation", {}),
                "flow_data[after_completion][hosted_confirmation]",
            )
            result["hosted_confirmation"] = {"custom_message": hosted.get("custom_message")}
        out["after_completion"] = result
    return out


def create_portal_session(ctx: Context) -> JSON:
    params = ctx.params
    check_known(
        params,
        {
            "customer",
            "return_url",
            "configuration",
            "flow_data",
            "locale",
            "on_behalf_of",
            "expand",
        },
    )
    if "customer" not in params:
        raise missing_param("customer")
    customer_id = as_str(params["customer"], "customer")
    customer = ctx.state.get("customer", customer_id)
    if customer is None or customer.get("deleted"):
        raise no_such("customer", customer_id, param="customer", status=400)
    configs = ctx.state.objects.get("billing_portal.configuration", {})
    if "configuration" in params:
        config_id = as_str(params["configuration"], "configuration")
        config = configs.get(config_id)
        if config is None:
            raise no_such("configuration", config_id, param="configuration", status=400)
        if not config.get("active"):
            raise ApiError(
                400,
                f"The configuration {config_id} is inactive; activate it or pass another "
                "configuration.",
                param="configuration",
            )
    else:
        config = next(
            (c for c in configs.values() if c.get("is_default") and c.get("active")), None
        )
        if config is None:
            mode = "live" if ctx.principal.livemode else "test"
            dashboard = "https://dashboard.stripe.com/" + ("" if mode == "live" else "test/")
            raise ApiError(
                400,
                f"You can't create a portal session in {mode} mode until you save your "
                f"customer portal settings in {mode} mode at "
                f"{dashboard}settings/billing/portal.",
            )
    return_url = params.get("return_url") or config.get("default_return_url")
    if return_url is not None:
        return_url = as_str(return_url, "return_url")
        if not return_url.startswith(("http://", "https://")):
            raise bad_param("return_url", "Not a valid URL", "url_invalid")
    flow = (
        _portal_flow(ctx, params["flow_data"], customer, config) if "flow_data" in params else None
    )
    session_id = ctx.state.new_id("billing_portal.session")
    secret = secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
    prefix = "" if ctx.principal.livemode else "test_"
    session: JSON = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": config["id"],
        "created": ctx.now(),
        "customer": customer_id,
        "customer_account": None,
        "flow": flow,
        "livemode": False,
        "locale": params.get("locale"),
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"https://billing.stripe.com/p/session/{prefix}{secret}",
    }
    ctx.state.add(session)
    return ctx.render(session)


_FEATURE_FIELDS: dict[str, dict[str, str]] = {
    "customer_update": {"enabled": "bool", "allowed_updates": "list"},
    "invoice_history": {"enabled": "bool"},
    "payment_method_update": {"enabled": "bool", "payment_method_configuration": "str"},
    "subscription_cancel": {
        "enabled": "bool",
        "mode": "str",
        "proration_behavior": "str",
        "cancellation_reason": "dict",
    },
    "subscription_pause": {"enabled": "bool"},
    "subscription_update": {
        "enabled": "bool",
        "default_allowed_updates": "list",
        "proration_behavior": "str",
        "products": "list",
        "schedule_at_period_end": "dict",
        "trial_update_behavior": "str",
        "billing_cycle_anchor": "str",
    },
}
_ENUMS = {
    "subscription_cancel.mode": ("at_period_end", "immediately"),
    "subscription_cancel.proration_behavior": PRORATION_BEHAVIORS,
    "subscription_update.proration_behavior": PRORATION_BEHAVIORS,
}


def _typed(value: Any, kind: str, param: str) -> Any:
    if kind == "bool":
        return as_bool(value, param)
    if kind == "list":
        return as_list(value, param)
    if kind == "dict":
        converted: JSON = {}
        for key, item in as_dict(value, param).items():
            if key == "enabled":
                converted[key] = as_bool(item, f"{param}[{key}]")
            elif isinstance(item, list) or key in ("options", "conditions"):
                converted[key] = as_list(item, f"{param}[{key}]")
            else:
                converted[key] = item
        return converted
    return as_str(value, param, allow_empty=True) or None


def update_portal_configuration(ctx: Context, config_id: str) -> JSON:
    params = ctx.params
    check_known(
        params,
        {
            "features",
            "active",
            "default_return_url",
            "metadata",
            "business_profile",
            "login_page",
            "name",
            "expand",
        },
    )
    config = lookup(ctx, "billing_portal/configurations", config_id)
    features = as_dict(params.get("features", {}), "features")
    updates: list[tuple[str, str, Any]] = []
    for feature, values in features.items():
        if feature not in _FEATURE_FIELDS:
            raise bad_param(
                f"features[{feature}]",
                f"Received unknown parameter: features[{feature}]",
                "parameter_unknown",
            )
        for field, value in as_dict(values, f"features[{feature}]").items():
            param = f"features[{feature}][{field}]"
            kind = _FEATURE_FIELDS[feature].get(field)
            if kind is None:
                raise bad_param(param, f"Received unknown parameter: {param}", "parameter_unknown")
            typed = _typed(value, kind, param)
            allowed = _ENUMS.get(f"{feature}.{field}")
            if allowed is not None:
                typed = as_enum(typed, param, allowed)
            updates.append((feature, field, typed))
    active = as_bool(params["active"], "active") if "active" in params else None
    if active is False and config.get("is_default"):
        raise bad_param("active", "You can't deactivate the default portal configuration.")
    for feature, field, typed in updates:
        section = config.setdefault("features", {}).setdefault(feature, {})
        if isinstance(typed, dict) and isinstance(section.get(field), dict):
            section[field].update(typed)
        else:
            section[field] = typed
    if active is not None:
        config["active"] = active
    if "default_return_url" in params:
        config["default_return_url"] = (
            as_str(params["default_return_url"], "default_return_url", allow_empty=True) or None
        )
    if "metadata" in params:
        config["metadata"] = _metadata(ctx, config.get("metadata"), params["metadata"])
    if "name" in params:
        config["name"] = as_str(params["name"], "name", allow_empty=True) or None
    if "business_profile" in params:
        profile = as_dict(params["business_profile"], "business_profile")
        config.setdefault("business_profile", {}).update(
            {k: (v or None) for k, v in profile.items()}
        )
    if "login_page" in params:
        login = as_dict(params["login_page"], "login_page")
        if "enabled" in login:
            enabled = as_bool(login["enabled"], "login_page[enabled]")
            config["login_page"] = {
                "enabled": enabled,
                "url": f"https://billing.stripe.com/p/login/test_{config['id'][-10:]}"
                if enabled
                else None,
            }
    config["updated"] = ctx.now()
    return ctx.render(config)
