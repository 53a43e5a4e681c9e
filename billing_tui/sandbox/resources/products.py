"""The product catalog: ``product`` and ``price`` factories."""

from __future__ import annotations

from collections.abc import Mapping

from billing_tui.sandbox.resources.base import require
from billing_tui.sandbox.resources.periods import add_interval
from billing_tui.sandbox.state import JSON, SandboxState


def product(
    state: SandboxState,
    *,
    id: str | None = None,
    name: str,
    created: int | None = None,
    description: str | None = None,
    default_price: str | None = None,
    metadata: Mapping[str, str] | None = None,
    active: bool = True,
) -> JSON:
    ts = state.now() if created is None else created
    return state.add(
        {
            "id": id or state.new_id("product"),
            "object": "product",
            "active": active,
            "created": ts,
            "default_price": default_price,
            "description": description,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": dict(metadata or {}),
            "name": name,
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "tax_details": None,
            "type": "service",
            "unit_label": None,
            "updated": ts,
            "url": None,
        }
    )


def price(
    state: SandboxState,
    *,
    id: str | None = None,
    product: str,
    unit_amount: int,
    currency: str = "usd",
    interval: str | None = "month",
    interval_count: int = 1,
    nickname: str | None = None,
    lookup_key: str | None = None,
    created: int | None = None,
    metadata: Mapping[str, str] | None = None,
    active: bool = True,
) -> JSON:
    require(state, "product", product, "product")
    if interval is not None:
        add_interval(0, interval)  # validates the interval name
    recurring = (
        None
        if interval is None
        else {
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    )
    obj = state.add(
        {
            "id": id or state.new_id("price"),
            "object": "price",
            "active": active,
            "billing_scheme": "per_unit",
            "created": state.now() if created is None else created,
            "currency": currency.lower(),
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": dict(metadata or {}),
            "nickname": nickname,
            "product": product,
            "recurring": recurring,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time" if interval is None else "recurring",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
    )
    prod = state.get("product", product)
    if prod is not None and prod["default_price"] is None:
        prod["default_price"] = obj["id"]
    return obj


def plan_of(price: JSON) -> JSON:
    """The legacy ``plan`` Stripe still sends beside a subscription item's recurring ``price``:
    the same price seen through the Plans API (same id, amount, interval and product)."""
    recurring = price["recurring"]
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": price["livemode"],
        "metadata": price["metadata"],
        "meter": recurring["meter"],
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": None,
        "trial_period_days": recurring["trial_period_days"],
        "usage_type": recurring["usage_type"],
    }
