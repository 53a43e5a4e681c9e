"""Reading lists as plain wire JSON through ``StripeClient.raw_request_async``.

The SDK's typed services build a ``StripeObject`` tree for every field of every object; for a
customer with 600 invoices (lines and payments included) that costs seconds of CPU on the event
loop. The snapshot's lists only need the JSON, which :mod:`billing_tui.gateway.convert` reads
directly, so they go through ``raw_request_async``: the same client (auth, API version,
retries, timeout) and the same ``StripeError`` exceptions, without the object tree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import stripe


class WireObject(dict[str, Any]):
    """One object's wire JSON, with attribute access to the fields paging needs."""

    @property
    def id(self) -> str:
        return str(self["id"])

    @property
    def created(self) -> int:
        return int(self.get("created") or 0)


class WirePage:
    """A list or search result page: ``data``, ``has_more``, ``next_page``."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.data = [WireObject(item) for item in body.get("data") or ()]
        self.has_more = bool(body.get("has_more", False))
        self.next_page: str | None = body.get("next_page")


def path(*segments: str) -> str:
    """``/v1/customers/cus_1/payment_methods`` with every id segment percent-encoded."""
    return "/v1/" + "/".join(quote(s, safe="") for s in segments)


async def _get(client: stripe.StripeClient, url: str, params: Mapping[str, Any]) -> Any:
    response = await client.raw_request_async("get", url, **dict(params))
    return response.data


def lister(client: stripe.StripeClient, url: str) -> Callable[..., Awaitable[WirePage]]:
    """``await fetch(params) -> WirePage`` for a list (or search) endpoint."""

    async def fetch(params: Mapping[str, Any] | None = None) -> WirePage:
        body = await _get(client, url, params or {})
        return WirePage(body if isinstance(body, Mapping) else {})

    return fetch


def getter(client: stripe.StripeClient, url: str) -> Callable[..., Awaitable[WireObject]]:
    """``await fetch(params) -> WireObject`` for one object."""

    async def fetch(params: Mapping[str, Any] | None = None) -> WireObject:
        body = await _get(client, url, params or {})
        return WireObject(body if isinstance(body, Mapping) else {})

    return fetch
