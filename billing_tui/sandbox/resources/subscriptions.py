"""Subscriptions and their items (``subscription`` and ``subscription_item``).

Billing periods live on subscription **items** (``current_period_start/end``), never on the
subscription; ``items`` is a list object whose items embed their ``price`` (the stored price
dict itself, shared).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from billing_tui.sandbox.resources.base import EMPTY, ISSUER_SELF, require
from billing_tui.sandbox.resources.lists import list_object
from billing_tui.sandbox.resources.periods import current_period
from billing_tui.sandbox.resources.products import plan_of
from billing_tui.sandbox.state import JSON, SandboxState

#: Stripe statuses in which a subscription is still billed.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid"})

_SUB_AUTOMATIC_TAX: JSON = {"disabled_reason": None, "enabled": False, "liability": None}
_BILLING_MODE: JSON = {"flexible": None, "type": "classic"}
_SUB_INVOICE_SETTINGS: JSON = {
    "account_tax_ids": None,
    "custom_fields": None,
    "description": None,
    "footer": None,
    "issuer": ISSUER_SELF,
}
_SUB_PAYMENT_SETTINGS: JSON = {
    "payment_method_options": None,
    "payment_method_types": None,
    "save_default_payment_method": "off",
}
_SUB_TRIAL_SETTINGS: JSON = {
    "end_behavior": {"billing_cycle_anchor": None, "missing_payment_method": "create_invoice"}
}
_MANAGED_PAYMENTS_OFF: JSON = {"enabled": False}


def subscription(
    state: SandboxState,
    *,
    id: str | None = None,
    customer: str,
    items: Sequence[tuple[str, int]],
    created: int | None = None,
    status: str = "active",
    item_ids: Sequence[str] | None = None,
    default_payment_method: str | None = None,
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
    trial_start: int | None = None,
    trial_end: int | None = None,
    billing_cycle_anchor: int | None = None,
    cancel_at_period_end: bool = False,
    cancel_at: int | None = None,
    canceled_at: int | None = None,
    ended_at: int | None = None,
    cancellation_reason: str | None = None,
    cancellation_feedback: str | None = None,
    cancellation_comment: str | None = None,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    latest_invoice: str | None = None,
) -> JSON:
    """A subscription and its items (stored as ``subscription_item`` objects too, same dicts).

    ``items`` are ``(price_id, quantity)`` pairs. Each item's ``current_period_start/end`` is the
    period that contains now (for a canceled subscription: the last period before it ended;
    for a trial: the trial itself), computed from the billing cycle anchor (``created`` or the
    trial end) and the price's interval.
    """
    now = state.now()
    require(state, "customer", customer, "customer")
    ts = now if created is None else created
    if status == "trialing" and trial_end is None:
        raise ValueError("a trialing subscription needs trial_end")
    if trial_end is not None and trial_start is None:
        trial_start = ts
    anchor = billing_cycle_anchor or trial_end or ts
    canceled_at, ended_at = _cancellation_times(status, canceled_at, ended_at, now)
    sid = id or state.new_id("subscription")
    if item_ids is not None and len(item_ids) != len(items):
        raise ValueError("item_ids must name one id per item")
    if not items:
        raise ValueError("a subscription needs at least one item")
    period = _item_period(status, anchor, ts, now, trial_start, trial_end, ended_at)
    item_dicts = [
        _item(
            state,
            item_id=item_ids[n] if item_ids is not None else None,
            sub_id=sid,
            price_id=price_id,
            quantity=quantity,
            created=ts,
            period=period,
        )
        for n, (price_id, quantity) in enumerate(items)
    ]
    currencies = {item["price"]["currency"] for item in item_dicts}
    if len(currencies) != 1:
        raise ValueError(
            f"all items of a subscription share one currency, got {sorted(currencies)}"
        )
    sub = {
        "id": sid,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": _SUB_AUTOMATIC_TAX,
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": _BILLING_MODE,
        "billing_schedules": EMPTY,
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": cancellation_details(
            reason=cancellation_reason,
            feedback=cancellation_feedback,
            comment=cancellation_comment,
        ),
        "collection_method": collection_method,
        "created": ts,
        "currency": currencies.pop(),
        "customer": customer,
        "customer_account": None,
        "days_until_due": days_until_due,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": EMPTY,
        "description": description,
        "discounts": EMPTY,
        "ended_at": ended_at,
        "invoice_settings": _SUB_INVOICE_SETTINGS,
        "items": list_object(f"/v1/subscription_items?subscription={sid}", item_dicts),
        "latest_invoice": latest_invoice,
        "livemode": False,
        "managed_payments": _MANAGED_PAYMENTS_OFF,
        "metadata": dict(metadata or {}),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": _SUB_PAYMENT_SETTINGS,
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": ts,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": _SUB_TRIAL_SETTINGS,
        "trial_start": trial_start,
    }
    for item in item_dicts:
        state.add(item)
    return state.add(sub)


def cancellation_details(
    *, reason: str | None = None, feedback: str | None = None, comment: str | None = None
) -> JSON:
    """A subscription's ``cancellation_details`` (all null until it is canceled)."""
    return {"comment": comment, "feedback": feedback, "feedback_option": None, "reason": reason}


def _cancellation_times(
    status: str, canceled_at: int | None, ended_at: int | None, now: int
) -> tuple[int | None, int | None]:
    """A canceled subscription has ended (default: when canceled, else now) and was canceled."""
    if status == "canceled" and ended_at is None:
        ended_at = canceled_at or now
    if status == "canceled" and canceled_at is None:
        canceled_at = ended_at
    return canceled_at, ended_at


def _item_period(
    status: str,
    anchor: int,
    ts: int,
    now: int,
    trial_start: int | None,
    trial_end: int | None,
    ended_at: int | None,
) -> Callable[[JSON], tuple[int, int]]:
    """How an item's current period follows from its price's ``recurring``: the trial itself
    while trialing, else the anchored period containing now (for a canceled subscription: the
    last one before it ended)."""
    if status == "trialing" and trial_end is not None:
        trial = (trial_start or ts, trial_end)
        return lambda rec: trial
    at = (ended_at - 1) if (status == "canceled" and ended_at) else max(now, ts)
    return lambda rec: current_period(
        anchor=anchor, interval=rec["interval"], interval_count=rec["interval_count"], at=at
    )


def _item(
    state: SandboxState,
    *,
    item_id: str | None,
    sub_id: str,
    price_id: str,
    quantity: int,
    created: int,
    period: Callable[[JSON], tuple[int, int]],
) -> JSON:
    """One ``subscription_item`` (not stored yet) embedding its price; ``period`` gives its
    current period from the price's ``recurring``."""
    pr = require(state, "price", price_id, "price")
    if pr["recurring"] is None:
        raise ValueError(f"price {price_id!r} is one-time; subscriptions need recurring prices")
    if quantity < 0:
        raise ValueError(f"quantity must be ≥ 0, not {quantity}")
    start, end = period(pr["recurring"])
    return {
        "id": item_id or state.new_id("subscription_item"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": end,
        "current_period_start": start,
        "current_trial": None,
        "discounts": EMPTY,
        "metadata": {},
        "plan": plan_of(pr),
        "price": pr,
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": EMPTY,
    }
