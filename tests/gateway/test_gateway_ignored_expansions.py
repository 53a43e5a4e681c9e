"""A Stripe-compatible server that ignores ``expand``/includes: nothing silently disappears —
the gateway reads what was not embedded with a second request (real SDK, real sandbox)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import stripe

from tests.gateway.conftest import gateway_for, sandbox_for


class _IgnoresExpand(stripe.HTTPClient):
    """The in-process sandbox, but every ``expand[...]`` query parameter is dropped on the way."""

    name = "ignores-expand"

    def __init__(self, sandbox: Any) -> None:
        super().__init__()
        self._inner = sandbox.http_client()
        self.paths: list[str] = []

    def _strip(self, url: str) -> str:
        parts = urlsplit(url)
        kept = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("expand")]
        self.paths.append(parts.path)
        return urlunsplit(parts._replace(query=urlencode(kept)))

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        return self._inner.request(method, self._strip(url), headers, post_data)

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return await self._inner.request_async(method, self._strip(url), headers, post_data)

    async def close_async(self) -> None:
        return None


async def test_refunds_are_read_again_when_the_expansion_is_ignored() -> None:
    sandbox = sandbox_for("duplicate-already-refunded")
    transport = _IgnoresExpand(sandbox)
    snap = await gateway_for(sandbox, http_client=transport).snapshot(["cus_duprefunded1"])
    refunded = [c for c in snap.charges if c.amount_refunded.amount > 0]
    assert refunded, "the scenario has a refunded charge"
    for charge in refunded:
        stored = [r["id"] for r in sandbox.state.all("refund") if r["charge"] == charge.id]
        assert sorted(r.id for r in charge.refunds) == sorted(stored)
        assert stored
    assert "/v1/refunds" in transport.paths  # the fallback read, not a guess
    assert snap.failures == ()


async def test_invoice_payments_are_read_again_when_the_include_is_ignored() -> None:
    sandbox = sandbox_for("duplicate-already-refunded")
    transport = _IgnoresExpand(sandbox)
    snap = await gateway_for(sandbox, http_client=transport).snapshot(["cus_duprefunded1"])
    paid = [i for i in snap.invoices if i.status == "paid"]
    assert paid
    assert all(snap.charges_of_invoice(i) for i in paid)
    assert "/v1/invoice_payments" in transport.paths
