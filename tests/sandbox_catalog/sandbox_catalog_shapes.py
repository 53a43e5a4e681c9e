"""Checks an emitted object's keys against Stripe's fixture example and the SDK's classes.

Every key of a sandbox object must exist on ``fixtures3.json``'s example of that resource at the
same path, or be an attribute of the matching (nested) stripe-python 16.1.0 resource class.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import stripe
from stripe._stripe_object import StripeObject

FIXTURES = Path("/work/shared/stripe-reference/fixtures3.json")

#: Object type -> SDK resource class.
SDK_CLASSES: dict[str, type[StripeObject]] = {
    "customer": stripe.Customer,
    "product": stripe.Product,
    "price": stripe.Price,
    "subscription": stripe.Subscription,
    "subscription_item": stripe.SubscriptionItem,
    "invoice": stripe.Invoice,
    "line_item": stripe.InvoiceLineItem,
    "invoice_payment": stripe.InvoicePayment,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "payment_method": stripe.PaymentMethod,
    "billing_portal.configuration": stripe.billing_portal.Configuration,
}

_LIST_KEYS = frozenset({"object", "data", "has_more", "url"})
#: Free-form maps whose keys are data, not schema.
_FREE_FORM = frozenset({"metadata"})


@cache
def fixtures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return data


def _stripe_classes(annotation: Any) -> Iterator[type[StripeObject]]:
    """The StripeObject classes named anywhere inside a type annotation."""
    if isinstance(annotation, str):
        found = getattr(stripe, annotation, None)
        if isinstance(found, type) and issubclass(found, StripeObject):
            yield found
        return
    if isinstance(annotation, typing.ForwardRef):
        yield from _stripe_classes(annotation.__forward_arg__)
        return
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _stripe_classes(arg)


@cache
def _annotations(cls: type | None) -> dict[str, Any]:
    if cls is None:
        return {}
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        merged.update(getattr(klass, "__annotations__", {}))
    return merged


@cache
def _child_class(cls: type | None, key: str) -> type | None:
    ann = _annotations(cls).get(key)
    if ann is None:
        return None
    return next(iter(_stripe_classes(ann)), None)


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def unknown_keys(kind: str, obj: dict[str, Any]) -> list[str]:
    """Paths of keys in ``obj`` that neither the fixture nor the SDK knows."""
    problems: list[str] = []
    _walk(obj, fixtures().get(kind), SDK_CLASSES.get(kind), kind, problems)
    return problems


def _walk(node: Any, example: Any, cls: type | None, path: str, problems: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, _first(example), cls, path + "[]", problems)
        return
    if not isinstance(node, dict):
        return
    is_list_object = node.get("object") == "list" and "data" in node
    for key, value in node.items():
        here = f"{path}.{key}"
        in_example = isinstance(example, dict) and key in example
        in_sdk = key in _annotations(cls)
        if is_list_object and key in _LIST_KEYS:
            in_example = True
        if not (in_example or in_sdk):
            problems.append(here)
            continue
        if key in _FREE_FORM or value is None:
            continue
        child_example = example.get(key) if isinstance(example, dict) else None
        if is_list_object and key == "data":
            child_cls = cls
            child_example = example.get("data") if isinstance(example, dict) else None
        else:
            child_cls = _child_class(cls, key)
        if isinstance(value, dict) and value.get("object") == "list":
            # The SDK annotates lists as ListObject[Item]: items are checked against Item.
            _walk(value, child_example, child_cls, here, problems)
            continue
        if isinstance(value, (dict, list)):
            if child_example is None and child_cls is None and _has_dicts(value):
                problems.append(here + " (no reference shape)")
                continue
            _walk(value, child_example, child_cls, here, problems)


def _has_dicts(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    return any(isinstance(v, dict) for v in value)
