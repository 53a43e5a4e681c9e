"""Resolution of every identifier kind over the sandbox: who is behind what the ticket says."""

from __future__ import annotations

import pytest

from billing_tui.core.identify import IdentifierKind
from billing_tui.gateway import NotFound
from tests.gateway.conftest import GatewayFactory, objects


async def test_email_exact_finds_the_customer_in_one_round(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout")
    res = await gateway.resolve("dana.whitfield@example.com")
    assert res.kind is IdentifierKind.EMAIL
    assert res.customer_ids == ("cus_dupcheckout1",)
    assert "exact email" in res.candidates[0].matched_by
    assert res.stats.rounds == 1
    assert res.stats.requests == len(sandbox.request_log)  # we count what the server saw
    assert any("Search" in note and "lag" in note for note in res.notes)
    assert not res.email_collision


@pytest.mark.parametrize("typed", ["DANA.Whitfield@Example.com", "  <dana.whitfield@EXAMPLE.com> "])
async def test_email_case_variants_are_found(make: GatewayFactory, typed: str) -> None:
    _, gateway = make("duplicate-checkout")
    res = await gateway.resolve(typed)
    assert res.customer_ids == ("cus_dupcheckout1",)


async def test_customers_differing_only_in_email_case_are_all_reported(
    make: GatewayFactory,
) -> None:
    _, gateway = make("duplicate-customers")
    res = await gateway.resolve("sam.lee@example.com")
    assert set(res.customer_ids) == {"cus_dupcustA", "cus_dupcustB"}
    assert res.email_collision
    by_id = {c.customer.id: c.matched_by for c in res.candidates}
    # The exact (case-sensitive) list finds one; the other only through Search.
    assert "exact email" in by_id["cus_dupcustB"]
    assert by_id["cus_dupcustA"] == "email search (case-insensitive)"


async def test_customer_id_also_brings_customers_sharing_its_email(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-customers")
    res = await gateway.resolve("cus_dupcustA")
    assert res.kind is IdentifierKind.CUSTOMER
    assert res.customer_ids == ("cus_dupcustA", "cus_dupcustB")
    assert res.candidates[1].matched_by == "same email as cus_dupcustA"
    assert res.email_collision


async def test_subscription_id_maps_to_its_customer(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    res = await gateway.resolve("sub_dupcheckoutB")
    assert res.kind is IdentifierKind.SUBSCRIPTION
    assert res.customer_ids == ("cus_dupcheckout1",)
    assert res.object_id == "sub_dupcheckoutB"
    assert res.candidates[0].matched_by == "owner of subscription sub_dupcheckoutB"


@pytest.mark.parametrize("kind", ["invoice", "charge", "payment_intent"])
async def test_invoice_charge_and_payment_intent_ids_map_to_the_customer(
    make: GatewayFactory, kind: str
) -> None:
    sandbox, gateway = make("duplicate-checkout", prefetch=False)
    stored = objects(sandbox, kind, customer="cus_dupcheckout1")
    assert stored, f"the scenario has no {kind}"
    before = len(sandbox.request_log)
    res = await gateway.resolve(stored[0]["id"])
    assert res.customer_ids == ("cus_dupcheckout1",)
    assert res.kind is IdentifierKind(kind)
    # one request (customer expanded) + the same-email check (exact list + search)
    assert len(sandbox.request_log) - before == 3
    assert res.stats.rounds == 2


async def test_refund_id_maps_through_its_charge(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-already-refunded")
    refund = next(iter(sandbox.state.all("refund")))
    charge = sandbox.state.get("charge", refund["charge"])
    res = await gateway.resolve(refund["id"])
    assert res.kind is IdentifierKind.REFUND
    assert res.customer_ids == (charge["customer"],)


async def test_dispute_id_maps_through_its_charge(make: GatewayFactory) -> None:
    _, gateway = make("disputed-charge")
    res = await gateway.resolve("dp_disputed1")
    assert res.kind is IdentifierKind.DISPUTE
    assert res.customer_ids == ("cus_disputed1",)


@pytest.mark.parametrize("typed", ["adapark-dev", "@adapark-dev", "AdaPark-Dev"])
async def test_github_user_is_found_through_customer_metadata(
    make: GatewayFactory, typed: str
) -> None:
    _, gateway = make("github-mapped")
    res = await gateway.resolve(typed)
    assert res.kind is IdentifierKind.GITHUB
    assert res.customer_ids == ("cus_github1",)
    assert "metadata['github']" in res.candidates[0].matched_by


async def test_github_lookup_falls_back_to_a_name_search(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    res = await gateway.resolve("Whitfield")  # one token: a GitHub-shaped name
    assert res.customer_ids == ("cus_dupcheckout1",)
    assert res.candidates[0].matched_by == "name search"
    assert any("metadata['github']" in note for note in res.notes)


async def test_name_search(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout", "healthy")
    res = await gateway.resolve("Dana Whitfield")
    assert res.kind is IdentifierKind.NAME
    assert res.customer_ids == ("cus_dupcheckout1",)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nobody@example.com", "No customer has the email 'n***@example.com'"),  # masked
        ("cus_doesnotexist1", "No such customer: cus_doesnotexist1"),
        ("sub_doesnotexist1", "No such subscription: sub_doesnotexist1"),
        ("in_doesnotexist1", "No such invoice: in_doesnotexist1"),
        ("ch_doesnotexist1", "No such charge: ch_doesnotexist1"),
        ("pi_doesnotexist1", "No such payment intent: pi_doesnotexist1"),
        ("re_doesnotexist1", "No such refund: re_doesnotexist1"),
        ("dp_doesnotexist1", "No such dispute: dp_doesnotexist1"),
        ("nosuchghuser", "No customer has GitHub user 'nosuchghuser'"),
        ("Nobody Byname", "No customer name contains 'Nobody Byname'"),
    ],
)
async def test_unknown_identifiers_say_what_was_not_found(
    make: GatewayFactory, typed: str, message: str
) -> None:
    _, gateway = make("duplicate-checkout")
    with pytest.raises(NotFound) as err:
        await gateway.resolve(typed)
    assert str(err.value).startswith(message)


async def test_quotes_in_an_email_or_name_are_escaped_for_search(make: GatewayFactory) -> None:
    sandbox, gateway = make("healthy")
    customer = dict(next(iter(sandbox.state.all("customer"))))
    customer.update(id="cus_obrien00001", email="Sean.O'Brien@example.com", name="Seán O'Brien")
    sandbox.state.add(customer)
    sandbox.query.invalidate()
    by_email = await gateway.resolve("sean.o'brien@example.com")
    assert by_email.customer_ids == ("cus_obrien00001",)
    by_name = await gateway.resolve("Seán O'Brien")
    assert by_name.customer_ids == ("cus_obrien00001",)
