"""Page fetchers: the gateway part that feeds :func:`billing_tui.gateway.sweep.sweep`.

:mod:`billing_tui.gateway.sweep` is the engine (created-range sharding, paging, one rate
limit) and knows nothing of Stripe; this module is the Stripe side of it, one list endpoint at a
time.

``gateway.page_fetcher("subscriptions")`` returns ``fetch_page(created_gte, created_lt, cursor)
-> Page[Subscription]``: one list request of up to 100 objects, converted to model types, with
the gateway's 429 backoff and error translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from billing_tui.gateway import convert, wire
from billing_tui.gateway.base import GatewayPart
from billing_tui.gateway.sweep import FetchPage, Page

Resource = Literal["subscriptions", "customers", "charges", "invoices", "products"]


class PageFetchers(GatewayPart):
    def page_fetcher(
        self, resource: Resource, params: Mapping[str, Any] | None = None
    ) -> FetchPage[Any]:
        """A ``fetch_page`` for one list endpoint (subscriptions default to ``status=all``)."""
        extra: dict[str, Any] = dict(params or {})
        url: str
        convert_one: Callable[[Any], Any]
        if resource == "subscriptions":
            url = "/v1/subscriptions"
            extra.setdefault("status", "all")

            def convert_one(obj: Any) -> Any:
                return convert.subscription(obj, self._cache.product_names)

        elif resource == "customers":
            url, convert_one = "/v1/customers", convert.customer
        elif resource == "charges":
            url, convert_one = "/v1/charges", convert.charge
        elif resource == "invoices":
            url, convert_one = "/v1/invoices", convert.invoice
        elif resource == "products":
            # Sweeping products also teaches the gateway their names, so subscriptions swept
            # afterwards carry "Pro" rather than "prod_…".
            url = "/v1/products"

            def convert_one(obj: Any) -> Any:
                product_id = str(obj["id"])
                name = str(obj.get("name") or product_id)
                self._cache.remember_product(product_id, name)
                return (product_id, name)

        else:
            raise ValueError(f"cannot sweep {resource!r}")

        fetch = wire.lister(self._client, url)

        async def fetch_page(created_gte: int, created_lt: int, cursor: str | None) -> Page[Any]:
            query: dict[str, Any] = {
                **extra,
                "limit": self._settings.page_size,
                "created": {"gte": created_gte, "lt": created_lt},
            }
            if cursor:
                query["starting_after"] = cursor
            page = await self._op().call(fetch, query)
            data = list(page.data)
            return Page(
                items=tuple(convert_one(obj) for obj in data),
                has_more=bool(page.has_more),
                last_id=data[-1].id if data else None,
            )

        return fetch_page
