"""``POST /v1/refunds``: refund a charge (or a PaymentIntent's charge) with Stripe's rules —
only succeeded, not fully refunded charges; not after a chargeback; never more than remains."""

from __future__ import annotations

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints.common import metadata_update
from billing_tui.sandbox.query import ref
from billing_tui.sandbox.resources.payments import REFUND_REASONS, captured_and_refunded
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import (
    ApiError,
    as_enum,
    as_int,
    as_str,
    bad_param,
    check_known,
    format_money,
    no_such,
)

REFUND_PARAMS = {
    "charge",
    "payment_intent",
    "amount",
    "reason",
    "metadata",
    "expand",
    "instructions_email",
    "refund_application_fee",
    "reverse_transfer",
    "currency",
    "customer",
    "origin",
}


def create_refund(ctx: Context) -> JSON:
    params = ctx.params
    check_known(params, REFUND_PARAMS)
    charge = _target_charge(ctx)
    reason = as_enum(params["reason"], "reason", REFUND_REASONS) if "reason" in params else None
    metadata = metadata_update({}, params["metadata"]) if "metadata" in params else {}
    amount_param = as_int(params["amount"], "amount", minimum=1) if "amount" in params else None
    captured, refunded = captured_and_refunded(charge)
    remaining = captured - refunded
    _check_refundable(ctx, charge, remaining)
    amount = remaining if amount_param is None else amount_param
    if amount > remaining:
        currency = str(charge["currency"])
        raise ApiError(
            400,
            f"Refund amount ({format_money(amount, currency)}) is greater than unrefunded "
            f"amount on charge ({format_money(remaining, currency)})",
            param="amount",
        )
    refund_id = ctx.state.new_id("refund")
    refund = resources.refund(
        ctx.state,
        id=refund_id,
        charge=charge["id"],
        amount=amount,
        reason=reason,
        created=ctx.now(),
        metadata=metadata,
        balance_transaction=ctx.state.new_id("balance_transaction"),
    )
    ctx.touch("refund")
    return ctx.render(refund)


def _target_charge(ctx: Context) -> JSON:
    """The charge the request names, directly or as a PaymentIntent's successful charge."""
    params = ctx.params
    if "origin" in params:
        raise bad_param(
            "origin", "The sandbox supports refunds of charges and payment intents only."
        )
    if "charge" in params and "payment_intent" in params:
        raise bad_param(
            "charge", "You may only specify one of these parameters: charge, payment_intent."
        )
    if "charge" in params:
        charge_id = as_str(params["charge"], "charge")
        charge = ctx.state.get("charge", charge_id)
        if charge is None:
            raise no_such("charge", charge_id, param="charge", status=400)
        return charge
    if "payment_intent" in params:
        return _intent_charge(ctx, as_str(params["payment_intent"], "payment_intent"))
    raise ApiError(
        400,
        "One of the following params should be provided for this request: payment_intent "
        "or charge.",
        code="parameter_missing",
        cacheable=False,
    )


def _intent_charge(ctx: Context, pi_id: str) -> JSON:
    intent = ctx.state.get("payment_intent", pi_id)
    if intent is None:
        raise no_such("payment_intent", pi_id, param="payment_intent", status=400)
    latest = ref(intent.get("latest_charge"))
    charge = ctx.state.get("charge", latest) if isinstance(latest, str) else None
    if charge is None or intent.get("status") != "succeeded":
        raise ApiError(
            400,
            f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
            code="charge_not_refundable",
            param="payment_intent",
        )
    return charge


def _check_refundable(ctx: Context, charge: JSON, remaining: int) -> None:
    """Stripe's refusals: not succeeded, already refunded, charged back."""
    param = "charge" if "charge" in ctx.params else "payment_intent"
    if charge.get("status") != "succeeded" or not charge.get("paid", True):
        raise ApiError(
            400,
            f"Charge {charge['id']} has not succeeded and cannot be refunded.",
            code="charge_not_refundable",
            param="charge",
        )
    if charge.get("refunded") or remaining <= 0:
        raise ApiError(
            400,
            f"Charge {charge['id']} has already been refunded.",
            code="charge_already_refunded",
            param=param,
        )
    if charge.get("disputed"):
        disputes = ctx.query.by("dispute", "charge", charge["id"])
        if not any(d.get("is_charge_refundable") for d in disputes):
            raise ApiError(
                400,
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
                param=param,
            )
