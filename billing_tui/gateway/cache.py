"""The gateway's ONE cache: what a session remembers between requests, in one object.

Everything the gateway keeps from one call to the next lives in a :class:`GatewayCache` owned by
the :class:`~billing_tui.gateway.core.Gateway` and shared by all its parts; nothing else holds
state. What it remembers, and why each is safe to remember:

- **the prefetched snapshot**: ``resolve()`` of an id loads the customer's snapshot alongside;
  the next ``snapshot()`` of the same customers within :data:`PREFETCH_SECONDS` takes it, once.
- **customer creation times**: bound how far back a customer's long lists are sharded.
- **product names** (a price carries only the product id; names rarely change), and whether
  the first page of products was listed already.
- **the account's portal configurations** (unless turned off with ``portal=False``).

:meth:`GatewayCache.invalidate` runs before every write: a snapshot read before a change is
stale after it. A portal configuration update also forgets the configurations.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from billing_tui.core.model import Customer, CustomerSnapshot, PortalConfiguration

#: How long a snapshot loaded by ``resolve()`` may stand in for the ``snapshot()`` that
#: follows it (an operator opening the customer they just looked up).
PREFETCH_SECONDS = 10.0


class GatewayCache:
    """``GatewayCache(*, portal=True, prefetch=True)``: see the module docstring."""

    def __init__(self, *, portal: bool = True, prefetch: bool = True) -> None:
        self.portal_enabled = portal
        self.prefetch_enabled = prefetch
        self._portal: tuple[PortalConfiguration, ...] | None = None
        self._product_names: dict[str, str] = {}
        self._products_listed = False
        self._customer_created: dict[str, int] = {}
        self._prefetched: tuple[frozenset[str], float, CustomerSnapshot] | None = None

    def __repr__(self) -> str:
        return (
            f"GatewayCache(products={len(self._product_names)}, "
            f"customers={len(self._customer_created)}, portal={self._portal is not None}, "
            f"prefetched={self._prefetched is not None})"
        )

    # ------------------------------------------------------------------ writes

    def invalidate(self) -> None:
        """A write is about to happen: drop what it would make stale (the prefetched snapshot)."""
        self._prefetched = None

    # ------------------------------------------------------------------ prefetched snapshot

    def remember_snapshot(self, snapshot: CustomerSnapshot) -> None:
        """Keep ``snapshot`` for the next ``snapshot()`` of the same customers."""
        self._prefetched = (frozenset(snapshot.customer_ids), time.monotonic(), snapshot)

    def take_snapshot(self, ids: Sequence[str]) -> CustomerSnapshot | None:
        """The prefetched snapshot of exactly ``ids`` if still fresh; it is taken only once."""
        cached, self._prefetched = self._prefetched, None
        if cached is None:
            return None
        key, at, snapshot = cached
        if key != frozenset(ids) or time.monotonic() - at > PREFETCH_SECONDS:
            return None
        return snapshot

    # ------------------------------------------------------------------ customers

    def remember_customers(self, customers: Iterable[Customer]) -> None:
        for customer in customers:
            self._customer_created[customer.id] = int(customer.created.timestamp())

    def customer_since(self, customer_id: str) -> int | None:
        """When the customer was created (unix seconds), if seen: nothing of theirs is older."""
        return self._customer_created.get(customer_id)

    # ------------------------------------------------------------------ products

    @property
    def product_names(self) -> Mapping[str, str]:
        """Product id → name, as far as seen (what :mod:`convert` names prices with)."""
        return self._product_names

    def knows_product(self, product_id: str) -> bool:
        return product_id in self._product_names

    def remember_product(self, product_id: str, name: str) -> None:
        self._product_names[product_id] = name

    def remember_products(self, products: Iterable[Any]) -> None:
        """Names from raw product objects (``id``, ``name``; a nameless one is its id)."""
        for product in products:
            pid = str(product["id"])
            self._product_names[pid] = str(product.get("name") or pid)

    @property
    def products_listed(self) -> bool:
        """The first page of the account's products was read already."""
        return self._products_listed

    def mark_products_listed(self) -> None:
        self._products_listed = True

    # ------------------------------------------------------------------ portal

    @property
    def portal_configurations(self) -> tuple[PortalConfiguration, ...] | None:
        """The account's portal configurations, once read (None: not read yet)."""
        return self._portal

    def needs_portal(self) -> bool:
        """Whether the next snapshot must read the portal configurations."""
        return self._portal is None or not self.portal_enabled

    def remember_portal(self, configurations: Iterable[PortalConfiguration]) -> None:
        self._portal = tuple(configurations)

    def forget_portal(self) -> None:
        """Drop the portal configurations (the next snapshot re-reads them), and with them the
        prefetched snapshot that carries the old ones."""
        self._portal = None
        self.invalidate()
