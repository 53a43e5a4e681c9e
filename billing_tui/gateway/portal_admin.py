"""Account-level portal administration: read the configurations and prices, apply a fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from billing_tui.core.model import PortalConfiguration, Price
from billing_tui.core.results import MutationResult
from billing_tui.gateway import convert
from billing_tui.gateway.base import GatewayPart
from billing_tui.gateway.client import request_id_of
from billing_tui.gateway.errors import GatewayError


def nest(params: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Flat form keys (``features[x][products][0][prices][1]``) → the SDK's nested params.

    Numeric segments become list positions, so the SDK encodes them back the same way.
    """
    root: dict[str, Any] = {}
    for key, value in params:
        head, _, rest = key.partition("[")
        parts = [head] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                _put(node, part, value)
            else:
                child = _get(node, part)
                if child is None:
                    child = [] if following.isdigit() else {}
                    _put(node, part, child)
                node = child
    return root


def _get(node: Any, part: str) -> Any:
    if isinstance(node, list):
        index = int(part)
        return node[index] if index < len(node) else None
    return node.get(part)


def _put(node: Any, part: str, value: Any) -> None:
    if isinstance(node, list):
        index = int(part)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[part] = value


class PortalAdmin(GatewayPart):
    """Account-wide portal configuration reads and updates (``billing-tui portal``)."""

    async def portal_configurations(self) -> tuple[PortalConfiguration, ...]:
        op = self._op()
        items, _ = await op.list_all(self.v1.billing_portal.configurations.list_async, {})
        return tuple(convert.portal_configuration(c) for c in items)

    async def active_prices(self) -> tuple[Price, ...]:
        """Active recurring prices with their product names (one round)."""
        op = self._op()
        results = await op.round(
            {
                "prices": op.list_all(self.v1.prices.list_async, {"active": True}),
                "products": op.list_all(self.v1.products.list_async, {}),
            }
        )
        prices, products = results["prices"], results["products"]
        if isinstance(prices, GatewayError):
            raise prices
        if isinstance(products, GatewayError):
            raise products
        for product in products[0]:
            name = str(getattr(product, "name", "") or product.id)
            self._cache.remember_product(str(product.id), name)
        return tuple(convert.price(p, self._cache.product_names) for p in prices[0])

    async def update_portal_configuration(
        self, configuration_id: str, params: Sequence[tuple[str, str]], *, idempotency_key: str
    ) -> MutationResult[PortalConfiguration]:
        op = self._op()
        obj = await op.call(
            self.v1.billing_portal.configurations.update_async,
            configuration_id,
            nest(params),
            {"idempotency_key": idempotency_key},
            not_found=f"No such portal configuration: {configuration_id}",
        )
        self._cache.forget_portal()  # the cached configurations are stale now
        return MutationResult(
            convert.portal_configuration(obj), request_id_of(obj), stats=op.stats()
        )
