"""The engine over the real scenario catalog: what an operator does on each ticket."""

from __future__ import annotations

import pytest
import stripe

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox


def demo(*scenarios: str) -> tuple[Sandbox, stripe.StripeClient]:
    sandbox = Sandbox.demo(scenarios=scenarios, now=DEFAULT_TEST_NOW)
    return sandbox, sandbox.stripe_client()


@pytest.fixture(scope="module")
def everything() -> tuple[Sandbox, stripe.StripeClient]:
    """All scenarios, read-only tests only."""
    return demo("all")


def test_every_customer_loads_with_the_gateway_s_requests(
    everything: tuple[Sandbox, stripe.StripeClient],
) -> None:
    sandbox, client = everything
    customers = list(client.v1.customers.list({"limit": 100}).auto_paging_iter())
    assert len(customers) == len(sandbox.state.objects["customer"])
    for customer in customers:
        cid = customer.id
        subs = client.v1.subscriptions.list(
            {
                "customer": cid,
                "status": "all",
                "expand": ["data.latest_invoice", "data.default_payment_method"],
            }
        )
        invoices = client.v1.invoices.list(
            {"customer": cid, "limit": 100, "expand": ["data.payments"]}
        )
        charges = client.v1.charges.list(
            {"customer": cid, "limit": 100, "expand": ["data.refunds", "data.payment_intent"]}
        )
        client.v1.payment_methods.list({"customer": cid})
        for sub in subs.data:
            assert sub.customer == cid
            assert sub["items"].data[0].current_period_end > 0
        for invoice in invoices.data:
            for payment in invoice.payments.data:
                assert payment.invoice == invoice.id
        for n, charge in enumerate(charges.data):
            assert charge.amount_refunded == sum(r.amount for r in charge.refunds.data)
            if charge.payment_intent is not None and n < 3:
                pays = client.v1.invoice_payments.list(
                    {
                        "payment": {
                            "type": "payment_intent",
                            "payment_intent": charge.payment_intent.id,
                        }
                    }
                )
                assert all(p.payment.payment_intent == charge.payment_intent.id for p in pays.data)
    # Page every invoice through the engine (the SDK's object building is the slow part).
    seen: list[str] = []
    url = "/v1/invoices?limit=100"
    while True:
        status, page, _ = sandbox.handle(
            "GET", url, {"Authorization": "Bearer sk_test_x1234"}, None
        )
        assert status == 200
        seen += [inv["id"] for inv in page["data"]]
        if not page["has_more"]:
            break
        url = f"/v1/invoices?limit=100&starting_after={seen[-1]}"
    assert sorted(seen) == sorted(sandbox.state.objects["invoice"])


def test_scenario_identifiers_are_found_by_list_or_search(
    everything: tuple[Sandbox, stripe.StripeClient],
) -> None:
    _, client = everything
    exact = client.v1.customers.list({"email": "dana.whitfield@example.com"})
    assert [c.id for c in exact.data] == ["cus_dupcheckout1"]
    twins = client.v1.customers.search({"query": "email:'sam.lee@example.com'"})
    assert len(twins.data) == 2
    github = client.v1.customers.search({"query": "metadata['github']:'adapark-dev'"})
    assert len(github.data) == 1


def test_restricted_and_live_keys_declared_by_the_catalog() -> None:
    sandbox, _ = demo("restricted-key")
    readonly = sandbox.stripe_client("rk_test_sandboxreadonly01")
    customer = readonly.v1.customers.list({"email": "ilse.janssens@example.com"}).data[0]
    for service in ("subscriptions", "invoices", "charges", "payment_methods", "refunds"):
        getattr(readonly.v1, service).list(
            {"customer": customer.id} if service != "refunds" else {}
        )
    invoice = readonly.v1.invoices.list({"customer": customer.id}).data[0]
    readonly.v1.invoice_payments.list({"invoice": invoice.id})
    charge = readonly.v1.charges.list({"customer": customer.id}).data[0]
    with pytest.raises(stripe.PermissionError) as info:
        readonly.v1.refunds.create({"charge": charge.id})
    assert "'rak_refund_write'" in str(info.value)
    with pytest.raises(stripe.AuthenticationError):
        sandbox.stripe_client("sk_test_sandboxrevoked01").v1.customers.list()
    live = sandbox.stripe_client("sk_live_sandboxdemo01")
    assert live.v1.customers.retrieve(customer.id).livemode is True
    assert sandbox.stripe_client().v1.customers.retrieve(customer.id).livemode is False


