"""The :class:`Gateway`: the only object above which no Stripe SDK object is seen."""

from __future__ import annotations

from typing import Any

import stripe

from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.gateway.base import Context
from billing_tui.gateway.cache import GatewayCache
from billing_tui.gateway.client import Operation
from billing_tui.gateway.lookup import Reads
from billing_tui.gateway.mutations import Writes
from billing_tui.gateway.page_fetcher import PageFetchers
from billing_tui.gateway.portal_admin import PortalAdmin


class Gateway:
    """``Gateway(client, *, settings=DEFAULT_SETTINGS, portal_cache=True, prefetch=True)``.

    - ``await resolve(text) -> Resolution``
    - ``await snapshot(customer_ids) -> CustomerSnapshot``
    - ``await lookup(text) -> Lookup`` (both, pipelined: fewer rounds for ids)
    - mutations: ``create_refund``, ``cancel_subscription``, ``update_subscription``,
      ``create_portal_session``, ``pay_invoice`` (-> ``MutationResult``), and fresh reads
      ``retrieve_subscription``, ``retrieve_charge``, ``retrieve_invoice``, ``list_refunds``.
    - ``page_fetcher(resource)`` for :func:`billing_tui.gateway.sweep.sweep`.
    - ``portal_configurations``, ``active_prices``, ``update_portal_configuration`` for the
      portal check; ``forget_portal()`` drops the cached configurations.

    All I/O methods are async and raise :class:`~billing_tui.gateway.errors.GatewayError`
    subclasses only.

    **How it is built.** Composition, not inheritance: four parts — :class:`Reads`
    (resolve, snapshot, lookup), :class:`Writes` (mutations and their fresh reads),
    :class:`PortalAdmin` and :class:`PageFetchers` — each hold the same
    :class:`~billing_tui.gateway.base.Context`: one client, one settings object and ONE
    :class:`~billing_tui.gateway.cache.GatewayCache` (every piece of remembered state; writes
    invalidate it). Each part can be read, and tested, on its own, and no part reaches into
    another's attributes: the only thing they share is that context. The public methods are the
    parts' own methods, bound here by name, so this class is the whole API on one screen and
    no signature is written twice. ``_op()`` is the one factory of operations (a subclass may
    override it, as the serial benchmark does); every part calls it through the context.
    """

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
        self._cache = GatewayCache(portal=portal_cache, prefetch=prefetch)
        ctx = Context(client, settings, self._cache, lambda: self._op())
        reads, writes = Reads(ctx), Writes(ctx)
        admin, pages = PortalAdmin(ctx), PageFetchers(ctx)
        # reads
        self.resolve = reads.resolve
        self.snapshot = reads.snapshot
        self.lookup = reads.lookup
        # writes, and the fresh reads that check them
        self.retrieve_subscription = writes.retrieve_subscription
        self.retrieve_charge = writes.retrieve_charge
        self.retrieve_invoice = writes.retrieve_invoice
        self.list_refunds = writes.list_refunds
        self.create_refund = writes.create_refund
        self.cancel_subscription = writes.cancel_subscription
        self.update_subscription = writes.update_subscription
        self.create_portal_session = writes.create_portal_session
        self.pay_invoice = writes.pay_invoice
        # account-wide: portal administration, sweeps
        self.portal_configurations = admin.portal_configurations
        self.active_prices = admin.active_prices
        self.update_portal_configuration = admin.update_portal_configuration
        self.forget_portal = self._cache.forget_portal
        self.page_fetcher = pages.page_fetcher

    def __repr__(self) -> str:  # never show the client (it holds the key)
        return f"{type(self).__name__}()"

    @property
    def v1(self) -> Any:
        """The SDK's ``v1`` service (for benchmarks and probes, never above the gateway)."""
        return self._client.v1

    def _op(self) -> Operation:
        return Operation(self._settings)
