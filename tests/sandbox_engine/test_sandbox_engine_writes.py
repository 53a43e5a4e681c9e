"""Mutations through the SDK: refunds, cancel/update, portal sessions and configurations,
paying invoices, idempotency."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.state import SandboxState
from billing_tui.sandbox.wire import format_money

from .conftest import DAY, NOW, World

JSON = dict[str, Any]

# --------------------------------------------------------------------------- refunds


def test_partial_then_full_refund_updates_the_charge(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    charge_id = acme["ch"]["id"]
    first = client.v1.refunds.create(
        {"charge": charge_id, "amount": 700, "reason": "duplicate", "metadata": {"case": "42"}}
    )
    assert first.status == "succeeded"
    assert first.amount == 700
    assert first.reason == "duplicate"
    assert first.metadata.to_dict() == {"case": "42"}
    assert first.balance_transaction.startswith("txn_")
    rest = client.v1.refunds.create({"payment_intent": acme["pi"]["id"]})
    assert rest.amount == 1300
    assert rest.charge == charge_id
    charge = client.v1.charges.retrieve(charge_id, {"expand": ["refunds"]})
    assert charge.amount_refunded == 2000
    assert charge.refunded is True
    assert {r.id for r in charge.refunds.data} == {first.id, rest.id}
    listed = client.v1.refunds.list({"charge": charge_id})
    assert [r.id for r in listed.data] == [rest.id, first.id]
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"charge": charge_id, "amount": 1})
    assert again.value.code == "charge_already_refunded"


def test_over_refund_names_param_amount_with_amounts(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": acme["ch_old"]["id"], "amount": 1600})
    assert info.value.param == "amount"
    assert "Refund amount ($16.00) is greater than unrefunded amount on charge ($15.00)" in str(
        info.value
    )
    assert client.v1.charges.retrieve(acme["ch_old"]["id"]).amount_refunded == 500


def test_zero_decimal_currency_amounts_in_messages(
    world: World, client: stripe.StripeClient
) -> None:
    yuki = world.customer("yuki@example.jp")
    _, charge = world.payment(yuki, None, 1200)
    charge["currency"] = "jpy"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": charge["id"], "amount": 5000})
    assert "Refund amount (¥5,000) is greater than unrefunded amount on charge (¥1,200)" in str(
        info.value
    )


def test_disputed_charge_refund_rules(
    world: World, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    world.dispute(acme["ch"], refundable=False)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create({"charge": acme["ch"]["id"]})
    assert info.value.code == "charge_disputed"
    world.dispute(acme["ch_old"], refundable=True, status="warning_needs_response")
    assert client.v1.refunds.create({"charge": acme["ch_old"]["id"]}).amount == 1500


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"amount": 100}, None, "parameter_missing"),
        ({"charge": "ch_nope"}, "charge", "resource_missing"),
        ({"charge": "CH", "reason": "angry"}, "reason", "parameter_invalid_string"),
        ({"charge": "CH", "amount": 0}, "amount", "parameter_invalid_integer"),
        ({"charge": "CH", "colour": "red"}, "colour", "parameter_unknown"),
    ],
)
def test_refund_parameter_errors(
    client: stripe.StripeClient,
    acme: dict[str, JSON],
    params: JSON,
    param: str | None,
    code: str,
) -> None:
    if params.get("charge") == "CH":
        params = {**params, "charge": acme["ch"]["id"]}
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params)  # type: ignore[arg-type]
    assert info.value.param == param
    assert info.value.code == code
    assert acme["ch"]["amount_refunded"] == 0


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.integers(min_value=1, max_value=50_000),
    requests=st.lists(st.integers(min_value=1, max_value=60_000), max_size=6),
)
def test_refunds_never_exceed_the_captured_amount(amount: int, requests: list[int]) -> None:
    world = World(SandboxState())
    sandbox = Sandbox(world.state, now=DEFAULT_TEST_NOW)
    client = sandbox.stripe_client("sk_test_engine1234", max_network_retries=0)
    customer = world.customer("h@example.com")
    _, charge = world.payment(customer, None, amount)
    refunded = 0
    for ask in requests:
        if ask > amount - refunded:
            with pytest.raises(stripe.InvalidRequestError) as info:
                client.v1.refunds.create({"charge": charge["id"], "amount": ask})
            if refunded == amount:
                assert info.value.code == "charge_already_refunded"
            else:
                assert info.value.param == "amount"
        else:
            client.v1.refunds.create({"charge": charge["id"], "amount": ask})
            refunded += ask
        assert refunded <= amount
        assert charge["amount_refunded"] == refunded
        assert charge["refunded"] == (refunded == amount)
    total = sum(r.amount for r in client.v1.refunds.list({"charge": charge["id"]}).data)
    assert total == refunded


@given(amount=st.integers(min_value=-(10**9), max_value=10**9))
def test_format_money_round_trips_minor_units(amount: int) -> None:
    text = format_money(amount, "usd")
    digits = text.replace("$", "").replace(",", "").replace(".", "")
    assert int(digits) == amount
    assert format_money(amount, "jpy").replace("¥", "").replace(",", "") == str(amount)


# --------------------------------------------------------------------------- idempotency


def test_same_key_replays_the_same_refund(
    client: stripe.StripeClient, acme: dict[str, JSON], sandbox: Sandbox
) -> None:
    params: JSON = {"charge": acme["ch"]["id"], "amount": 300}
    first = client.v1.refunds.create(params, {"idempotency_key": "refund:ch:300:T-1"})  # type: ignore[arg-type]
    second = client.v1.refunds.create(params, {"idempotency_key": "refund:ch:300:T-1"})  # type: ignore[arg-type]
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sandbox.state.objects["refund"]) == 2  # the fixture's refund + this one
    assert acme["ch"]["amount_refunded"] == 300
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.refunds.create(
            {"charge": acme["ch"]["id"], "amount": 400}, {"idempotency_key": "refund:ch:300:T-1"}
        )
    assert "same parameters" in str(info.value)


def test_validation_failures_are_not_saved_under_the_key(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    key = {"idempotency_key": "fix-and-retry"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": acme["ch"]["id"], "reason": "angry"}, key)  # type: ignore[arg-type,typeddict-item]
    refund = client.v1.refunds.create({"charge": acme["ch"]["id"], "reason": "duplicate"}, key)  # type: ignore[arg-type]
    assert refund.amount == 2000


def test_business_errors_are_replayed(client: stripe.StripeClient, acme: dict[str, JSON]) -> None:
    key = {"idempotency_key": "over"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.refunds.create({"charge": acme["ch"]["id"], "amount": 9999}, key)  # type: ignore[arg-type]
        assert info.value.param == "amount"
    assert info.value.headers is not None
    assert info.value.headers.get("Idempotent-Replayed") == "true"


def test_key_reused_on_another_endpoint_is_an_idempotency_error(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    client.v1.refunds.create({"charge": acme["ch"]["id"]}, {"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.billing_portal.sessions.create(
            {"customer": acme["jane"]["id"]}, {"idempotency_key": "k1"}
        )
    assert "same endpoint" in str(info.value)


def test_key_in_use_is_409(sandbox: Sandbox, acme: dict[str, JSON]) -> None:
    headers = {"Authorization": "Bearer sk_test_engine1234", "Idempotency-Key": "busy"}
    body = f"charge={acme['ch']['id']}"
    reservation = sandbox.idempotency.begin(
        False, "busy", "POST", "/v1/refunds", {"charge": acme["ch"]["id"]}, "req_x"
    )
    status, payload, _ = sandbox.handle("POST", "/v1/refunds", headers, body)
    assert status == 409
    assert payload["error"]["code"] == "idempotency_key_in_use"
    sandbox.idempotency.finish(reservation, None)
    status, payload, _ = sandbox.handle("POST", "/v1/refunds", headers, body)
    assert status == 200
    assert payload["object"] == "refund"


# --------------------------------------------------------------------------- subscriptions


def test_cancel_then_cancel_again_is_404_and_retrieve_still_works(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    sub_id = acme["sub"]["id"]
    canceled = client.v1.subscriptions.cancel(
        sub_id, {"cancellation_details": {"comment": "duplicate seat", "feedback": "unused"}}
    )
    assert canceled.status == "canceled"
    assert canceled.canceled_at == NOW
    assert canceled.ended_at == NOW
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert canceled.cancellation_details.comment == "duplicate seat"
    assert canceled.cancellation_details.feedback == "unused"
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.subscriptions.cancel(sub_id)
    assert again.value.http_status == 404
    assert again.value.code == "resource_missing"
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as update:
        client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": True})
    assert "A canceled subscription can only update its cancellation_details and metadata." in str(
        update.value
    )
    kept = client.v1.subscriptions.update(sub_id, {"metadata": {"ticket": "T-9"}})
    assert kept.metadata.ticket == "T-9"


def test_cancel_with_prorate_credits_unused_time_to_the_balance(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    # The period runs from NOW-10d to NOW+20d: two thirds of $20.00 is unused.
    client.v1.subscriptions.cancel(acme["sub"]["id"], {"prorate": True})
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == -1333


def test_cancel_with_invoice_now_and_prorate_issues_a_final_credit_invoice(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    sub = client.v1.subscriptions.cancel(
        acme["sub"]["id"], {"prorate": True, "invoice_now": True, "expand": ["latest_invoice"]}
    )
    final = sub.latest_invoice
    assert final.id != acme["inv"]["id"]
    assert final.total == -1333
    assert final.status == "paid"
    assert final.lines.data[0].parent.subscription_item_details.proration is True
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == -1333


def test_pending_prorations_follow_the_cancel_options(
    client: stripe.StripeClient, acme: dict[str, JSON], world: World
) -> None:
    item_id = acme["sub"]["items"]["data"][0]["id"]
    # +2 seats for the remaining two thirds of the period: +$26.67 pending.
    client.v1.subscriptions.update(acme["sub"]["id"], {"items": [{"id": item_id, "quantity": 3}]})
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == 0
    client.v1.subscriptions.cancel(acme["sub"]["id"], {"prorate": True})
    # Pending +2667, minus the credit for 3 seats' unused time (-4000): settled on the balance.
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == 2667 - 4000

    other = world.subscription(acme["jane"], acme["price"])
    other_item = other["items"]["data"][0]["id"]
    client.v1.subscriptions.update(other["id"], {"items": [{"id": other_item, "quantity": 2}]})
    client.v1.subscriptions.cancel(other["id"])
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == 2667 - 4000


def test_cancel_without_options_leaves_money_alone(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    client.v1.subscriptions.cancel(acme["sub"]["id"])
    assert client.v1.customers.retrieve(acme["jane"]["id"]).balance == 0
    assert len(client.v1.invoices.list({"customer": acme["jane"]["id"]}).data) == 2


def test_cancel_at_period_end_and_undo(client: stripe.StripeClient, acme: dict[str, JSON]) -> None:
    sub_id = acme["sub"]["id"]
    period_end = acme["sub"]["items"]["data"][0]["current_period_end"]
    pending = client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": True})
    assert pending.status == "active"
    assert pending.cancel_at_period_end is True
    assert pending.cancel_at == period_end
    undone = client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": False})
    assert undone.cancel_at is None
    assert undone.cancel_at_period_end is False
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": True, "cancel_at": NOW + 5})
    assert both.value.param == "cancel_at"


def test_quantity_change_with_always_invoice_bills_the_difference(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    item_id = acme["sub"]["items"]["data"][0]["id"]
    sub = client.v1.subscriptions.update(
        acme["sub"]["id"],
        {
            "items": [{"id": item_id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice.payments"],
        },
    )
    assert sub["items"].data[0].quantity == 3
    invoice = sub.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert [line.amount for line in invoice.lines.data] == [-1333, 4000]
    assert invoice.total == 2667
    assert invoice.status == "paid"
    assert invoice.payments.data[0].amount_paid == 2667
    assert client.v1.subscription_items.retrieve(item_id).quantity == 3


def test_quantity_change_without_proration_changes_only_quantity(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    item_id = acme["sub"]["items"]["data"][0]["id"]
    sub = client.v1.subscriptions.update(
        acme["sub"]["id"],
        {"items": [{"id": item_id, "quantity": 2}], "proration_behavior": "none"},
    )
    assert sub["items"].data[0].quantity == 2
    assert sub.latest_invoice == acme["inv"]["id"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.subscriptions.update(
            acme["sub"]["id"], {"items": [{"id": "si_nope", "quantity": 1}]}
        )
    assert info.value.param == "items[0][id]"


# --------------------------------------------------------------------------- invoices


def test_paying_with_an_expired_card_is_declined_and_counted(
    world: World, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    acme["pm"]["card"]["exp_year"] = 2026
    acme["pm"]["card"]["exp_month"] = 10  # ended before 2026-11-26
    acme["sub"]["status"] = "past_due"
    invoice = world.invoice(acme["jane"], acme["sub"], 2000, status="open", created=NOW - DAY)
    with pytest.raises(stripe.CardError) as info:
        client.v1.invoices.pay(invoice["id"])
    assert info.value.code == "expired_card"
    assert info.value.http_status == 402
    after = client.v1.invoices.retrieve(invoice["id"])
    assert after.status == "open"
    assert after.attempt_count == 2
    acme["pm"]["card"]["exp_year"] = 2031
    paid = client.v1.invoices.pay(invoice["id"])
    assert paid.status == "paid"
    assert paid.amount_remaining == 0
    assert client.v1.subscriptions.retrieve(acme["sub"]["id"]).status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice["id"])


# --------------------------------------------------------------------------- portal


def test_portal_session_with_cancel_flow(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    session = client.v1.billing_portal.sessions.create(
        {
            "customer": acme["jane"]["id"],
            "return_url": "https://acme.test/billing",
            "flow_data": {
                "type": "subscription_cancel",
                "subscription_cancel": {"subscription": acme["sub"]["id"]},
            },
        }
    )
    assert session.url.startswith("https://billing.stripe.com/p/session/test_")
    assert session.configuration == acme["config"]["id"]
    assert session.flow.subscription_cancel.subscription == acme["sub"]["id"]


def test_portal_flow_must_be_enabled_by_the_configuration(
    client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    config_id = acme["config"]["id"]
    client.v1.billing_portal.configurations.update(
        config_id, {"features": {"subscription_cancel": {"enabled": False}}}
    )
    flow = {
        "type": "subscription_cancel",
        "subscription_cancel": {"subscription": acme["sub"]["id"]},
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.sessions.create(
            {"customer": acme["jane"]["id"], "flow_data": flow}
        )  # type: ignore[typeddict-item]
    assert "subscription_cancel feature is disabled" in str(info.value)
    config = client.v1.billing_portal.configurations.update(
        config_id, {"features": {"subscription_cancel": {"enabled": True, "mode": "immediately"}}}
    )
    assert config.features.subscription_cancel.mode == "immediately"
    session = client.v1.billing_portal.sessions.create(
        {"customer": acme["jane"]["id"], "flow_data": flow}  # type: ignore[typeddict-item]
    )
    assert session.return_url == "https://acme.test/account"


def test_portal_without_a_default_configuration(world: World, client: stripe.StripeClient) -> None:
    lone = world.customer("lone@example.com")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.billing_portal.sessions.create(
            {"customer": lone["id"], "return_url": "https://acme.test"}
        )
    assert "until you save your customer portal settings in test mode" in str(info.value)


def _cancel_with(client: stripe.StripeClient, acme: dict[str, JSON], params: Any) -> object:
    return client.v1.subscriptions.cancel(acme["sub"]["id"], params)


def _session_with(client: stripe.StripeClient, acme: dict[str, JSON], params: Any) -> object:
    return client.v1.billing_portal.sessions.create({"customer": acme["jane"]["id"], **params})


def _configure_with(client: stripe.StripeClient, acme: dict[str, JSON], params: Any) -> object:
    return client.v1.billing_portal.configurations.update(acme["config"]["id"], params)


@pytest.mark.parametrize(
    ("call", "params", "param"),
    [
        (_cancel_with, {"cancellation_details": {"colour": "red"}}, "cancellation_details[colour]"),
        (_session_with, {"flow_data": {"colour": "red"}}, "flow_data[colour]"),
        (_configure_with, {"features": {"colour": {"enabled": True}}}, "features[colour]"),
        (
            _configure_with,
            {"features": {"invoice_history": {"colour": "red"}}},
            "features[invoice_history][colour]",
        ),
    ],
)
def test_unknown_nested_parameters_are_named_in_full(
    client: stripe.StripeClient, acme: dict[str, JSON], call: Any, params: JSON, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        call(client, acme, params)
    assert info.value.code == "parameter_unknown"
    assert info.value.param == param
    assert info.value.user_message == f"Received unknown parameter: {param}"


def test_clock_can_be_moved(
    sandbox: Sandbox, client: stripe.StripeClient, acme: dict[str, JSON]
) -> None:
    later = DEFAULT_TEST_NOW + dt.timedelta(days=1)
    sandbox.state.clock.set(later)
    refund = client.v1.refunds.create({"charge": acme["ch"]["id"], "amount": 1})
    assert refund.created == int(later.timestamp())
