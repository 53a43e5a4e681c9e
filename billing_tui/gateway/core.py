"""The :class:`Gateway`: the only object above which no Stripe SDK object is seen."""

from __future__ import annotations

from billing_tui.gateway.lookup import LookupMixin
from billing_tui.gateway.mutations import MutationsMixin
from billing_tui.gateway.portal_admin import PortalAdminMixin
from billing_tui.gateway.sweeps import SweepMixin


class Gateway(LookupMixin, MutationsMixin, SweepMixin, PortalAdminMixin):
    """``Gateway(client, *, settings=DEFAULT_SETTINGS, portal_cache=True)``.

    - ``await resolve(text) -> Resolution``
    - ``await snapshot(customer_ids) -> CustomerSnapshot``
    - ``await lookup(text) -> Lookup`` (both, pipelined: fewer rounds for ids)
    - mutations: ``create_refund``, ``cancel_subscription``, ``update_subscription``,
      ``create_portal_session``, ``pay_invoice`` (-> ``MutationResult``), and fresh reads
      ``retrieve_subscription``, ``retrieve_charge``, ``retrieve_invoice``.

    - ``page_fetcher(resource)`` for :func:`billing_tui.gateway.sweep.sweep`.
    - ``portal_configurations``, ``active_prices``, ``update_portal_configuration`` for the
      portal check.

    All I/O methods are async and raise :class:`~billing_tui.gateway.errors.GatewayError`
    subclasses only.
    """
