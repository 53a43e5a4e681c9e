"""List, retrieve, filters, pagination and expand through the real SDK, in-process."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox

from .conftest import NOW, World

JSON = dict[str, Any]


def test_customers_list_filters_by_exact_case_sensitive_email(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    found = client.v1.customers.list({"email": "jane@example.com"})
    assert [c.id for c in found.data] == [acme["jane"]["id"]]
    assert found.url == "/v1/customers"
    other = client.v1.customers.list({"email": "Jane@Example.com"})
    assert [c.id for c in other.data] == [acme["other"]["id"]]


def test_lists_are_newest_first_and_page_to_the_end(
    client: stripe.StripeClient, many_customers: list[JSON]
) -> None:
    first = client.v1.customers.list({"limit": 10})
    assert first.has_more is True
    assert [c.id for c in first.data] == [c["id"] for c in many_customers[:10]]
    every = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert every == [c["id"] for c in many_customers]


async def test_async_list_pages_with_async_for(
    client: stripe.StripeClient, many_customers: list[JSON]
) -> None:
    page = await client.v1.customers.list_async({"limit": 4})
    ids = [c.id async for c in page.auto_paging_iter()]
    assert ids == [c["id"] for c in many_customers]


def test_ending_before_pages_backwards(
    client: stripe.StripeClient, many_customers: list[JSON]
) -> None:
    page = client.v1.customers.list({"limit": 3, "ending_before": many_customers[10]["id"]})
    assert [c.id for c in page.data] == [c["id"] for c in many_customers[7:10]]
    assert page.has_more is True


def test_created_filter(client: stripe.StripeClient, many_customers: list[JSON]) -> None:
    cutoff = many_customers[4]["created"]
    page = client.v1.customers.list({"created": {"gte": cutoff}, "limit": 100})
    assert [c.id for c in page.data] == [c["id"] for c in many_customers[:5]]
    exact = client.v1.customers.list({"created": cutoff})
    assert [c.id for c in exact.data] == [many_customers[4]["id"]]


@pytest.mark.parametrize("limit", [0, 101])
def test_limit_out_of_range_is_rejected(
    client: stripe.StripeClient, limit: int, many_customers: list[JSON]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list({"limit": limit})
    assert info.value.param == "limit"
    assert info.value.http_status == 400


def test_unknown_cursor_and_unknown_param_are_rejected(
    client: stripe.StripeClient, many_customers: list[JSON]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list({"starting_after": "cus_nope"})
    assert info.value.param == "starting_after"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.list({"colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "colour"


def test_retrieve_unknown_object_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.retrieve("sub_missing")
    assert info.value.http_status == 404
    assert info.value.code == "resource_missing"
    assert info.value.param == "id"
    assert "No such subscription: 'sub_missing'" in str(info.value)
    assert info.value.request_id
    assert info.value.request_id.startswith("req_")


def test_subscription_status_filter_defaults_to_not_canceled(
    world: World, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    gone = world.subscription(acme["jane"], acme["price"], status="canceled", created=NOW - 99)
    params: JSON = {"customer": acme["jane"]["id"]}
    assert [s.id for s in client.v1.subscriptions.list(params).data] == [acme["sub"]["id"]]
    every = client.v1.subscriptions.list({**params, "status": "all"})
    assert {s.id for s in every.data} == {acme["sub"]["id"], gone["id"]}
    ended = client.v1.subscriptions.list({**params, "status": "ended"})
    assert [s.id for s in ended.data] == [gone["id"]]
    by_price = client.v1.subscriptions.list({"price": acme["price"]["id"], "status": "canceled"})
    assert [s.id for s in by_price.data] == [gone["id"]]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.list({"status": "sleeping"})  # type: ignore[typeddict-item]
    assert info.value.param == "status"


def test_subscription_items_and_periods_live_on_items(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    sub = client.v1.subscriptions.retrieve(acme["sub"]["id"])
    assert not hasattr(sub, "current_period_end")
    item = sub["items"].data[0]
    assert item.current_period_end == acme["sub"]["items"]["data"][0]["current_period_end"]
    items = client.v1.subscription_items.list({"subscription": acme["sub"]["id"]})
    assert [i.id for i in items.data] == [item.id]
    assert client.v1.subscription_items.retrieve(item.id).quantity == 1


def test_invoice_payments_filter_by_payment_intent_and_expand_nested(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    pays = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": acme["pi"]["id"]}}
    )
    assert [p.invoice for p in pays.data] == [acme["inv"]["id"]]
    expanded = client.v1.invoice_payments.list(
        {"invoice": acme["inv"]["id"], "expand": ["data.payment.payment_intent"]}
    )
    intent = expanded.data[0].payment.payment_intent
    assert intent.id == acme["pi"]["id"]
    assert intent.latest_charge == acme["ch"]["id"]


def test_expand_top_level_nested_and_includable(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    sub = client.v1.subscriptions.retrieve(
        acme["sub"]["id"], {"expand": ["customer", "latest_invoice.payments"]}
    )
    assert sub.customer.email == "jane@example.com"
    payments = sub.latest_invoice.payments
    assert payments.object == "list"
    assert [p.payment.payment_intent for p in payments.data] == [acme["pi"]["id"]]
    plain = client.v1.invoices.retrieve(acme["inv"]["id"])
    assert "payments" not in plain
    assert isinstance(plain.customer, str)
    charge = client.v1.charges.retrieve(acme["ch_old"]["id"], {"expand": ["refunds"]})
    assert [r.id for r in charge.refunds.data] == [acme["refund"]["id"]]
    assert "refunds" not in client.v1.charges.retrieve(acme["ch_old"]["id"])
    deep = client.v1.charges.list(
        {"customer": acme["jane"]["id"], "expand": ["data.payment_intent.payment_method"]}
    )
    assert {c.payment_intent.payment_method.card.last4 for c in deep.data} == {"4242"}
    customer = client.v1.customers.retrieve(
        acme["jane"]["id"],
        {"expand": ["subscriptions", "invoice_settings.default_payment_method"]},
    )
    assert [s.id for s in customer.subscriptions.data] == [acme["sub"]["id"]]
    assert customer.invoice_settings.default_payment_method.card.exp_year == 2030


@pytest.mark.parametrize(
    ("resource", "path"),
    [("customers", "email"), ("subscriptions", "latest_invoice.nope"), ("charges", "status")],
)
def test_expanding_what_cannot_be_expanded_is_400(
    client: stripe.StripeClient, acme: dict[str, JSON], resource: str, path: str
) -> None:
    ids = {"customers": acme["jane"], "subscriptions": acme["sub"], "charges": acme["ch"]}
    service = getattr(client.v1, resource)
    with pytest.raises(stripe.InvalidRequestError) as info:
        service.retrieve(ids[resource]["id"], {"expand": [path]})
    assert f"This property cannot be expanded ({path})." in str(info.value)


def test_list_expand_needs_data_prefix(client: stripe.StripeClient, acme: dict[str, JSON]) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.list({"expand": ["customer"]})
    page = client.v1.subscriptions.list({"expand": ["data.customer"]})
    assert page.data[0].customer.id == acme["jane"]["id"]


def test_nested_lists_lines_payment_methods_refunds(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    lines = client.v1.invoices.line_items.list(acme["inv"]["id"])
    assert lines.url == f"/v1/invoices/{acme['inv']['id']}/lines"
    assert [line.amount for line in lines.data] == [2000]
    pms = client.v1.customers.payment_methods.list(acme["jane"]["id"])
    assert [p.card.last4 for p in pms.data] == ["4242"]
    by_filter = client.v1.payment_methods.list({"customer": acme["jane"]["id"]})
    assert [p.id for p in by_filter.data] == [acme["pm"]["id"]]
    refunds = client.v1.refunds.list({"charge": acme["ch_old"]["id"]})
    assert [r.amount for r in refunds.data] == [500]


def test_every_resource_lists_and_retrieves(
    client: stripe.StripeClient, acme: dict[str, JSON], world: World
) -> None:
    dispute = world.dispute(acme["ch"])
    cases = {
        "customers": acme["jane"],
        "products": acme["product"],
        "prices": acme["price"],
        "subscriptions": acme["sub"],
        "invoices": acme["inv"],
        "charges": acme["ch"],
        "payment_intents": acme["pi"],
        "refunds": acme["refund"],
        "disputes": dispute,
        "payment_methods": acme["pm"],
    }
    for name, obj in cases.items():
        service = getattr(client.v1, name)
        assert obj["id"] in [o.id for o in service.list({"limit": 100}).data], name
        assert service.retrieve(obj["id"]).id == obj["id"], name
    configs = client.v1.billing_portal.configurations.list()
    assert [c.id for c in configs.data] == [acme["config"]["id"]]
    assert client.v1.billing_portal.configurations.retrieve(acme["config"]["id"]).is_default
    inpay = client.v1.invoice_payments.list({"invoice": acme["inv"]["id"]}).data[0]
    assert client.v1.invoice_payments.retrieve(inpay.id).amount_paid == 2000


def test_request_log_counts_round_trips(
    sandbox: Sandbox, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    sandbox.request_log.clear()
    client.v1.customers.retrieve(acme["jane"]["id"])
    client.v1.subscriptions.list({"customer": acme["jane"]["id"]})
    assert list(sandbox.request_log) == [
        ("GET", f"/v1/customers/{acme['jane']['id']}"),
        ("GET", "/v1/subscriptions"),
    ]


def test_customer_payment_method_retrieve_checks_the_owner(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    pm = client.v1.customers.payment_methods.retrieve(acme["jane"]["id"], acme["pm"]["id"])
    assert pm.card.last4 == "4242"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.payment_methods.retrieve(acme["other"]["id"], acme["pm"]["id"])
    assert info.value.http_status == 404


def test_products_list_by_ids(world: World, client: stripe.StripeClient) -> None:
    a, b, _ = world.product("A"), world.product("B"), world.product("C")
    found = client.v1.products.list({"ids": [a["id"], b["id"]]})
    assert {p.name for p in found.data} == {"A", "B"}


def test_account_reports_its_name(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.retrieve_current()
    assert account.business_profile.name == "Acme Cloud (sandbox)"


@settings(max_examples=60, deadline=None)
@given(
    stamps=st.lists(st.integers(min_value=0, max_value=40), min_size=0, max_size=40),
    bounds=st.dictionaries(
        st.sampled_from(["gt", "gte", "lt", "lte"]), st.integers(min_value=-2, max_value=42)
    ),
    limit=st.integers(min_value=1, max_value=7),
)
def test_created_range_paging_matches_a_brute_force_filter(
    stamps: list[int], bounds: dict[str, int], limit: int
) -> None:
    sandbox = Sandbox(now=DEFAULT_TEST_NOW)
    for i, stamp in enumerate(stamps):
        sandbox.state.add(
            {"id": f"cus_p{i:03d}", "object": "customer", "created": stamp, "livemode": False}
        )
    ops = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
    expected = [
        f"cus_p{i:03d}"
        for i, stamp in sorted(
            enumerate(stamps), key=lambda p: (p[1], f"cus_p{p[0]:03d}"), reverse=True
        )
        if all(ops[op](stamp, bound) for op, bound in bounds.items())
    ]
    query = "&".join(f"created[{op}]={bound}" for op, bound in bounds.items())
    auth = {"Authorization": "Bearer sk_test_engine1234"}
    seen: list[str] = []
    cursor = ""
    while True:
        status, page, _ = sandbox.handle(
            "GET", f"/v1/customers?limit={limit}&{query}{cursor}", auth, None
        )
        assert status == 200
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        cursor = f"&starting_after={seen[-1]}"
    assert seen == expected
    if len(expected) > 1:
        status, page, _ = sandbox.handle(
            "GET", f"/v1/customers?limit={limit}&{query}&ending_before={expected[-1]}", auth, None
        )
        assert [c["id"] for c in page["data"]] == expected[:-1][-limit:]
