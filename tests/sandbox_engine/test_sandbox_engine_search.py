"""The Search API's query language through the SDK."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .conftest import NOW, World

JSON = dict[str, Any]


def ids(result: Any) -> list[str]:
    return [o.id for o in result.data]


def test_email_exact_match_is_case_insensitive(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    found = client.v1.customers.search({"query": "email:'JANE@example.com'"})
    assert found.object == "search_result"
    assert found.url == "/v1/customers/search"
    assert set(ids(found)) == {acme["jane"]["id"], acme["other"]["id"]}


def test_substring_metadata_negation_and_or(
    world: World, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    bob = world.customer("bob@corp.test", name="Bob Stone", metadata={"github": "bobs"})
    assert ids(client.v1.customers.search({"query": "email~'corp.te'"})) == [bob["id"]]
    assert ids(client.v1.customers.search({"query": "metadata['github']:'janed'"})) == [
        acme["jane"]["id"]
    ]
    assert ids(client.v1.customers.search({"query": 'metadata["github"]:"bobs"'})) == [bob["id"]]
    both = client.v1.customers.search({"query": "name:'bob stone' OR phone:'+15555550100'"})
    assert set(ids(both)) == {bob["id"], acme["jane"]["id"]}
    anded = client.v1.customers.search({"query": "email~'example' AND -name:'Jane D.'"})
    assert ids(anded) == [acme["jane"]["id"]]
    spaced = client.v1.customers.search({"query": "email~'example' -name:'Jane D.'"})
    assert ids(spaced) == [acme["jane"]["id"]]


def test_created_comparisons(client: stripe.StripeClient, acme: dict[str, JSON]) -> None:
    recent = client.v1.customers.search({"query": f"created>{NOW - 10 * 86400}"})
    assert ids(recent) == [acme["other"]["id"]]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("email~'ja'", "at least 3 characters"),
        ("email:'a' AND name:'b' OR phone:'c'", "can't mix AND and OR"),
        ("colour:'blue'", "Field 'colour' is not supported"),
        ("email:", "could not parse"),
        ("   ", "can't be empty"),
        ("", "empty string for 'query'"),
    ],
)
def test_bad_queries_are_400_on_param_query(
    client: stripe.StripeClient, acme: dict[str, JSON], query: str, fragment: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.search({"query": query})
    assert info.value.param == "query"
    assert fragment in str(info.value)


def test_search_pages_with_next_page(
    client: stripe.StripeClient, many_customers: list[JSON]
) -> None:
    first = client.v1.customers.search({"query": "email~'example.com'", "limit": 10})
    assert first.has_more is True
    assert first.next_page
    second = client.v1.customers.search(
        {"query": "email~'example.com'", "limit": 10, "page": first.next_page}
    )
    assert ids(second) == [c["id"] for c in many_customers[10:20]]
    every = [
        c.id
        for c in client.v1.customers.search(
            {"query": "email~'example.com'", "limit": 4}
        ).auto_paging_iter()
    ]
    assert every == [c["id"] for c in many_customers]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.search({"query": "email~'example'", "page": "garbage!"})
    assert info.value.param == "page"


async def test_subscription_and_charge_search_async(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    subs = await client.v1.subscriptions.search_async({"query": "status:'active'"})
    assert ids(subs) == [acme["sub"]["id"]]
    charges = await client.v1.charges.search_async(
        {"query": f"customer:'{acme['jane']['id']}' AND refunded:'false'"}
    )
    assert set(ids(charges)) == {acme["ch"]["id"], acme["ch_old"]["id"]}
    invoices = await client.v1.invoices.search_async({"query": "total>=2000 AND status:'paid'"})
    assert set(ids(invoices)) == {acme["inv"]["id"], acme["inv_old"]["id"]}
