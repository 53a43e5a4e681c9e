"""Reading the state: Stripe's list order (newest first) and cached lookups by reference field.

Views are rebuilt lazily when a bucket changes (``state.revisions``, bumped by ``state.add``)
or when the engine calls :meth:`Query.invalidate` after mutating an object in place.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any

from billing_tui.sandbox.state import JSON, SandboxState


def sort_key(obj: JSON) -> tuple[int, str]:
    return (int(obj.get("created") or 0), str(obj.get("id", "")))


def newest_first(objs: Iterable[JSON]) -> list[JSON]:
    return sorted(objs, key=sort_key, reverse=True)


def dig(obj: Any, path: str) -> Any:
    """``dig(invoice, "parent.subscription_details.subscription")``; None when absent."""
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def ref(value: Any) -> Any:
    """The id of a reference that may be an id or an (embedded) object."""
    if isinstance(value, dict):
        return value.get("id")
    return value


#: How "which subscription" is found on objects that point at one.
def invoice_subscription(invoice: JSON) -> str | None:
    sub = ref(dig(invoice, "parent.subscription_details.subscription"))
    if sub is None:
        sub = ref(invoice.get("subscription"))
    return sub if isinstance(sub, str) else None


def invoice_payment_intent(payment: JSON) -> str | None:
    value = ref(dig(payment, "payment.payment_intent"))
    return value if isinstance(value, str) else None


_GETTERS: dict[str, Callable[[JSON], Any]] = {
    "invoice.subscription": invoice_subscription,
    "invoice_payment.payment_intent": invoice_payment_intent,
}


class Query:
    """Ordered views and field indexes over one state."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._ordered: dict[str, tuple[tuple[int, int], list[JSON]]] = {}
        self._positions: dict[str, tuple[tuple[int, int], dict[str, int]]] = {}
        self._created: dict[str, tuple[tuple[int, int], list[int]]] = {}
        self._indexes: dict[tuple[str, str], tuple[tuple[int, int], dict[Any, list[JSON]]]] = {}

    def invalidate(self, kind: str | None = None) -> None:
        if kind is None:
            self._ordered.clear()
            self._positions.clear()
            self._created.clear()
            self._indexes.clear()
            return
        self._ordered.pop(kind, None)
        self._positions.pop(kind, None)
        self._created.pop(kind, None)
        for key in [k for k in self._indexes if k[0] == kind]:
            del self._indexes[key]

    def _size(self, kind: str) -> tuple[int, int]:
        return (len(self.state.objects.get(kind, {})), self.state.revisions.get(kind, 0))

    def ordered(self, kind: str) -> list[JSON]:
        """Every object of a kind, newest first (deleted customers excluded)."""
        size = self._size(kind)
        cached = self._ordered.get(kind)
        if cached is None or cached[0] != size:
            objs = [o for o in self.state.objects.get(kind, {}).values() if not o.get("deleted")]
            cached = (size, newest_first(objs))
            self._ordered[kind] = cached
        return cached[1]

    def position(self, kind: str, obj_id: str) -> int | None:
        """Where an object sits in :meth:`ordered` (for cursors), or None."""
        size = self._size(kind)
        cached = self._positions.get(kind)
        if cached is None or cached[0] != size:
            ordered = self.ordered(kind)
            cached = (size, {str(o.get("id")): i for i, o in enumerate(ordered)})
            self._positions[kind] = cached
        return cached[1].get(obj_id)

    def created_range(self, kind: str, bounds: tuple[int | None, int | None]) -> tuple[int, int]:
        """The slice of :meth:`ordered` whose ``created`` lies in the inclusive bounds."""
        size = self._size(kind)
        cached = self._created.get(kind)
        if cached is None or cached[0] != size:
            cached = (size, [-int(o.get("created") or 0) for o in self.ordered(kind)])
            self._created[kind] = cached
        keys = cached[1]
        low, high = bounds
        start = bisect.bisect_left(keys, -high) if high is not None else 0
        end = bisect.bisect_right(keys, -low) if low is not None else len(keys)
        return start, max(start, end)

    def by(self, kind: str, field: str, value: Any) -> list[JSON]:
        """Objects of ``kind`` whose ``field`` (a reference, possibly embedded) equals value,
        newest first."""
        size = self._size(kind)
        key = (kind, field)
        cached = self._indexes.get(key)
        if cached is None or cached[0] != size:
            getter = _GETTERS.get(f"{kind}.{field}") or (lambda o: ref(dig(o, field)))
            index: dict[Any, list[JSON]] = {}
            for obj in self.ordered(kind):
                index.setdefault(getter(obj), []).append(obj)
            cached = (size, index)
            self._indexes[key] = cached
        return cached[1].get(value, [])

    def find_subscription_item(self, item_id: str) -> tuple[JSON | None, JSON | None]:
        """(item, subscription): items live inside their subscription's ``items`` list."""
        standalone = self.state.get("subscription_item", item_id)
        sub_id = standalone.get("subscription") if standalone else None
        candidates: Iterable[JSON]
        if isinstance(sub_id, str) and self.state.get("subscription", sub_id) is not None:
            candidates = [self.state.objects["subscription"][sub_id]]
        else:
            candidates = self.state.objects.get("subscription", {}).values()
        for sub in candidates:
            for item in dig(sub, "items.data") or []:
                if item.get("id") == item_id:
                    return item, sub
        return standalone, None

    def subscription_items(self, sub: JSON) -> list[JSON]:
        items: list[JSON] = list(dig(sub, "items.data") or [])
        seen = {i.get("id") for i in items}
        for extra in self.by("subscription_item", "subscription", sub["id"]):
            if extra.get("id") not in seen:
                items.append(extra)
        return items

    def invoice_lines(self, invoice: JSON) -> list[JSON]:
        lines: list[JSON] = list(dig(invoice, "lines.data") or [])
        seen = {line.get("id") for line in lines}
        for extra in reversed(self.by("line_item", "invoice", invoice["id"])):
            if extra.get("id") not in seen:
                lines.append(extra)
        return lines
