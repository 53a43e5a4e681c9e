"""StripeObject (or its wire dict) → :mod:`billing_tui.core.model`. Nothing above the gateway sees
an SDK object.

Every function accepts a ``stripe.StripeObject`` or a plain wire-shaped dict (it is converted
with ``to_dict()`` first: a StripeObject is not a dict). Expandable fields may be an id or the
expanded object; :func:`ref_id` reads either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from billing_tui.core.model import (
    CardDetails,
    Charge,
    Customer,
    Dispute,
    Invoice,
    InvoiceLine,
    Money,
    Payment,
    PaymentMethod,
    PortalConfiguration,
    Price,
    Refund,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
    ts,
)
from billing_tui.core.open_enums import (
    CHARGE_STATUSES,
    DISPUTE_STATUSES,
    INVOICE_STATUSES,
    known_or_unknown,
)

JSON = Mapping[str, Any]
_EPOCH = datetime.fromtimestamp(0, tz=UTC)


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict from a StripeObject (recursively) or a mapping."""
    if obj is None:
        return {}
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"expected a Stripe object, got {type(obj).__name__}")


def ref_id(value: Any) -> str | None:
    """The id of an expandable field: an id string, an expanded object, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found else None
    found = getattr(value, "id", None)
    return str(found) if found else None


def _dt(value: Any) -> datetime | None:
    return ts(int(value)) if value is not None else None


def _created(data: JSON) -> datetime:
    return _dt(data.get("created")) or _EPOCH


def _meta(data: JSON) -> dict[str, str]:
    raw = data.get("metadata") or {}
    return {str(k): str(v) for k, v in raw.items()}


def _list_data(value: Any) -> list[dict[str, Any]]:
    """Items of an embedded list object (``{"object": "list", "data": [...]}``) or a list."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [dict(x) for x in value.get("data") or [] if isinstance(x, Mapping)]
    if isinstance(value, list):
        return [dict(x) for x in value if isinstance(x, Mapping)]
    return []


def _money(amount: Any, currency: str) -> Money:
    return Money(int(amount or 0), currency)


def _card(raw: Any) -> CardDetails | None:
    if not isinstance(raw, Mapping):
        return None
    brand = raw.get("brand") or raw.get("display_brand")
    last4 = raw.get("last4")
    if not brand or not last4 or raw.get("exp_month") is None or raw.get("exp_year") is None:
        return None
    return CardDetails(
        brand=str(brand),
        last4=str(last4),
        exp_month=int(raw["exp_month"]),
        exp_year=int(raw["exp_year"]),
        fingerprint=raw.get("fingerprint"),
    )


# --------------------------------------------------------------------------- customers


def customer(obj: Any) -> Customer:
    data = as_dict(obj)
    if data.get("deleted"):
        return Customer(
            id=str(data["id"]), email=None, name=None, created=_created(data), deleted=True
        )
    settings = data.get("invoice_settings") or {}
    return Customer(
        id=str(data["id"]),
        email=data.get("email"),
        name=data.get("name"),
        created=_created(data),
        livemode=bool(data.get("livemode", False)),
        metadata=_meta(data),
        balance=int(data.get("balance") or 0),
        currency=data.get("currency"),
        preferred_locales=tuple(data.get("preferred_locales") or ()),
        default_payment_method_id=ref_id(settings.get("default_payment_method")),
        delinquent=bool(data.get("delinquent", False)),
    )


def payment_method(obj: Any) -> PaymentMethod:
    data = as_dict(obj)
    return PaymentMethod(
        id=str(data["id"]),
        type=str(data.get("type") or "card"),
        customer_id=ref_id(data.get("customer")),
        created=_created(data),
        card=_card(data.get("card")),
    )


# --------------------------------------------------------------------------- subscriptions


