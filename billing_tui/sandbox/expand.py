"""Rendering stored objects for a response: copies, ``livemode``, ``expand[]`` and includables.

Stored objects are unexpanded (references are ids). A response is a deep copy whose
``livemode`` follows the caller's key, with the requested paths expanded — top-level
(``customer``), on lists (``data.customer``), nested (``latest_invoice.payments``,
``data.payment.payment_intent``) — up to Stripe's four levels. Includable fields
(``charge.refunds``, ``invoice.payments``, ``customer.subscriptions``) are absent unless
expanded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing_tui.sandbox.query import Query, dig
from billing_tui.sandbox.resources.lists import list_object
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError, bad_param

#: Expandable reference fields per object type: dotted path -> object type stored there
#: (``None``: whatever object has that id).
EXPANDABLE: dict[str, dict[str, str | None]] = {
    "customer": {
        "invoice_settings.default_payment_method": "payment_method",
        "default_source": None,
        "test_clock": None,
    },
    "subscription": {
        "customer": "customer",
        "latest_invoice": "invoice",
        "default_payment_method": "payment_method",
        "default_source": None,
        "schedule": None,
        "pending_setup_intent": None,
        "on_behalf_of": None,
        "test_clock": None,
    },
    "subscription_item": {},
    "price": {"product": "product"},
    "plan": {"product": "product"},
    "product": {"default_price": "price"},
    "invoice": {
        "customer": "customer",
        "default_payment_method": "payment_method",
        "default_source": None,
        "parent.subscription_details.subscription": "subscription",
        "subscription": "subscription",
        "latest_revision": "invoice",
        "on_behalf_of": None,
        "test_clock": None,
    },
    "line_item": {
        "subscription": "subscription",
        "parent.subscription_item_details.subscription": "subscription",
        "parent.invoice_item_details.subscription": "subscription",
    },
    "invoice_payment": {
        "invoice": "invoice",
        "payment.payment_intent": "payment_intent",
        "payment.charge": "charge",
    },
    "payment_intent": {
        "customer": "customer",
        "latest_charge": "charge",
        "payment_method": "payment_method",
        "on_behalf_of": None,
        "review": None,
    },
    "charge": {
        "customer": "customer",
        "payment_intent": "payment_intent",
        "balance_transaction": None,
        "failure_balance_transaction": None,
        "review": None,
        "on_behalf_of": None,
        "application_fee": None,
        "source_transfer": None,
        "transfer": None,
    },
    "refund": {
        "charge": "charge",
        "payment_intent": "payment_intent",
        "balance_transaction": None,
        "failure_balance_transaction": None,
    },
    "dispute": {"charge": "charge", "payment_intent": "payment_intent"},
    "payment_method": {"customer": "customer"},
    "billing_portal.session": {"configuration": "billing_portal.configuration"},
    "billing_portal.configuration": {"application": None},
    "invoiceitem": {
        "customer": "customer",
        "invoice": "invoice",
        "subscription": "subscription",
    },
}

#: Fields absent unless expanded: type -> field -> the list's URL for that object.
INCLUDABLE: dict[str, dict[str, str]] = {
    "charge": {"refunds": "/v1/charges/{id}/refunds"},
    "invoice": {"payments": "/v1/invoice_payments?invoice={id}"},
    "customer": {"subscriptions": "/v1/customers/{id}/subscriptions"},
}

#: How many items an included list embeds (the rest is behind ``has_more``).
INCLUDED_LIMIT = 10
MAX_DEPTH = 4


def cannot_expand(path: str) -> ApiError:
    return ApiError(400, f"This property cannot be expanded ({path}).", cacheable=False)


def parse_expand(value: Any) -> list[list[str]]:
    """``expand[]`` / ``expand[0]`` / ``expand=x`` -> split paths, validated for depth."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        raw = [value]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        raw = list(value)
    else:
        raise bad_param("expand", "Invalid array: expand must be an array of strings")
    paths: list[list[str]] = []
    for text in raw:
        segs = text.split(".")
        if any(not s for s in segs):
            raise cannot_expand(text)
        if len([s for s in segs if s != "data"]) > MAX_DEPTH:
            raise ApiError(
                400,
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {text}",
                param="expand",
                cacheable=False,
            )
        paths.append(segs)
    return sorted(paths, key=len)


