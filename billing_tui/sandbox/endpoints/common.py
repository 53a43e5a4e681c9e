"""Helpers the write endpoints share: Stripe's metadata update, cancellation details, enums,
and small readings of a subscription (its current period, a price's product name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.query import dig, ref
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import as_dict, as_enum, as_str, bad_param, check_known

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
#: Subscription statuses after which a subscription cannot be changed or paid for.
ENDED = ("canceled", "incomplete_expired")


def metadata_update(current: Any, value: Any, param: str = "metadata") -> dict[str, str]:
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


def cancellation_details(value: Any, current: JSON | None) -> JSON:
    """``cancellation_details`` (comment, feedback) merged into the subscription's current ones."""
    details = as_dict(value, "cancellation_details")
    check_known(details, {"comment", "feedback"}, under="cancellation_details")
    out = dict(current or resources.cancellation_details())
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


def fmt_date(stamp: int) -> str:
    """``26 Nov 2026``: how proration descriptions print a date."""
    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%d %b %Y")


def subscription_period(sub: JSON) -> tuple[int, int]:
    """The subscription's current period: its items' earliest start and earliest end."""
    items = dig(sub, "items.data") or []
    starts = [i["current_period_start"] for i in items if "current_period_start" in i]
    ends = [i["current_period_end"] for i in items if "current_period_end" in i]
    if not starts or not ends:
        created = int(sub.get("created") or 0)
        return created, created
    return min(starts), min(ends)


def product_name(ctx: Context, price: JSON) -> str:
    product = ctx.state.get("product", str(ref(price.get("product"))))
    return str(product.get("name")) if product else "subscription"


def touch_all(ctx: Context, *kinds: str) -> None:
    for kind in kinds:
        ctx.touch(kind)
