"""The customer portal: ``billing_portal.configuration`` and ``billing_portal.session``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from billing_tui.sandbox.state import JSON, SandboxState

#: A portal product's quantity rule when the configuration does not set one (Stripe's default).
_FIXED_QUANTITY: JSON = {"enabled": False, "maximum": None, "minimum": 1}
_NO_PAUSE: JSON = {"duration": {"interval_options": [], "type": "indefinite"}, "enabled": False}


def update_product(entry: Mapping[str, Any]) -> JSON:
    """One ``features.subscription_update.products`` entry as Stripe returns it."""
    return {
        "adjustable_quantity": dict(entry.get("adjustable_quantity") or _FIXED_QUANTITY),
        "prices": list(entry.get("prices") or []),
        "product": entry["product"],
    }


def portal_configuration(
    state: SandboxState,
    *,
    id: str | None = None,
    is_default: bool = False,
    active: bool = True,
    name: str | None = None,
    created: int | None = None,
    customer_update: bool = True,
    invoice_history: bool = True,
    payment_method_update: bool = True,
    subscription_cancel: bool = True,
    cancel_mode: str = "at_period_end",
    subscription_update: bool = True,
    update_products: Sequence[Mapping[str, Any]] = (),
    default_return_url: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A billing-portal configuration; each feature flag maps to ``features.<name>.enabled``.
    ``update_products`` are ``{"product": "prod_…", "prices": ["price_…"]}`` entries that the
    portal lets customers switch between."""
    ts = state.now() if created is None else created
    return state.add(
        {
            "id": id or state.new_id("billing_portal.configuration"),
            "object": "billing_portal.configuration",
            "active": active,
            "application": None,
            "business_profile": {
                "headline": None,
                "privacy_policy_url": None,
                "terms_of_service_url": None,
            },
            "created": ts,
            "default_return_url": default_return_url,
            "features": {
                "customer_update": {
                    "allowed_updates": ["email", "address", "tax_id"] if customer_update else [],
                    "enabled": customer_update,
                },
                "invoice_history": {"enabled": invoice_history},
                "payment_method_update": {
                    "enabled": payment_method_update,
                    "payment_method_configuration": None,
                },
                "subscription_cancel": {
                    "cancellation_reason": {
                        "enabled": subscription_cancel,
                        "feedback_options": None,
                        "options": [
                            "too_expensive",
                            "missing_features",
                            "switched_service",
                            "unused",
                            "other",
                        ]
                        if subscription_cancel
                        else [],
                    },
                    "enabled": subscription_cancel,
                    "mode": cancel_mode,
                    "proration_behavior": "none",
                },
                "subscription_pause": _NO_PAUSE,
                "subscription_update": {
                    "billing_cycle_anchor": None,
                    "default_allowed_updates": ["price", "quantity"] if subscription_update else [],
                    "enabled": subscription_update,
                    "products": [update_product(p) for p in update_products],
                    "proration_behavior": "create_prorations",
                    "schedule_at_period_end": {"conditions": []},
                    "trial_update_behavior": "end_trial",
                },
            },
            "is_default": is_default,
            "livemode": False,
            "login_page": {"enabled": False, "url": None},
            "metadata": dict(metadata or {}),
            "name": name,
            "updated": ts,
        }
    )


def portal_session(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str,
    configuration: str,
    url: str,
    return_url: str | None = None,
    flow: JSON | None = None,
    locale: str | None = None,
    created: int | None = None,
) -> JSON:
    """A customer-portal session: ``url`` is the one-time link the customer opens."""
    return state.add(
        {
            "id": id or state.new_id("billing_portal.session"),
            "object": "billing_portal.session",
            "configuration": configuration,
            "created": state.now() if created is None else created,
            "customer": customer,
            "customer_account": None,
            "flow": flow,
            "livemode": False,
            "locale": locale,
            "on_behalf_of": None,
            "return_url": return_url,
            "url": url,
        }
    )
