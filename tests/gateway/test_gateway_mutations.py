"""Mutations over the sandbox: refunds, cancels, updates, portal sessions, paying invoices."""

from __future__ import annotations

from typing import Any

import pytest

from billing_tui.core.model import Money, SubscriptionStatus
from billing_tui.gateway import InvalidRequest, NotFound
from tests.gateway.conftest import GatewayFactory, objects


async def test_refund_carries_metadata_and_key_and_is_not_repeated(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-checkout")
    kwargs: dict[str, Any] = {
        "amount": None,
        "reason": "duplicate",
        "metadata": {"case_id": "case-7", "operator": "ana"},
        "idempotency_key": "case-7:refund:ch_dupcheckoutB001",
    }
    first = await gateway.create_refund("ch_dupcheckoutB001", **kwargs)
    assert first.obj.amount == Money(1900, "usd")
    assert first.obj.charge_id == "ch_dupcheckoutB001"
    assert dict(first.obj.metadata) == {"case_id": "case-7", "operator": "ana"}
    assert first.request_id
    # A retry after a crash reuses the key: the same refund comes back, no second refund.
    again = await gateway.create_refund("ch_dupcheckoutB001", **kwargs)
    assert again.obj.id == first.obj.id
    assert len(objects(sandbox, "refund", charge="ch_dupcheckoutB001")) == 1
    charge = await gateway.retrieve_charge("ch_dupcheckoutB001")
    assert charge.refunded
    assert [r.id for r in charge.refunds] == [first.obj.id]


async def test_over_refund_keeps_stripes_message(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    with pytest.raises(InvalidRequest) as err:
        await gateway.create_refund(
            "ch_dupcheckoutA001", amount=5000, reason=None, idempotency_key="case-8:refund"
        )
    assert err.value.over_refund
    assert "greater than" in str(err.value)


async def test_refund_of_a_refunded_charge_is_refused_with_the_code(make: GatewayFactory) -> None:
    sandbox, gateway = make("duplicate-already-refunded")
    charge = next(c for c in sandbox.state.all("charge") if c.get("refunded"))
    with pytest.raises(InvalidRequest) as err:
        await gateway.create_refund(
            charge["id"], amount=None, reason="duplicate", idempotency_key="case-9:refund"
        )
    assert err.value.code == "charge_already_refunded"


async def test_refund_of_unknown_charge(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    with pytest.raises(NotFound, match="ch_nosuchcharge1"):
        await gateway.create_refund(
            "ch_nosuchcharge1", amount=100, reason=None, idempotency_key="case-10:refund"
        )


async def test_cancel_now_then_again_is_done_not_an_error(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    done = await gateway.cancel_subscription("sub_dupcheckoutB", comment="duplicate checkout")
    assert done.obj.status is SubscriptionStatus.CANCELED
    assert done.note is None
    # A cancel retried after a crash: Stripe answers 404 for the DELETE; we report it done.
    again = await gateway.cancel_subscription("sub_dupcheckoutB")
    assert again.obj.status is SubscriptionStatus.CANCELED
    assert again.note is not None
    assert "already canceled" in again.note
    fresh = await gateway.retrieve_subscription("sub_dupcheckoutA")
    assert fresh.status is SubscriptionStatus.ACTIVE  # the other one untouched


async def test_cancel_unknown_subscription_is_not_found(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    with pytest.raises(NotFound, match="sub_nosuchsub1"):
        await gateway.cancel_subscription("sub_nosuchsub1")


async def test_cancel_at_period_end_and_undo(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    meta = {"case_id": "case-11"}
    later = await gateway.update_subscription(
        "sub_dupcheckoutB", cancel_at_period_end=True, metadata=meta, idempotency_key="c11:a"
    )
    assert later.obj.cancel_at_period_end
    assert later.obj.status is SubscriptionStatus.ACTIVE
    assert later.obj.metadata["case_id"] == "case-11"
    undone = await gateway.update_subscription(
        "sub_dupcheckoutB", cancel_at_period_end=False, idempotency_key="c11:b"
    )
    assert not undone.obj.cancel_at_period_end


async def test_quantity_change_of_a_single_item_subscription(make: GatewayFactory) -> None:
    sandbox, gateway = make("seat-reduction")
    sub = next(iter(sandbox.state.all("subscription")))
    result = await gateway.update_subscription(
        sub["id"], quantity=3, proration_behavior="none", idempotency_key="c12:qty"
    )
    assert result.obj.quantity == 3


async def test_portal_session_deep_link(make: GatewayFactory) -> None:
    _, gateway = make("duplicate-checkout")
    made = await gateway.create_portal_session(
        "cus_dupcheckout1",
        return_url="https://example.com/account",
        flow_type="subscription_cancel",
        subscription_id="sub_dupcheckoutB",
        idempotency_key="c13:portal",
    )
    assert made.obj.url.startswith("http")
    assert made.obj.id.startswith("bps_")
    assert made.obj.customer_id == "cus_dupcheckout1"
    assert made.obj.flow_type == "subscription_cancel"


async def test_portal_flow_needs_a_subscription() -> None:
    from tests.gateway.conftest import gateway_for, sandbox_for

    gateway = gateway_for(sandbox_for("duplicate-checkout"))
    with pytest.raises(ValueError, match="subscription id"):
        await gateway.create_portal_session(
            "cus_dupcheckout1",
            return_url="https://example.com",
            flow_type="subscription_update",
            idempotency_key="k",
        )


async def test_paying_an_open_invoice_with_an_expired_card_is_declined(
    make: GatewayFactory,
) -> None:
    sandbox, gateway = make("failed-renewal")
    invoice = next(i for i in sandbox.state.all("invoice") if i["status"] == "open")
    with pytest.raises(InvalidRequest) as err:
        await gateway.pay_invoice(invoice["id"], idempotency_key="c14:pay")
    assert err.value.code in {"expired_card", "card_declined"}
