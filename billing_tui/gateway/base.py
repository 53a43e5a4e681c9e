"""State shared by the gateway's parts: the client, settings and per-session caches."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import stripe

from billing_tui.core.model import Customer, CustomerSnapshot, PortalConfiguration
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.gateway.client import Operation

#: How long a snapshot loaded by ``resolve()`` may stand in for the ``snapshot()`` that
#: follows it (an operator opening the customer they just looked up).
PREFETCH_SECONDS = 10.0


class GatewayBase:
    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        settings: Settings = DEFAULT_SETTINGS,
        portal_cache: bool = True,
        prefetch: bool = True,
    ) -> None:
        self._client = client
        self._settings = settings
        self._portal_cache_enabled = portal_cache
        #: The account's portal configurations, once read (None: not read yet).
        self._portal_configs: tuple[PortalConfiguration, ...] | None = None
        #: Product id -> name, filled as products are read (names rarely change).
        self._product_names: dict[str, str] = {}
        self._products_listed = False
        #: ``resolve()`` of an id loads the snapshot alongside (see gateway/lookup.py); the
        #: next ``snapshot()`` of the same customers, within PREFETCH_SECONDS, takes it once.
        self._prefetch_enabled = prefetch
        #: Customer id -> creation time, as seen: bounds how far back long lists are sharded.
        self._customer_created: dict[str, int] = {}
        self._prefetched: tuple[frozenset[str], float, CustomerSnapshot] | None = None

    def __repr__(self) -> str:  # never show the client (it holds the key)
        return f"{type(self).__name__}()"

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def v1(self) -> Any:
        return self._client.v1

    def _op(self) -> Operation:
        return Operation(self._settings)

    def _take_prefetched(self, ids: tuple[str, ...]) -> CustomerSnapshot | None:
        cached, self._prefetched = self._prefetched, None
        if cached is None:
            return None
        key, at, snapshot = cached
        if key != frozenset(ids) or time.monotonic() - at > PREFETCH_SECONDS:
            return None
        return snapshot

    def _remember_customers(self, customers: Iterable[Customer]) -> None:
        for customer in customers:
            self._customer_created[customer.id] = int(customer.created.timestamp())

    def forget_portal(self) -> None:
        """Drop the cached portal configurations (the next snapshot re-reads them)."""
        self._portal_configs = None
