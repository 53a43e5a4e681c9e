"""The gateway's one cache: what it remembers, when it forgets, and that every part shares it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing_tui.core.model import Customer, CustomerSnapshot
from billing_tui.gateway import cache as cache_module
from billing_tui.gateway.cache import GatewayCache
from tests.gateway.conftest import GatewayFactory


def _snapshot(*ids: str) -> CustomerSnapshot:
    created = datetime(2026, 1, 2, tzinfo=UTC)
    return CustomerSnapshot(
        customers=tuple(Customer(id=i, email=None, name=None, created=created) for i in ids)
    )


def test_a_prefetched_snapshot_is_taken_once_and_only_for_the_same_customers() -> None:
    cache = GatewayCache()
    snap = _snapshot("cus_a", "cus_b")
    cache.remember_snapshot(snap)
    assert cache.take_snapshot(["cus_a"]) is None  # other customers: not used, and gone
    cache.remember_snapshot(snap)
    assert cache.take_snapshot(["cus_b", "cus_a"]) is snap
    assert cache.take_snapshot(["cus_a", "cus_b"]) is None  # only once


def test_a_prefetched_snapshot_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = GatewayCache()
    clock = iter([100.0, 100.0 + cache_module.PREFETCH_SECONDS + 1])
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: next(clock))
    cache.remember_snapshot(_snapshot("cus_a"))
    assert cache.take_snapshot(["cus_a"]) is None


def test_invalidate_drops_the_prefetch_and_forget_portal_drops_both() -> None:
    cache = GatewayCache()
    cache.remember_snapshot(_snapshot("cus_a"))
    cache.invalidate()
    assert cache.take_snapshot(["cus_a"]) is None
    cache.remember_portal(())
    cache.remember_snapshot(_snapshot("cus_a"))
    assert not cache.needs_portal()
    cache.forget_portal()
    assert cache.needs_portal()
    assert cache.portal_configurations is None
    assert cache.take_snapshot(["cus_a"]) is None


def test_portal_caching_can_be_turned_off() -> None:
    cache = GatewayCache(portal=False)
    cache.remember_portal(())
    assert cache.needs_portal()


def test_products_and_customers_are_remembered() -> None:
    cache = GatewayCache()
    cache.remember_products([{"id": "prod_a", "name": "Pro"}, {"id": "prod_b", "name": None}])
    cache.remember_product("prod_c", "Team")
    assert dict(cache.product_names) == {"prod_a": "Pro", "prod_b": "prod_b", "prod_c": "Team"}
    assert cache.knows_product("prod_a")
    assert not cache.knows_product("prod_z")
    assert not cache.products_listed
    cache.mark_products_listed()
    assert cache.products_listed
    cache.remember_customers(
        [Customer(id="cus_a", email=None, name=None, created=datetime(2026, 1, 2, tzinfo=UTC))]
    )
    assert cache.customer_since("cus_a") == int(datetime(2026, 1, 2, tzinfo=UTC).timestamp())
    assert cache.customer_since("cus_b") is None


async def test_every_part_of_the_gateway_shares_one_cache(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    cache = gateway._cache
    await gateway.snapshot(["cus_dupcheckout1"])  # reads fill it
    assert cache.products_listed
    assert cache.portal_configurations is not None
    await gateway.resolve("sub_dupcheckoutB")  # prefetches into it
    assert "prefetched=True" in repr(cache)
    await gateway.update_portal_configuration(
        cache.portal_configurations[0].id, (), idempotency_key="k-portal-1"
    )  # the portal admin part forgets it
    assert cache.portal_configurations is None
    assert cache.take_snapshot(["cus_dupcheckout1"]) is None
    assert "sk_test" not in repr(gateway)
    assert "sk_test" not in repr(cache)