def test_duplicate_checkout_fix_cancel_and_refund_once() -> None:
    _, client = demo("duplicate-checkout")
    client.v1.subscriptions.cancel("sub_dupcheckoutB", {"prorate": False})
    key = {"idempotency_key": "case-1:refund:ch_dupcheckoutB001"}
    first = client.v1.refunds.create({"charge": "ch_dupcheckoutB001", "reason": "duplicate"}, key)  # type: ignore[arg-type]
    again = client.v1.refunds.create({"charge": "ch_dupcheckoutB001", "reason": "duplicate"}, key)  # type: ignore[arg-type]
    assert again.id == first.id
    charge = client.v1.charges.retrieve("ch_dupcheckoutB001")
    assert charge.refunded is True
    assert charge.amount_refunded == charge.amount
    live = client.v1.subscriptions.list({"customer": "cus_dupcheckout1"})
    assert [s.id for s in live.data] == ["sub_dupcheckoutA"]
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.subscriptions.cancel("sub_dupcheckoutB")
    assert twice.value.http_status == 404


def test_money_rules_on_catalog_charges() -> None:
    _, client = demo("jpy-customer", "disputed-charge", "duplicate-already-refunded")
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create({"charge": "ch_jpyB001", "amount": 5000})
    assert over.value.param == "amount"
    assert "(¥5,000) is greater than unrefunded amount on charge (¥2,800)" in str(over.value)
    with pytest.raises(stripe.InvalidRequestError) as disputed:
        client.v1.refunds.create({"charge": "ch_disputed1003"})
    assert disputed.value.code == "charge_disputed"
    with pytest.raises(stripe.InvalidRequestError) as done:
        client.v1.refunds.create({"charge": "ch_duprefundedB001"})
    assert done.value.code == "charge_already_refunded"


def test_failed_renewal_retry_declines_until_the_card_is_replaced() -> None:
    sandbox, client = demo("failed-renewal")
    invoice = client.v1.invoices.retrieve("in_failedrenewal1011")
    attempts = invoice.attempt_count
    with pytest.raises(stripe.CardError) as info:
        client.v1.invoices.pay(invoice.id)
    assert info.value.code == "expired_card"
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == attempts + 1
    sandbox.state.objects["payment_method"]["pm_failedrenewal1"]["card"]["exp_year"] = 2030
    assert client.v1.invoices.pay(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve("sub_failedrenewal1").status == "active"


def test_portal_cancel_flow_respects_the_customer_s_configuration() -> None:
    _, client = demo("cannot-cancel")
    flow = {
        "type": "subscription_cancel",
        "subscription_cancel": {"subscription": "sub_cannotcancel1"},
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.sessions.create(
            {
                "customer": "cus_cannotcancel1",
                "configuration": "bpc_cannotcancel",
                "flow_data": flow,
            }  # type: ignore[typeddict-item]
        )
    assert "subscription_cancel feature is disabled" in str(info.value)
    session = client.v1.billing_portal.sessions.create(
        {"customer": "cus_cannotcancel1", "configuration": "bpc_cannotcancel"}
    )
    assert session.url.startswith("https://billing.stripe.com/p/session/test_")


def test_generated_population_sweeps_by_created_range() -> None:
    sandbox = Sandbox.demo(scenarios=["healthy"], population=120, now=DEFAULT_TEST_NOW)
    client = sandbox.stripe_client()
    stamps = sorted(c["created"] for c in sandbox.state.objects["customer"].values())
    middle = stamps[len(stamps) // 2]
    older = client.v1.customers.list({"created": {"lt": middle}, "limit": 25})
    newer = client.v1.customers.list({"created": {"gte": middle}, "limit": 25})
    ids = [c.id for c in older.auto_paging_iter()] + [c.id for c in newer.auto_paging_iter()]
    assert sorted(ids) == sorted(sandbox.state.objects["customer"])
