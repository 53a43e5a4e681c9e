"""Customers and their cards: ``customer``, ``payment_method`` and the shared ``card`` hash."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from billing_tui.sandbox.resources.base import make_fingerprint, null_address, require
from billing_tui.sandbox.state import JSON, SandboxState

_PM_CHECKS: JSON = {
    "address_line1_check": None,
    "address_postal_code_check": None,
    "cvc_check": "pass",
}
_THREE_DS_USAGE: JSON = {"supported": True}


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
        "fingerprint": fingerprint or make_fingerprint(brand, last4, exp_month, exp_year, country),
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
    cust = require(state, "customer", customer, "customer") if customer else None
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
                "address": null_address(),
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
            "customer_account": None,
            "livemode": False,
            "metadata": dict(metadata or {}),
            "type": "card",
        }
    )
    if cust is not None and make_default:
        cust["invoice_settings"]["default_payment_method"] = obj["id"]
    return obj
