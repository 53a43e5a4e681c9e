"""The documented list and retrieve parameters (Stripe's SDK declarations, the wire contract's
schema) are accepted, and the ones that filter, filter: never ``parameter_unknown`` for a
parameter Stripe documents."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billing_tui.sandbox import resources
from billing_tui.sandbox.endpoints.reads import RETRIEVE_PARAMS
from billing_tui.sandbox.listing import PAGING, SPECS
from billing_tui.sandbox.search import SEARCH_PARAMS, SEARCHABLE
from tests.contracts.wire_schema import OPERATIONS, document

from .conftest import DAY, NOW, World

JSON = dict[str, Any]


def _documented(params_key: str) -> set[str]:
    doc = document()
    name = doc["params"][params_key]["$ref"].rsplit("/", 1)[-1]
    return set(doc["$defs"][name]["properties"])


def _served_lists() -> list[tuple[str, str]]:
    return [
        (op.pattern, op.params)
        for op in OPERATIONS
        if op.method == "GET" and op.answer.startswith("list:") and op.pattern in SPECS
    ]


@pytest.mark.parametrize(("collection", "params_key"), _served_lists())
def test_every_documented_list_parameter_is_accepted(collection: str, params_key: str) -> None:
    accepted = set(SPECS[collection].filters) | PAGING
    assert sorted(_documented(params_key) - accepted) == []


@pytest.mark.parametrize(
    ("collection", "params_key"),
    [
        (op.pattern.removesuffix("/{id}"), op.params)
        for op in OPERATIONS
        if op.method == "GET" and op.pattern.count("/") == 1 and op.pattern.endswith("/{id}")
    ],
)
def test_every_documented_retrieve_parameter_is_accepted(collection: str, params_key: str) -> None:
    accepted = {"expand", *RETRIEVE_PARAMS.get(collection, ())}
    assert sorted(_documented(params_key) - accepted) == []


@pytest.mark.parametrize(
    "params_key",
    [op.params for op in OPERATIONS if op.answer.startswith("search:")],
)
def test_every_documented_search_parameter_is_accepted(params_key: str) -> None:
    assert sorted(_documented(params_key) - SEARCH_PARAMS) == []


def test_every_searchable_collection_is_in_the_contract_table() -> None:
    searched = {
        op.pattern.removesuffix("/search") for op in OPERATIONS if op.answer.startswith("search:")
    }
    assert searched == set(SEARCHABLE)


def test_prices_filter_by_lookup_keys_and_recurring_interval(
    world: World, client: stripe.StripeClient
) -> None:
    product = world.product("Pro")
    monthly = resources.price(
        world.state, product=product["id"], unit_amount=2000, lookup_key="pro_monthly"
    )
    annual = resources.price(
        world.state,
        product=product["id"],
        unit_amount=20000,
        interval="year",
        lookup_key="pro_annual",
    )
    resources.price(world.state, product=product["id"], unit_amount=500, interval=None)
    by_key = client.v1.prices.list({"lookup_keys": ["pro_annual", "nope"]})
    assert [p.id for p in by_key.data] == [annual["id"]]
    yearly = client.v1.prices.list({"recurring": {"interval": "year"}})
    assert [p.id for p in yearly.data] == [annual["id"]]
    licensed = client.v1.prices.list({"recurring": {"usage_type": "licensed"}})
    assert {p.id for p in licensed.data} == {monthly["id"], annual["id"]}


def test_products_filter_by_type(world: World, client: stripe.StripeClient) -> None:
    world.product("Pro")
    assert len(client.v1.products.list({"type": "service"}).data) == 1
    assert client.v1.products.list({"type": "good"}).data == []


def test_subscriptions_filter_by_their_items_current_period(
    world: World, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    later = world.subscription(acme["jane"], acme["price"], anchor=NOW - 2 * DAY)
    start = later["items"]["data"][0]["current_period_start"]
    recent = client.v1.subscriptions.list({"current_period_start": {"gte": NOW - 5 * DAY}})
    assert [s.id for s in recent.data] == [later["id"]]
    exact = client.v1.subscriptions.list({"current_period_start": start})
    assert [s.id for s in exact.data] == [later["id"]]
    ending = client.v1.subscriptions.list(
        {"current_period_end": {"lt": later["items"]["data"][0]["current_period_end"]}}
    )
    assert [s.id for s in ending.data] == [acme["sub"]["id"]]


def test_subscriptions_filter_by_plan_and_automatic_tax(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    by_plan = client.v1.subscriptions.list({"plan": acme["price"]["id"]})
    assert [s.id for s in by_plan.data] == [acme["sub"]["id"]]
    assert client.v1.subscriptions.list({"plan": "price_other"}).data == []
    untaxed = client.v1.subscriptions.list({"automatic_tax": {"enabled": False}})
    assert [s.id for s in untaxed.data] == [acme["sub"]["id"]]
    assert client.v1.subscriptions.list({"automatic_tax": {"enabled": True}}).data == []


def test_charges_filter_by_transfer_group(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    acme["ch"]["transfer_group"] = "ORDER_42"
    grouped = client.v1.charges.list({"transfer_group": "ORDER_42"})
    assert [c.id for c in grouped.data] == [acme["ch"]["id"]]


def test_customer_account_is_accepted_and_matches_nothing_here(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    for lister in (
        client.v1.subscriptions,
        client.v1.invoices,
        client.v1.payment_intents,
        client.v1.payment_methods,
    ):
        assert lister.list({"customer_account": "acct_1Customer"}).data == []


def test_payment_intent_retrieve_checks_a_given_client_secret(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    pi = acme["pi"]
    found = client.v1.payment_intents.retrieve(pi["id"], {"client_secret": pi["client_secret"]})
    assert found.id == pi["id"]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.retrieve(pi["id"], {"client_secret": "pi_x_secret_wrong"})
    assert caught.value.param == "client_secret"
