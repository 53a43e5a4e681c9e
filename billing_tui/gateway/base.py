"""State shared by the gateway's parts: the client, settings and per-session caches."""

from __future__ import annotations

from typing import Any

import stripe

from billing_tui.gateway.client import Operation
from billing_tui.model import PortalConfiguration
from billing_tui.settings import DEFAULT_SETTINGS, Settings


class GatewayBase:
    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        settings: Settings = DEFAULT_SETTINGS,
        portal_cache: bool = True,
    ) -> None:
        self._client = client
        self._settings = settings
        self._portal_cache_enabled = portal_cache
        #: The account's portal configurations, once read (None: not read yet).
        self._portal_configs: tuple[PortalConfiguration, ...] | None = None
        #: Product id -> name, filled as products are read (names rarely change).
        self._product_names: dict[str, str] = {}
        self._products_listed = False

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

    def forget_portal(self) -> None:
        """Drop the cached portal configurations (the next snapshot re-reads them)."""
        self._portal_configs = None
