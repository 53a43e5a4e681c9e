"""The gateway's page fetchers drive the account sweep over the sandbox."""

from __future__ import annotations

from billing_tui.core.model import Subscription
from billing_tui.gateway.sweep import sweep
from tests.gateway.conftest import NOW, GatewayFactory, objects


async def test_sweep_lists_every_subscription_once(make: GatewayFactory) -> None:
    sandbox, gateway = make("large-account", "duplicate-checkout", "team-purchase")
    result = await sweep(
        gateway.page_fetcher("subscriptions"),
        since=0,
        until=int(NOW.timestamp()) + 1,
        shards=6,
        rate=1000,
    )
    assert all(isinstance(s, Subscription) for s in result.items)
    ids = [s.id for s in result.items]
    assert len(ids) == len(set(ids))
    assert set(ids) == {s["id"] for s in objects(sandbox, "subscription")}
