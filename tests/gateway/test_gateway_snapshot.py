"""The snapshot over the sandbox: complete, in one round, failures shown as failures."""

from __future__ import annotations

from billing_tui.core.model import Money, SubscriptionStatus
from tests.gateway.conftest import KEY, GatewayFactory, gateway_for, objects


async def test_duplicate_checkout_snapshot_is_complete_in_one_round(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout")
    snap = await gateway.snapshot(["cus_dupcheckout1"])
    assert snap.stats.rounds == 1
    assert snap.stats.requests == len(sandbox.request_log)
    assert snap.failures == ()
    assert snap.customer_ids == ("cus_dupcheckout1",)
    assert {s.id for s in snap.subscriptions} == {"sub_dupcheckoutA", "sub_dupcheckoutB"}
    for sub in snap.subscriptions:
        assert sub.status is SubscriptionStatus.ACTIVE
        # product names, not ids: loaded in the same round
        assert not sub.items[0].price.product_name.startswith("prod_")
        assert sub.current_period_end is not None
    # invoices carry their payments, which lead to the charges that paid them
    assert len(snap.invoices) == 2
    for invoice in snap.invoices:
        assert invoice.subscription_id in {"sub_dupcheckoutA", "sub_dupcheckoutB"}
        paid_by = snap.charges_of_invoice(invoice)
        assert len(paid_by) == 1
        assert paid_by[0].amount == invoice.amount_paid
    assert {c.amount for c in snap.charges} == {Money(1900, "usd")}
    assert [(p.card.brand, p.card.last4) for p in snap.payment_methods if p.card] == [
        ("visa", "4242")
    ]
    assert snap.portal is not None
    assert snap.portal_known


async def test_after_resolution_an_id_loads_in_one_round(make: GatewayFactory) -> None:
    sandbox, gateway = make("healthy", prefetch=False)
    res = await gateway.resolve("cus_healthy1")
    before = len(sandbox.request_log)
    snap = await gateway.snapshot(res.customer_ids)
    assert snap.stats.rounds == 1
    assert snap.stats.requests == len(sandbox.request_log) - before


async def test_email_lookup_takes_two_rounds_in_total(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout")
    found = await gateway.lookup("dana.whitfield@example.com")
    assert found.snapshot is not None
    assert found.stats.rounds == 2
    assert found.stats.requests == len(sandbox.request_log)
    assert len(found.snapshot.subscriptions) == 2


async def test_id_lookup_overlaps_snapshot_and_email_check(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    for typed in ("cus_dupcheckout1", "sub_dupcheckoutA"):
        found = await gateway.lookup(typed)
        assert found.snapshot is not None
        assert found.stats.rounds == 2, typed
        assert found.snapshot.customer_ids == ("cus_dupcheckout1",)


async def test_resolving_an_id_prefetches_the_snapshot_that_follows(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout", "healthy")
    res = await gateway.resolve("sub_dupcheckoutA")
    assert res.stats.rounds == 2
    sent = len(sandbox.request_log)
    snap = await gateway.snapshot(res.customer_ids)
    assert len(sandbox.request_log) == sent  # nothing more on the wire
    assert {s.id for s in snap.subscriptions} == {"sub_dupcheckoutA", "sub_dupcheckoutB"}
    again = await gateway.snapshot(res.customer_ids)  # a refresh reads again
    assert len(sandbox.request_log) > sent
    assert again.stats.rounds == 1


async def test_a_prefetch_is_only_used_for_the_same_customers(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout", "healthy")
    await gateway.resolve("sub_dupcheckoutA")
    other = objects(sandbox, "customer", email="priya.raman@example.com")[0]["id"]
    snap = await gateway.snapshot([other])
    assert snap.customer_ids == (other,)
    assert snap.stats.requests > 0


async def test_duplicate_customers_are_loaded_together(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-customers")
    found = await gateway.lookup("cus_dupcustB")
    assert found.snapshot is not None
    assert set(found.snapshot.customer_ids) == {"cus_dupcustA", "cus_dupcustB"}
    owners = {s.customer_id for s in found.snapshot.live_subscriptions}
    assert owners == {"cus_dupcustA", "cus_dupcustB"}


async def test_portal_and_products_are_cached_per_gateway(make: GatewayFactory) -> None:
    sandbox, gateway = make("healthy")
    customer = objects(sandbox, "customer")[0]["id"]
    await gateway.snapshot([customer])
    portal_reads = sandbox.request_log.count("GET", "/v1/billing_portal/configurations")
    product_reads = sandbox.request_log.count("GET", "/v1/products")
    again = await gateway.snapshot([customer])
    assert sandbox.request_log.count("GET", "/v1/billing_portal/configurations") == portal_reads
    assert sandbox.request_log.count("GET", "/v1/products") == product_reads
    assert again.portal is not None


async def test_disputes_are_matched_to_the_customers_charges(make: GatewayFactory) -> None:
    _, gateway = make("disputed-charge", "duplicate-checkout")
    found = await gateway.lookup("victor.almeida@example.com")
    assert found.snapshot is not None
    assert [d.id for d in found.snapshot.disputes] == ["dp_disputed1"]
    charge = found.snapshot.charge(found.snapshot.disputes[0].charge_id)
    assert charge is not None
    assert charge.disputed
    other = await gateway.lookup("dana.whitfield@example.com")
    assert other.snapshot is not None
    assert other.snapshot.disputes == ()  # another customer's dispute never leaks in


async def test_refunds_come_with_their_charge(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-already-refunded")
    refund = next(iter(sandbox.state.all("refund")))
    found = await gateway.lookup(refund["id"])
    assert found.snapshot is not None
    charge = found.snapshot.charge(refund["charge"])
    assert charge is not None
    assert [r.id for r in charge.refunds] == [refund["id"]]
    assert charge.amount_refunded.amount == refund["amount"]


async def test_large_account_loads_everything_in_few_rounds(make: GatewayFactory) -> None:
    sandbox, gateway = make("large-account")
    customer = objects(sandbox, "customer")[0]["id"]
    snap = await gateway.snapshot([customer])
    assert len(snap.invoices) == len(objects(sandbox, "invoice", customer=customer))
    assert len(snap.subscriptions) == len(objects(sandbox, "subscription", customer=customer))
    assert len(snap.charges) == len(objects(sandbox, "charge", customer=customer))
    assert len({i.id for i in snap.invoices}) == len(snap.invoices)
    assert snap.stats.rounds <= 5


async def test_a_part_the_key_cannot_read_is_a_failure_not_an_empty_list(
    make: GatewayFactory,
) -> None:
    sandbox, _ = make("disputed-charge")
    key = "rk_test_nodisputes1"
    reads = {
        "rak_customer_read", "rak_subscription_read", "rak_invoice_read", "rak_charge_read",
        "rak_payment_intent_read", "rak_refund_read", "rak_payment_method_read",
        "rak_billing_portal_configuration_read", "rak_product_read", "rak_price_read",
        "rak_invoice_payment_read",
    }  # fmt: skip
    sandbox.state.keys.declared[key] = frozenset(reads)
    sandbox.state.keys.declared.setdefault(KEY, None)
    gateway = gateway_for(sandbox, key=key)
    snap = await gateway.snapshot(["cus_disputed1"])
    assert snap.failed("disputes")
    failure = next(f for f in snap.failures if f.part == "disputes")
    assert "rak_dispute_read" in failure.message
    assert snap.disputes == ()
    assert snap.charges  # everything else still loaded
    assert not snap.failed("charges")


async def test_an_unknown_status_keeps_the_subscription_shown_as_unknown(
    make: GatewayFactory,
) -> None:
    """``subscription.status`` is an open enum: a value this version does not know keeps the
    subscription on screen as "unknown (<value>)" instead of making it vanish."""
    sandbox, gateway = make("duplicate-checkout")
    sandbox.state.get("subscription", "sub_dupcheckoutB")["status"] = "hibernating"
    snap = await gateway.snapshot(["cus_dupcheckout1"])
    assert {s.id for s in snap.subscriptions} == {"sub_dupcheckoutA", "sub_dupcheckoutB"}
    odd = snap.subscription("sub_dupcheckoutB")
    assert odd is not None
    assert odd.status is SubscriptionStatus.UNKNOWN
    assert odd.status_label == "unknown (hibernating)"
    assert not odd.is_live
    assert not snap.failed("subscriptions")


async def test_an_object_in_an_unexpected_shape_is_a_failure_not_a_crash(
    make: GatewayFactory,
) -> None:
    sandbox, gateway = make("duplicate-checkout")
    sandbox.state.get("subscription", "sub_dupcheckoutB")["trial_end"] = "next tuesday"
    snap = await gateway.snapshot(["cus_dupcheckout1"])
    assert [s.id for s in snap.subscriptions] == ["sub_dupcheckoutA"]
    failure = next(f for f in snap.failures if f.part == "subscriptions")
    assert "sub_dupcheckoutB" in failure.message
    assert len(snap.invoices) == 2  # the rest is intact


async def test_a_mutation_discards_the_prefetched_snapshot(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    res = await gateway.resolve("sub_dupcheckoutB")
    await gateway.cancel_subscription("sub_dupcheckoutB")
    snap = await gateway.snapshot(res.customer_ids)
    canceled = snap.subscription("sub_dupcheckoutB")
    assert canceled is not None
    assert canceled.status.value == "canceled"  # read after the cancel, not the prefetch
