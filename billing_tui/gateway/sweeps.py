"""Page fetchers for :func:`billing_tui.sweep.sweep` (account-wide, created-range sharded lists).

``gateway.page_fetcher("subscriptions")`` returns ``fetch_page(created_gte, created_lt, cursor)
-> Page[Subscription]``: one list request of up to 100 objects, converted to model types, with
the gateway's 429 backoff and error translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from billing_tui.gateway import convert
from billing_tui.gateway.base import GatewayBase
from billing_tui.sweep import FetchPage, Page

Resource = Literal["subscriptions", "customers", "charges", "invoices", "products"]


class SweepMixin(GatewayBase):
    def page_fetcher(
        self, resource: Resource, params: Mapping[str, Any] | None = None
    ) -> FetchPage[Any]:
        """A ``fetch_page`` for one list endpoint (subscriptions default to ``status=all``)."""
        v1 = self.v1
        extra: dict[str, Any] = dict(params or {})
        service: Any
        convert_one: Callable[[Any], Any]
        if resource == "subscriptions":
            service = v1.subscriptions
            extra.setdefault("status", "all")

            def convert_one(obj: Any) -> Any:
                return convert.subscription(obj, self._product_names)

        elif resource == "customers":
            service, convert_one = v1.customers, convert.customer
        elif resource == "charges":
            service, convert_one = v1.charges, convert.charge
        elif resource == "invoices":
            service, convert_one = v1.invoices, convert.invoice
        elif resource == "products":
            # Sweeping products also teaches the gateway their names, so subscriptions swept
            # afterwards carry "Pro" rather than "prod_…".
            service = v1.products

            def convert_one(obj: Any) -> Any:
                name = str(getattr(obj, "name", "") or obj.id)
                self._product_names[str(obj.id)] = name
                return (str(obj.id), name)

        else:
            raise ValueError(f"cannot sweep {resource!r}")

        async def fetch_page(created_gte: int, created_lt: int, cursor: str | None) -> Page[Any]:
            query: dict[str, Any] = {
                **extra,
                "limit": self._settings.page_size,
                "created": {"gte": created_gte, "lt": created_lt},
            }
            if cursor:
                query["starting_after"] = cursor
            page = await self._op().call(service.list_async, query)
            data = list(page.data)
            return Page(
                items=tuple(convert_one(obj) for obj in data),
                has_more=bool(page.has_more),
                last_id=str(data[-1].id) if data else None,
            )

        return fetch_page
