"""An object made through the API has the shape of a seeded one of the same kind (one factory
per Stripe object), and paying an invoice through the API settles it the way Stripe does."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox, resources
from billing_tui.sandbox.state import SandboxState

JSON = dict[str, Any]


def _seeded(state: SandboxState, kind: str, obj_id: str) -> JSON:
    obj = state.get(kind, obj_id)
    assert obj is not None, f"the scenario seeds {kind} {obj_id}"
    return obj


def _made(state: SandboxState, kind: str, before: set[str]) -> list[JSON]:
    return [o for o in state.objects[kind].values() if o["id"] not in before]


def _ids(state: SandboxState) -> dict[str, set[str]]:
    return {kind: set(bucket) for kind, bucket in state.objects.items()}


@pytest.fixture
def renewal() -> Sandbox:
    return Sandbox.demo(["failed-renewal"], now=DEFAULT_TEST_NOW)


def _new_card(sandbox: Sandbox) -> str:
    pm = resources.payment_method(
        sandbox.state,
        id="pm_failedrenewalnew",
        customer="cus_failedrenewal1",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2031,
    )
    sandbox.query.invalidate()
    return str(pm["id"])


def test_paying_a_failed_renewal_through_the_api_settles_it_like_stripe(
    renewal: Sandbox,
) -> None:
    state = renewal.state
    invoice = _seeded(state, "invoice", "in_failedrenewal1011")
    sub = _seeded(state, "subscription", "sub_failedrenewal1")
    assert (invoice["status"], invoice["attempt_count"], sub["status"]) == ("open", 3, "past_due")
    card = _new_card(renewal)

    paid = renewal.stripe_client("sk_test_shapes1234").v1.invoices.pay(
        "in_failedrenewal1011", {"payment_method": card}
    )

    assert paid.status == "paid"
    assert paid.amount_paid == paid.amount_due == 1900
    assert paid.amount_remaining == 0
    assert paid.attempted is True
    assert paid.attempt_count == 4
    assert paid.next_payment_attempt is None
    assert paid.auto_advance is False
    assert paid.status_transitions.paid_at == int(DEFAULT_TEST_NOW.timestamp())
    assert state.objects["subscription"]["sub_failedrenewal1"]["status"] == "active"


def test_objects_paid_through_the_api_have_the_seeded_keys(renewal: Sandbox) -> None:
    state = renewal.state
    seeded = {
        "payment_intent": _seeded(state, "payment_intent", "pi_failedrenewal1001"),
        "charge": _seeded(state, "charge", "ch_failedrenewal1001"),
        "invoice_payment": _seeded(state, "invoice_payment", "inpay_failedrenewal1001"),
    }
    client = renewal.stripe_client("sk_test_shapes1234")
    before = _ids(state)
    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay("in_failedrenewal1011")  # the default card has expired
    client.v1.invoices.pay("in_failedrenewal1011", {"payment_method": _new_card(renewal)})

    for kind, model in seeded.items():
        made = _made(state, kind, before[kind])
        assert len(made) == 2, kind  # one declined attempt, one paid
        for obj in made:
            assert set(obj) == set(model), kind


def test_a_declined_api_payment_intent_has_the_seeded_decline_shape(renewal: Sandbox) -> None:
    state = renewal.state
    seeded = _seeded(state, "payment_intent", "pi_failedrenewal1011")
    assert seeded["status"] == "requires_payment_method"
    before = _ids(state)
    with pytest.raises(stripe.CardError):
        renewal.stripe_client("sk_test_shapes1234").v1.invoices.pay("in_failedrenewal1011")
    (made,) = _made(state, "payment_intent", before["payment_intent"])
    assert made["status"] == "requires_payment_method"
    assert set(made) == set(seeded)
    assert set(made["last_payment_error"]) == set(seeded["last_payment_error"])


def test_a_refund_made_through_the_api_has_the_seeded_keys() -> None:
    sandbox = Sandbox.demo(["duplicate-already-refunded"], now=DEFAULT_TEST_NOW)
    state = sandbox.state
    (model,) = state.objects["refund"].values()
    charge = next(
        c
        for c in state.objects["charge"].values()
        if c["status"] == "succeeded" and not c["refunded"] and not c["disputed"]
    )
    before = _ids(state)
    sandbox.stripe_client("sk_test_shapes1234").v1.refunds.create(
        {"charge": charge["id"], "amount": 100}
    )
    (made,) = _made(state, "refund", before["refund"])
    assert set(made) == set(model)
    assert set(made["destination_details"]["card"]) == set(model["destination_details"]["card"])


def test_an_invoice_made_through_the_api_has_the_seeded_keys() -> None:
    sandbox = Sandbox.demo(["healthy"], now=DEFAULT_TEST_NOW)
    state = sandbox.state
    sub = next(s for s in state.objects["subscription"].values() if s["status"] == "active")
    model = _seeded(state, "invoice", str(sub["latest_invoice"]))
    model_line = model["lines"]["data"][0]
    model_pi = next(iter(state.objects["payment_intent"].values()))
    model_charge = next(iter(state.objects["charge"].values()))
    item = sub["items"]["data"][0]
    before = _ids(state)

    updated = sandbox.stripe_client("sk_test_shapes1234").v1.subscriptions.update(
        sub["id"],
        {
            "items": [{"id": item["id"], "quantity": item["quantity"] + 1}],
            "proration_behavior": "always_invoice",
        },
    )

    (made,) = _made(state, "invoice", before["invoice"])
    assert updated.latest_invoice == made["id"]
    assert made["status"] == "paid"
    assert set(made) == set(model)
    assert [set(line) for line in made["lines"]["data"]] == [set(model_line)] * 2
    for line in made["lines"]["data"]:
        assert state.get("line_item", line["id"]) is line
    for kind, other in (("payment_intent", model_pi), ("charge", model_charge)):
        (paid,) = _made(state, kind, before[kind])
        assert set(paid) == set(other), kind
