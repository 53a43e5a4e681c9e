"""What every part of the gateway shares: one client, the settings, one cache, one way to start
an :class:`~billing_tui.gateway.client.Operation`.

A :class:`GatewayPart` is one of the objects the :class:`~billing_tui.gateway.core.Gateway` is
composed of (reads, writes, portal administration, page fetchers). They all hold the same
:class:`Context`, so they see the same :class:`~billing_tui.gateway.cache.GatewayCache`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

from billing_tui.core.settings import Settings
from billing_tui.gateway.cache import GatewayCache
from billing_tui.gateway.client import Operation


@dataclass(frozen=True)
class Context:
    """The client, settings and cache of one gateway; ``op()`` starts one operation (its
    request counts and 429 backoff)."""

    client: stripe.StripeClient
    settings: Settings
    cache: GatewayCache
    op: Callable[[], Operation]

    def __repr__(self) -> str:  # never show the client (it holds the key)
        return f"Context({self.cache!r})"


class GatewayPart:
    """One part of the gateway, over the shared :class:`Context`."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._client = ctx.client
        self._settings = ctx.settings
        self._cache = ctx.cache

    def __repr__(self) -> str:  # never show the client (it holds the key)
        return f"{type(self).__name__}()"

    @property
    def v1(self) -> Any:
        return self._client.v1

    def _op(self) -> Operation:
        return self._ctx.op()
