"""Collecting an invoice with a card through the API: the PaymentIntent, its charge and the
``invoice_payment`` an attempt leaves, and the invoice's attempt bookkeeping.

Sandbox payment rule: a payment succeeds when the card is not expired (its expiry month has not
ended at the sandbox clock) and fails with ``expired_card`` otherwise.
"""

from __future__ import annotations

import datetime as dt

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints.common import touch_all
from billing_tui.sandbox.query import dig, ref
from billing_tui.sandbox.state import JSON

#: How long Stripe's smart retries wait before the next automatic attempt (sandbox: fixed).
RETRY_AFTER = 3 * 86_400


def card_expired(pm: JSON, now: int) -> bool:
    card = pm.get("card") or {}
    year, month = card.get("exp_year"), card.get("exp_month")
    if not isinstance(year, int) or not isinstance(month, int):
        return False
    today = dt.datetime.fromtimestamp(now, dt.UTC)
    return (year, month) < (today.year, today.month)


def default_payment_method(ctx: Context, customer: JSON, sub: JSON | None) -> JSON | None:
    """The card Stripe would charge: the subscription's, else the customer's default."""
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


def charge_card(
    ctx: Context,
    customer: JSON,
    pm: JSON,
    amount: int,
    currency: str,
    description: str,
) -> tuple[JSON, JSON, str | None]:
    """A PaymentIntent and its charge for ``amount`` on ``pm``: (intent, charge, failure code)."""
    state = ctx.state
    now = ctx.now()
    failure = "expired_card" if card_expired(pm, now) else None
    succeeded = failure is None
    pi_id, ch_id = state.new_id("payment_intent"), state.new_id("charge")
    charge = resources.charge(
        state,
        id=ch_id,
        customer=customer["id"],
        amount=amount,
        currency=currency,
        payment_method=pm["id"],
        payment_intent=pi_id,
        status="succeeded" if succeeded else "failed",
        failure_code=failure,
        created=now,
        description=description,
        balance_transaction=state.new_id("balance_transaction") if succeeded else None,
    )
    intent = resources.payment_intent(
        state,
        id=pi_id,
        customer=customer["id"],
        amount=amount,
        currency=currency,
        status="succeeded" if succeeded else "requires_payment_method",
        payment_method=pm["id"] if succeeded else None,
        latest_charge=ch_id,
        created=now,
        description=description,
        last_payment_error=None
        if failure is None
        else resources.decline_error(failure, charge=ch_id, payment_method=pm),
    )
    return intent, charge, failure


def settle(ctx: Context, invoice: JSON, pm: JSON | None) -> str | None:
    """Try to collect an open invoice's remainder; returns the failure code or None."""
    now = ctx.now()
    remaining = int(invoice.get("amount_remaining") or 0)
    if remaining <= 0:
        resources.mark_paid(ctx.state, invoice, now, attempted=False)
        return None
    customer = ctx.state.get("customer", str(ref(invoice.get("customer"))))
    if customer is None or pm is None:
        return "no_payment_method"
    intent, _charge, failure = charge_card(
        ctx, customer, pm, remaining, str(invoice["currency"]), f"Invoice {invoice.get('number')}"
    )
    invoice["attempt_count"] = int(invoice.get("attempt_count") or 0) + 1
    invoice["attempted"] = True
    payment_id = ctx.state.new_id("invoice_payment")
    _cancel_open_payments(ctx, invoice, now)
    resources.invoice_payment(
        ctx.state,
        id=payment_id,
        invoice=invoice["id"],
        payment_intent=intent["id"],
        amount_requested=remaining,
        status="open" if failure else "paid",
        created=now,
        paid_at=now,
    )
    touch_all(ctx, "invoice_payment", "charge", "payment_intent")
    if failure:
        invoice["next_payment_attempt"] = now + RETRY_AFTER if invoice.get("auto_advance") else None
        return failure
    resources.mark_paid(ctx.state, invoice, now)
    return None


def _cancel_open_payments(ctx: Context, invoice: JSON, now: int) -> None:
    """A new attempt replaces the invoice's open default payment (Stripe cancels it)."""
    for earlier in ctx.query.by("invoice_payment", "invoice", invoice["id"]):
        if earlier.get("is_default") and earlier.get("status") == "open":
            earlier["is_default"] = False
            earlier["status"] = "canceled"
            earlier["status_transitions"] = {"canceled_at": now, "paid_at": None}
