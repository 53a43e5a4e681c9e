"""Disputes on charges (``dispute``): chargebacks and inquiries."""

from __future__ import annotations

from billing_tui.sandbox.resources.base import require
from billing_tui.sandbox.state import JSON, SandboxState

_CARD_NETWORK_REASON = {
    "fraudulent": "10.4",
    "product_not_received": "13.1",
    "duplicate": "12.6.1",
    "subscription_canceled": "13.2",
    "credit_not_processed": "13.6",
    "general": "13.3",
    "unrecognized": "10.4",
}


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
    ch = require(state, "charge", charge, "charge")
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
                "enhanced_evidence": {},
            },
            "evidence_details": {
                "due_by": ts + 7 * 86400 if due_by is None else due_by,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
                "submission_method": "not_submitted",
            },
            "intended_submission_method": None,
            "is_charge_refundable": inquiry,
            "livemode": False,
            "metadata": {},
            "payment_intent": ch["payment_intent"],
            "payment_method_details": {
                "card": {
                    "brand": brand,
                    "case_type": "inquiry" if inquiry else "chargeback",
                    "network": brand,
                    "network_reason_code": _CARD_NETWORK_REASON.get(reason, "13.3"),
                },
                "type": "card",
            },
            "reason": reason,
            "status": status,
        }
    )