def price(obj: Any, product_names: Mapping[str, str] | None = None) -> Price:
    data = as_dict(obj)
    product = data.get("product")
    product_id = ref_id(product) or ""
    name: str | None = None
    if isinstance(product, Mapping):
        name = product.get("name")
    if not name and product_names:
        name = product_names.get(product_id)
    recurring = data.get("recurring") or {}
    return Price(
        id=str(data["id"]),
        product_id=product_id,
        product_name=str(name or product_id),
        currency=str(data.get("currency") or "usd"),
        unit_amount=None if data.get("unit_amount") is None else int(data["unit_amount"]),
        interval=recurring.get("interval"),
        interval_count=int(recurring.get("interval_count") or 1),
        nickname=data.get("nickname"),
        lookup_key=data.get("lookup_key"),
    )


def subscription(obj: Any, product_names: Mapping[str, str] | None = None) -> Subscription:
    data = as_dict(obj)
    items: list[SubscriptionItem] = []
    for item in _list_data(data.get("items")):
        start = _dt(item.get("current_period_start")) or _EPOCH
        end = _dt(item.get("current_period_end")) or _EPOCH
        quantity = item.get("quantity")
        items.append(
            SubscriptionItem(
                id=str(item["id"]),
                price=price(item.get("price") or {}, product_names),
                quantity=None if quantity is None else int(quantity),
                current_period_start=start,
                current_period_end=end,
            )
        )
    details = data.get("cancellation_details") or {}
    status, status_value = SubscriptionStatus.read(data.get("status"))
    return Subscription(
        id=str(data["id"]),
        customer_id=ref_id(data.get("customer")) or "",
        status=status,
        status_value=status_value,
        items=tuple(items),
        created=_created(data),
        currency=str(data.get("currency") or (items[0].price.currency if items else "usd")),
        livemode=bool(data.get("livemode", False)),
        start_date=_dt(data.get("start_date")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end", False)),
        cancel_at=_dt(data.get("cancel_at")),
        canceled_at=_dt(data.get("canceled_at")),
        ended_at=_dt(data.get("ended_at")),
        cancellation_reason=details.get("reason"),
        cancellation_comment=details.get("comment"),
        trial_start=_dt(data.get("trial_start")),
        trial_end=_dt(data.get("trial_end")),
        default_payment_method_id=ref_id(data.get("default_payment_method")),
        latest_invoice_id=ref_id(data.get("latest_invoice")),
        collection_method=str(data.get("collection_method") or "charge_automatically"),
        metadata=_meta(data),
    )


# --------------------------------------------------------------------------- invoices


def _line_parent(line: JSON) -> tuple[bool, str | None]:
    """``(proration, subscription_id)`` from a line's ``parent`` (either detail type)."""
    parent = line.get("parent") or {}
    kind = parent.get("type")
    details = parent.get(kind) if isinstance(kind, str) else None
    if not isinstance(details, Mapping):
        details = parent.get("subscription_item_details") or parent.get("invoice_item_details")
    if not isinstance(details, Mapping):
        return False, ref_id(line.get("subscription"))
    sub = ref_id(details.get("subscription")) or ref_id(line.get("subscription"))
    return bool(details.get("proration", False)), sub


def invoice_line(raw: JSON, currency: str) -> InvoiceLine:
    proration, sub_id = _line_parent(raw)
    period = raw.get("period") or {}
    pricing = raw.get("pricing") or {}
    price_details = pricing.get("price_details") or {}
    quantity = raw.get("quantity")
    return InvoiceLine(
        id=str(raw.get("id") or ""),
        amount=_money(raw.get("amount"), str(raw.get("currency") or currency)),
        description=raw.get("description"),
        period_start=_dt(period.get("start")),
        period_end=_dt(period.get("end")),
        proration=proration,
        subscription_id=sub_id,
        price_id=ref_id(price_details.get("price")) or ref_id(raw.get("price")),
        quantity=None if quantity is None else int(quantity),
    )


def invoice_payment(obj: Any) -> Payment:
    data = as_dict(obj)
    currency = str(data.get("currency") or "usd")
    payment = data.get("payment") or {}
    paid = data.get("amount_paid")
    return Payment(
        id=str(data["id"]),
        invoice_id=ref_id(data.get("invoice")) or "",
        amount_requested=_money(data.get("amount_requested"), currency),
        amount_paid=None if paid is None else _money(paid, currency),
        status=str(data.get("status") or "open"),
        created=_created(data),
        payment_intent_id=ref_id(payment.get("payment_intent")),
        charge_id=ref_id(payment.get("charge")),
        is_default=bool(data.get("is_default", True)),
    )


def invoice_subscription_id(data: JSON) -> str | None:
    """The subscription an invoice bills: ``parent.subscription_details.subscription``
    (the top-level ``subscription`` is gone since basil), else its lines' parents."""
    parent = data.get("parent") or {}
    details = parent.get("subscription_details") or {}
    found = ref_id(details.get("subscription"))
    if found:
        return found
    for line in _list_data(data.get("lines")):
        _, sub = _line_parent(line)
        if sub:
            return sub
    return ref_id(data.get("subscription"))


def invoice(obj: Any, payments: list[Any] | None = None) -> Invoice:
    """An invoice; ``payments`` (InvoicePayment objects) overrides an embedded ``payments``."""
    data = as_dict(obj)
    currency = str(data.get("currency") or "usd")
    raw_payments = (
        [as_dict(p) for p in payments] if payments is not None else _list_data(data.get("payments"))
    )
    transitions = data.get("status_transitions") or {}
    return Invoice(
        id=str(data["id"]),
        customer_id=ref_id(data.get("customer")) or "",
        status=known_or_unknown(str(data.get("status") or "draft"), INVOICE_STATUSES),
        total=_money(data.get("total"), currency),
        amount_due=_money(data.get("amount_due"), currency),
        amount_paid=_money(data.get("amount_paid"), currency),
        amount_remaining=_money(data.get("amount_remaining"), currency),
        created=_created(data),
        livemode=bool(data.get("livemode", False)),
        number=data.get("number"),
        subscription_id=invoice_subscription_id(data),
        billing_reason=data.get("billing_reason"),
        attempt_count=int(data.get("attempt_count") or 0),
        next_payment_attempt=_dt(data.get("next_payment_attempt")),
        hosted_invoice_url=data.get("hosted_invoice_url"),
        period_start=_dt(data.get("period_start")),
        period_end=_dt(data.get("period_end")),
        paid_at=_dt(transitions.get("paid_at")),
        lines=tuple(invoice_line(line, currency) for line in _list_data(data.get("lines"))),
        payments=tuple(invoice_payment(p) for p in raw_payments),
    )


def invoice_has_payments(obj: Any) -> bool:
    """Whether the ``payments`` include was honoured (the list object is present)."""
    return isinstance(as_dict(obj).get("payments"), Mapping)


# --------------------------------------------------------------------------- payments


def refund(obj: Any) -> Refund:
    data = as_dict(obj)
    return Refund(
        id=str(data["id"]),
        charge_id=ref_id(data.get("charge")),
        amount=_money(data.get("amount"), str(data.get("currency") or "usd")),
        status=str(data.get("status") or "pending"),
        created=_created(data),
        reason=data.get("reason"),
        payment_intent_id=ref_id(data.get("payment_intent")),
        metadata=_meta(data),
    )


def charge_has_refunds(obj: Any) -> bool:
    """Whether the ``refunds`` expansion was honoured (the list object is present)."""
    return isinstance(as_dict(obj).get("refunds"), Mapping)


def charge(obj: Any, refunds: list[Any] | None = None) -> Charge:
    """A charge; ``refunds`` (Refund objects, listed when a server ignored the expansion)
    overrides an embedded ``refunds`` list."""
    data = as_dict(obj)
    raw_refunds = (
        [as_dict(r) for r in refunds] if refunds is not None else _list_data(data.get("refunds"))
    )
    currency = str(data.get("currency") or "usd")
    details = data.get("payment_method_details") or {}
    amount = int(data.get("amount") or 0)
    captured = data.get("amount_captured")
    if captured is None:
        captured = amount if data.get("captured", True) else 0
    return Charge(
        id=str(data["id"]),
        customer_id=ref_id(data.get("customer")),
        amount=Money(amount, currency),
        amount_captured=_money(captured, currency),
        amount_refunded=_money(data.get("amount_refunded"), currency),
        status=known_or_unknown(str(data.get("status") or "pending"), CHARGE_STATUSES),
        created=_created(data),
        livemode=bool(data.get("livemode", False)),
        paid=bool(data.get("paid", False)),
        refunded=bool(data.get("refunded", False)),
        disputed=bool(data.get("disputed", False)),
        payment_intent_id=ref_id(data.get("payment_intent")),
        payment_method_id=ref_id(data.get("payment_method")),
        card=_card(details.get("card")) if isinstance(details, Mapping) else None,
        description=data.get("description"),
        failure_code=data.get("failure_code"),
        failure_message=data.get("failure_message"),
        receipt_url=data.get("receipt_url"),
        refunds=tuple(refund(r) for r in raw_refunds),
    )


def dispute(obj: Any) -> Dispute:
    data = as_dict(obj)
    evidence = data.get("evidence_details") or {}
    return Dispute(
        id=str(data["id"]),
        charge_id=ref_id(data.get("charge")) or "",
        amount=_money(data.get("amount"), str(data.get("currency") or "usd")),
        status=known_or_unknown(str(data.get("status") or "needs_response"), DISPUTE_STATUSES),
        reason=str(data.get("reason") or "general"),
        created=_created(data),
        is_charge_refundable=bool(data.get("is_charge_refundable", False)),
        evidence_due_by=_dt(evidence.get("due_by")),
        payment_intent_id=ref_id(data.get("payment_intent")),
    )


# --------------------------------------------------------------------------- portal


def portal_configuration(obj: Any) -> PortalConfiguration:
    data = as_dict(obj)
    features = data.get("features") or {}

    def feature(name: str) -> Mapping[str, Any]:
        value = features.get(name)
        return value if isinstance(value, Mapping) else {}

    cancel = feature("subscription_cancel")
    update = feature("subscription_update")
    prices: list[str] = []
    for product in update.get("products") or []:
        if isinstance(product, Mapping):
            prices.extend(str(p) for p in product.get("prices") or [])
    login = data.get("login_page") or {}
    return PortalConfiguration(
        id=str(data["id"]),
        active=bool(data.get("active", False)),
        is_default=bool(data.get("is_default", False)),
        livemode=bool(data.get("livemode", False)),
        login_page_enabled=bool(login.get("enabled", False)),
        customer_update_enabled=bool(feature("customer_update").get("enabled", False)),
        invoice_history_enabled=bool(feature("invoice_history").get("enabled", False)),
        payment_method_update_enabled=bool(feature("payment_method_update").get("enabled", False)),
        cancel_enabled=bool(cancel.get("enabled", False)),
        cancel_mode=cancel.get("mode"),
        cancel_reasons_enabled=bool((cancel.get("cancellation_reason") or {}).get("enabled")),
        update_enabled=bool(update.get("enabled", False)),
        update_allowed=tuple(str(u) for u in update.get("default_allowed_updates") or ()),
        update_prices=tuple(prices),
        update_proration_behavior=update.get("proration_behavior"),
        pause_enabled=bool(feature("subscription_pause").get("enabled", False)),
        default_return_url=data.get("default_return_url"),
    )


def applicable_portal(
    configurations: list[PortalConfiguration],
    customer_metadata: Mapping[str, str] | None,
    metadata_key: str,
) -> PortalConfiguration | None:
    """docs/anomalies.md "Which portal configuration applies": the one named in the customer's
    metadata when it exists and is active, else the active default; None → ``portal_missing``."""
    named = (customer_metadata or {}).get(metadata_key)
    if named:
        for config in configurations:
            if config.id == named and config.active:
                return config
    for config in configurations:
        if config.is_default and config.active:
            return config
    return None
