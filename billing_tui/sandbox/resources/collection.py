"""Collecting an invoice: the payment objects a paid or declined invoice leaves behind.

:func:`pay_invoice` and :func:`fail_invoice` build a seeded invoice's history;
:func:`mark_paid` is the one place an invoice becomes ``paid`` (seeding and ``invoices.pay``).
"""

from __future__ import annotations

from collections.abc import Sequence

from billing_tui.sandbox.query import invoice_subscription
from billing_tui.sandbox.resources.base import require
from billing_tui.sandbox.resources.payments import (
    charge,
    decline_error,
    invoice_payment,
    payment_intent,
)
from billing_tui.sandbox.state import JSON, SandboxState


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
    inv = require(state, "invoice", invoice, "invoice")
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
    mark_paid(state, inv, ts + 1, history=True)
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
    inv = require(state, "invoice", invoice, "invoice")
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


def mark_paid(
    state: SandboxState,
    inv: JSON,
    at: int,
    *,
    attempted: bool = True,
    history: bool = False,
) -> None:
    """Mark ``inv`` paid at ``at`` the way Stripe does: nothing remains, ``amount_paid`` is
    ``amount_due``, collection stops, and a ``past_due``/``unpaid`` subscription whose latest
    invoice this is becomes ``active`` again.

    ``attempted`` (a payment went through Stripe) counts at least one attempt; settling without
    one (paid out of band, nothing left to collect) leaves the attempt count alone.
    ``history`` marks a payment in a seeded past: the subscription already has the status its
    scenario gives it, so it is left alone.
    """
    inv["status"] = "paid"
    inv["amount_paid"] = inv["amount_due"]
    inv["amount_remaining"] = 0
    if attempted:
        inv["attempt_count"] = max(int(inv.get("attempt_count") or 0), 1)
        inv["attempted"] = True
    inv["auto_advance"] = False
    inv["next_payment_attempt"] = None
    transitions = inv.setdefault("status_transitions", {})
    transitions["paid_at"] = at
    transitions.setdefault("finalized_at", at)
    sub_id = None if history else invoice_subscription(inv)
    sub = state.get("subscription", sub_id) if sub_id else None
    if (
        sub is not None
        and sub.get("latest_invoice") == inv["id"]
        and sub.get("status") in ("past_due", "unpaid")
    ):
        sub["status"] = "active"


def _payment_description(inv: JSON) -> str:
    if inv["billing_reason"] == "subscription_create":
        return "Subscription creation"
    if inv["billing_reason"] == "subscription_update":
        return "Subscription update"
    return "Subscription update" if inv["parent"] is None else "Subscription cycle"
