"""The ``account`` the key belongs to (``GET /v1/account``), complete as Stripe sends it.

The state keeps only what scenarios may set (id, names, country, currency); this factory fills
every other always-present field with a standard account's defaults.
"""

from __future__ import annotations

from billing_tui.sandbox.resources.base import null_address
from billing_tui.sandbox.state import JSON, SandboxState


def account(state: SandboxState) -> JSON:
    stored = state.account
    name = (stored.get("business_profile") or {}).get("name")
    display = (stored.get("settings") or {}).get("dashboard", {}).get("display_name", name)
    return {
        "id": stored["id"],
        "object": "account",
        "business_profile": {
            "mcc": None,
            "minority_owned_business_designation": None,
            "name": name,
            "specified_commercial_transactions_act_url": None,
            "support_address": null_address(),
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        "charges_enabled": stored.get("charges_enabled", True),
        "country": stored.get("country", "US"),
        "default_currency": stored.get("default_currency", "usd"),
        "details_submitted": stored.get("details_submitted", True),
        "email": stored.get("email"),
        "payouts_enabled": stored.get("payouts_enabled", True),
        "settings": {
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_payments": {
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": display, "timezone": "Etc/UTC"},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
        },
        "type": stored.get("type", "standard"),
    }
