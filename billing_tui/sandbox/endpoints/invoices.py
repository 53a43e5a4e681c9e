"""Invoice endpoints and invoicing: ``POST /v1/invoices/{id}/pay``, pending proration items, and
the invoice that bills them (used by the subscription endpoints)."""

from __future__ import annotations

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints.collect import default_payment_method, settle
from billing_tui.sandbox.endpoints.common import subscription_period, touch_all
from billing_tui.sandbox.endpoints.reads import lookup
from billing_tui.sandbox.query import dig, invoice_subscription, ref
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError, as_bool, as_str, check_known, no_such

PAY_PARAMS = {"payment_method", "off_session", "paid_out_of_band", "forgive", "source", "expand"}


# --------------------------------------------------------------------------- pending items


def proration_item(
    ctx: Context,
    sub: JSON,
    item: JSON,
    quantity: int,
    amount: int,
    description: str,
    period_end: int,
) -> JSON:
    """A pending proration for ``item`` from now to ``period_end`` (negative = credit)."""
    price = item.get("price") or {}
    return resources.invoice_item(
        ctx.state,
        customer=ref(sub["customer"]),
        amount=amount,
        currency=price.get("currency") or sub.get("currency") or "usd",
        description=description,
        period_start=ctx.now(),
        period_end=period_end,
        price=price,
        quantity=quantity,
        subscription=sub["id"],
        subscription_item=item["id"],
        created=ctx.now(),
    )


def pending_items(ctx: Context, sub: JSON) -> list[JSON]:
    """The subscription's invoice items that no invoice has billed yet."""
    return [
        ii
        for ii in ctx.state.objects.get("invoiceitem", {}).values()
        if ii.get("invoice") is None
        and dig(ii, "parent.subscription_details.subscription") == sub["id"]
    ]


def unused_fraction(ctx: Context, item: JSON) -> float:
    """How much of the item's current period is still ahead (0–1)."""
    start, end = item.get("current_period_start"), item.get("current_period_end")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start:
        return 0.0
    return min(max((end - ctx.now()) / (end - start), 0.0), 1.0)


# --------------------------------------------------------------------------- invoicing


def _line(ctx: Context, item: JSON) -> JSON:
    """The invoice line (as :func:`resources.invoice_line` keywords) billing a pending item."""
    details = dig(item, "parent.subscription_details") or {}
    price_id = dig(item, "pricing.price_details.price")
    period = item.get("period") or {}
    return {
        "id": ctx.state.new_id("line_item"),
        "amount": item["amount"],
        "description": item.get("description"),
        "period_start": period.get("start"),
        "period_end": period.get("end"),
        "price": price_id if ctx.state.get("price", str(price_id)) else None,
        "quantity": item.get("quantity"),
        "proration": bool(item.get("proration")),
        "subscription": details.get("subscription"),
        "subscription_item": details.get("subscription_item"),
        "invoice_item": item["id"],
    }


def invoice_items(
    ctx: Context, customer: JSON, sub: JSON, items: list[JSON], billing_reason: str
) -> JSON:
    """A finalized invoice over pending invoice items, with the customer balance applied."""
    now = ctx.now()
    inv_id = ctx.state.new_id("invoice")
    lines = [_line(ctx, item) for item in items]
    for item in items:
        item["invoice"] = inv_id
    total = sum(int(line["amount"]) for line in lines)
    balance = int(customer.get("balance") or 0)
    customer["balance"] = min(total + balance, 0)
    period_start, period_end = subscription_period(sub)
    invoice = resources.invoice(
        ctx.state,
        id=inv_id,
        customer=customer["id"],
        subscription=sub["id"],
        lines=lines,
        created=now,
        status="open",
        billing_reason=billing_reason,
        currency=sub.get("currency") or (items[0]["currency"] if items else "usd"),
        period_start=period_start,
        period_end=period_end if billing_reason != "subscription_cycle" else now,
        starting_balance=balance,
        collection_method=sub.get("collection_method", "charge_automatically"),
    )
    sub["latest_invoice"] = inv_id
    touch_all(ctx, "invoice", "invoiceitem", "customer", "line_item")
    return invoice


# --------------------------------------------------------------------------- pay


def pay_invoice(ctx: Context, invoice_id: str) -> JSON:
    params = ctx.params
    check_known(params, PAY_PARAMS)
    invoice = lookup(ctx, "invoices", invoice_id)
    _check_payable(invoice)
    if invoice.get("status") == "draft":
        invoice["status"] = "open"
        invoice.setdefault("status_transitions", {})["finalized_at"] = ctx.now()
    if "paid_out_of_band" in params and as_bool(params["paid_out_of_band"], "paid_out_of_band"):
        invoice["amount_paid_off_stripe"] = int(invoice.get("amount_remaining") or 0)
        resources.mark_paid(ctx.state, invoice, ctx.now(), attempted=False)
        return ctx.render(invoice)
    customer = ctx.state.get("customer", str(ref(invoice.get("customer"))))
    if customer is None:
        raise ApiError(400, "This invoice has no customer and cannot be paid.")
    pm = _payment_method(ctx, invoice, customer)
    if int(invoice.get("amount_remaining") or 0) > 0 and pm is None:
        raise ApiError(
            400,
            "This customer has no attached payment source or default payment method. Please "
            "consider adding a default payment method.",
        )
    failure = settle(ctx, invoice, pm)
    ctx.touch("invoice")
    if failure == "expired_card":
        raise _expired_card(ctx, invoice)
    return ctx.render(invoice)


def _check_payable(invoice: JSON) -> None:
    status = invoice.get("status")
    if status == "paid":
        raise ApiError(400, "Invoice is already paid.")
    if status == "void":
        raise ApiError(400, "This invoice has been voided and cannot be paid.")


def _payment_method(ctx: Context, invoice: JSON, customer: JSON) -> JSON | None:
    """The ``payment_method`` parameter (one of the customer's cards) or the default card."""
    if "payment_method" not in ctx.params:
        sub_id = invoice_subscription(invoice)
        sub = ctx.state.get("subscription", sub_id) if sub_id else None
        return default_payment_method(ctx, customer, sub)
    pm_id = as_str(ctx.params["payment_method"], "payment_method")
    pm = ctx.state.get("payment_method", pm_id)
    if pm is None or ref(pm.get("customer")) != customer["id"]:
        raise no_such("PaymentMethod", pm_id, param="payment_method", status=400)
    return pm


def _expired_card(ctx: Context, invoice: JSON) -> ApiError:
    """Stripe's 402 for a declined expired card, naming the failed charge."""
    latest = ctx.query.by("invoice_payment", "invoice", invoice["id"])
    charge_id = None
    if latest:
        intent = ctx.state.get("payment_intent", str(dig(latest[0], "payment.payment_intent")))
        charge_id = intent.get("latest_charge") if intent else None
    return ApiError(
        402,
        "Your card has expired.",
        type="card_error",
        code="expired_card",
        decline_code="expired_card",
        param="exp_month",
        extra={"charge": charge_id} if charge_id else None,
    )