class Renderer:
    """Renders objects of one state for one caller (``livemode`` follows the key)."""

    def __init__(
        self,
        query: Query,
        livemode: bool,
        includable_source: Callable[[str, str, JSON], list[JSON]],
    ) -> None:
        self.query = query
        self.state = query.state
        self.livemode = livemode
        self._includable_source = includable_source

    # -- copying ------------------------------------------------------------------

    def copy(self, value: Any) -> Any:
        """Deep copy, setting every ``livemode`` to the caller's mode."""
        if isinstance(value, dict):
            out = {k: self.copy(v) for k, v in value.items()}
            if "livemode" in out:
                out["livemode"] = self.livemode
            return out
        if isinstance(value, list):
            return [self.copy(v) for v in value]
        return value

    def bare(self, obj: JSON) -> JSON:
        """A response copy of a stored object without its includable fields."""
        hidden = INCLUDABLE.get(str(obj.get("object")), {})
        out: JSON = {k: self.copy(v) for k, v in obj.items() if k not in hidden}
        if "livemode" in out:
            out["livemode"] = self.livemode
        return out

    def render(self, obj: JSON, paths: list[list[str]]) -> JSON:
        out = self.bare(obj)
        for segs in paths:
            self.apply(out, segs)
        return out

    def apply(self, node: JSON, segs: list[str]) -> None:
        """Expand one path inside an already rendered response node."""
        self._apply(node, segs, 0, ".".join(segs))

    # -- expansion ----------------------------------------------------------------

    def _apply(self, node: JSON, segs: list[str], pos: int, full: str) -> None:
        if pos >= len(segs):
            return
        kind = str(node.get("object"))
        if kind in ("list", "search_result"):
            self._apply_items(node, segs, pos, full)
            return
        field = segs[pos]
        if field in INCLUDABLE.get(kind, {}):
            current = node.get(field)
            if not (isinstance(current, dict) and current.get("object") == "list"):
                node[field] = self._included_list(kind, field, node)
            self._apply(node[field], segs, pos + 1, full)
            return
        if self._apply_expandable(node, kind, segs, pos, full):
            return
        child = node.get(field)
        if isinstance(child, dict) and "object" in child and pos + 1 < len(segs):
            self._apply(child, segs, pos + 1, full)
            return
        raise cannot_expand(full)

    def _apply_items(self, node: JSON, segs: list[str], pos: int, full: str) -> None:
        """``data.<path>`` inside a list: expand the path in every item."""
        if segs[pos] != "data" or pos + 1 >= len(segs):
            raise cannot_expand(full)
        for item in node.get("data") or []:
            if isinstance(item, dict):
                self._apply(item, segs, pos + 1, full)

    def _apply_expandable(
        self, node: JSON, kind: str, segs: list[str], pos: int, full: str
    ) -> bool:
        """Replace the id at an expandable (possibly dotted) field by its object, then go on
        inside it; False when no expandable field of ``kind`` starts at ``segs[pos]``."""
        expandable = EXPANDABLE.get(kind, {})
        for dotted in sorted(expandable, key=lambda d: -d.count(".")):
            parts = dotted.split(".")
            if segs[pos : pos + len(parts)] != parts:
                continue
            parent = _walk(node, parts[:-1])
            if parent is None:
                return True
            last = parts[-1]
            value = parent.get(last)
            if isinstance(value, str):
                target = self._lookup(expandable[dotted], value)
                if target is None:
                    return True
                parent[last] = self.bare(target)
                value = parent[last]
            if isinstance(value, dict):
                self._apply(value, segs, pos + len(parts), full)
            return True
        return False

    def _lookup(self, kind: str | None, obj_id: str) -> JSON | None:
        if kind == "subscription_item":
            return self.query.find_subscription_item(obj_id)[0]
        if kind is not None:
            return self.state.get(kind, obj_id)
        return self.state.find(obj_id)

    def _included_list(self, kind: str, field: str, node: JSON) -> JSON:
        obj_id = str(node.get("id"))
        stored = self.state.get(kind, obj_id) or node
        items = self._includable_source(kind, field, stored)
        return list_object(
            INCLUDABLE[kind][field].format(id=obj_id),
            [self.bare(i) for i in items[:INCLUDED_LIMIT]],
            len(items) > INCLUDED_LIMIT,
        )


def _walk(node: JSON, parts: list[str]) -> JSON | None:
    """The dict at ``parts`` below ``node`` (None when a step is not a dict)."""
    for part in parts:
        child = node.get(part)
        if not isinstance(child, dict):
            return None
        node = child
    return node


def includable_items(query: Query) -> Callable[[str, str, JSON], list[JSON]]:
    """The objects behind each includable field, newest first."""

    def source(kind: str, field: str, obj: JSON) -> list[JSON]:
        if kind == "charge" and field == "refunds":
            return query.by("refund", "charge", obj["id"])
        if kind == "invoice" and field == "payments":
            return query.by("invoice_payment", "invoice", obj["id"])
        if kind == "customer" and field == "subscriptions":
            return [
                s
                for s in query.by("subscription", "customer", obj["id"])
                if s.get("status") != "canceled"
            ]
        return []

    return source


__all__ = ["EXPANDABLE", "INCLUDABLE", "Renderer", "dig", "includable_items", "parse_expand"]
