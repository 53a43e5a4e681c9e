"""Money movements: ``payment_intent``, ``charge``, ``invoice_payment`` and ``refund``.

Charges have no ``invoice`` and do not carry ``refunds`` (the engine adds the list when
expanded); refunds are separate ``refund`` objects with ``charge``. Money is always integer
minor units (JPY is zero-decimal: ``1500`` is ¥1,500).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_tui.sandbox.resources.base import SANDBOX_WEB, id_body, require
from billing_tui.sandbox.state import JSON, SandboxState

#: The reasons Stripe accepts for a refund.
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
_DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "do_not_honor": "Your card was declined.",
    "generic_decline": "Your card was declined.",
}


_NETWORK_TOKEN: JSON = {"used": False}
_PI_AMOUNT_DETAILS: JSON = {"tip": {}}
_PI_CARD_TYPES: list[str] = ["card"]
_MANAGED_PAYMENTS_OFF: JSON = {"enabled": False}
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
            "allowed_payment_method_types": None,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic",
            "client_secret": f"{pid}_secret_{id_body(pid)[::-1]}",
            "confirmation_method": "automatic",
            "created": state.now() if created is None else created,
            "currency": currency,
            "customer": customer,
            "customer_account": None,
            "description": description,
            "excluded_payment_method_types": None,
            "last_payment_error": dict(last_payment_error) if last_payment_error else None,
            "latest_charge": latest_charge,
            "livemode": False,
            "managed_payments": _MANAGED_PAYMENTS_OFF,
            "metadata": dict(metadata or {}),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": payment_method,
            "payment_method_configuration_details": None,
            "payment_method_options": _PI_METHOD_OPTIONS,
            "payment_method_types": _PI_CARD_TYPES,
            "payment_record": None,
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
    """A PaymentIntent ``last_payment_error`` for a declined card (an expired card has no
    ``decline_code``: Stripe omits the key rather than sending null)."""
    message = _DECLINE_MESSAGES.get(code, "Your card was declined.")
    error: JSON = {
        "charge": charge,
        "code": "expired_card" if code == "expired_card" else "card_declined",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": message,
        "payment_method": payment_method,
        "type": "card_error",
    }
    if code != "expired_card":
        error["decline_code"] = code
    return error


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
    balance_transaction: str | None = None,
) -> JSON:
    """A card charge paid with the stored ``payment_method`` (its card is copied into
    ``payment_method_details``). ``failure_code`` (e.g. ``card_declined``,
    ``insufficient_funds``, ``expired_card``) makes a failed charge."""
    pm = require(state, "payment_method", payment_method, "payment method")
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
            "balance_transaction": (balance_transaction or f"txn_{id_body(cid)}") if ok else None,
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
                    "electronic_commerce_indicator": None,
                    "exp_month": card["exp_month"],
                    "exp_year": card["exp_year"],
                    "fingerprint": card["fingerprint"],
                    "funding": card["funding"],
                    "installments": None,
                    "last4": card["last4"],
                    "mandate": None,
                    "network": card["brand"],
                    "network_token": _NETWORK_TOKEN,
                    "network_transaction_id": None,
                    "regulated_status": "unregulated",
                    "three_d_secure": None,
                    "transaction_link_id": None,
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
            "source": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
        }
    )


def captured_and_refunded(ch: JSON) -> tuple[int, int]:
    """What a charge captured and what has been refunded of it (the refundable rest is the
    difference); a charge without ``amount_captured`` counts its ``amount`` unless uncaptured."""
    captured = int(ch.get("amount_captured") or 0)
    if not captured and ch.get("captured") is not False:
        captured = int(ch.get("amount") or 0)
    return captured, int(ch.get("amount_refunded") or 0)


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
    balance_transaction: str | None = None,
) -> JSON:
    """A refund of ``charge`` (default: what remains). A succeeded or pending refund also
    updates the charge's ``amount_refunded`` and ``refunded`` the way Stripe does.

    Raises ``ValueError`` for a charge that did not succeed, is already fully refunded, or an
    amount larger than what remains.
    """
    ch = require(state, "charge", charge, "charge")
    if ch["status"] != "succeeded":
        raise ValueError(f"charge {charge!r} did not succeed; there is nothing to refund")
    captured, refunded = captured_and_refunded(ch)
    remaining = captured - refunded
    if remaining <= 0:
        raise ValueError(f"charge {charge!r} has already been refunded")
    amt = remaining if amount is None else amount
    if not (0 < amt <= remaining):
        raise ValueError(f"refund amount {amt} must be between 1 and the unrefunded {remaining}")
    if reason is not None and reason not in REFUND_REASONS:
        raise ValueError(f"unknown refund reason {reason!r}")
    rid = id or state.new_id("refund")
    obj = state.add(
        {
            "id": rid,
            "object": "refund",
            "amount": amt,
            "balance_transaction": balance_transaction or f"txn_{id_body(rid)}",
            "charge": charge,
            "created": state.now() if created is None else created,
            "currency": ch["currency"],
            "customer": ch.get("customer"),
            "customer_account": None,
            "destination_details": {
                "card": {  # no ``reference`` until the network assigns one: omitted, not null
                    "reference_status": "pending",
                    "reference_type": "acquirer_reference_number",
                    "type": "refund",
                },
                "type": "card",
            },
            "metadata": dict(metadata or {}),
            "payment_intent": ch.get("payment_intent"),
            "payment_method": ch.get("payment_method"),
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": status,
            "transfer_reversal": None,
        }
    )
    if status in {"succeeded", "pending"}:
        ch["amount_refunded"] = refunded + amt
        ch["refunded"] = ch["amount_refunded"] >= captured
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
    inv = require(state, "invoice", invoice, "invoice")
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
