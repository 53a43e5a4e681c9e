"""Action plans: what the workstation may do for a case, its diff and revenue impact.

A :class:`Plan` is pure data computed from a snapshot and a classification; executing it
(write-ahead, idempotent) is the desk's job (``billing_tui.desk.execute``). The package:
``plan`` (the values, idempotency keys), ``guards``, ``impact`` (MRR / ARR / proration),
``build`` (one builder per action kind) and ``recommend`` (the plans per bucket, in the safe
order). This module re-exports their public names.
"""

from __future__ import annotations

from billing_tui.core.plans.build import (
    plan_cancel,
    plan_note,
    plan_portal,
    plan_refund,
    plan_retry_invoice,
    plan_update_quantity,
    with_refund_amount,
)
from billing_tui.core.plans.guards import (
    cancel_guard,
    completeness_guard,
    money_guard,
    open_refundable_disputes,
    portal_flow_guard,
    refund_guard,
    seats_guard,
    settled,
)
from billing_tui.core.plans.impact import (
    arr_of,
    mrr_change,
    primary_item,
    proration_estimate,
    with_quantity,
)
from billing_tui.core.plans.plan import (
    PLAN_PERMISSIONS,
    ActionKind,
    ActionOutcome,
    DiffRow,
    Failure,
    FailureKind,
    Plan,
    RevenueImpact,
    Step,
    amount_of,
    bool_text,
    confirm_phrase_for,
    describe_action,
    idempotency_key,
    metadata_for,
    money_phrase,
    next_invoice_text,
    observe,
    parse_money,
    plan_idempotency_key,
    signed,
)
from billing_tui.core.plans.recommend import cancellable_duplicates, paid_charges_of, recommend

__all__ = [
    "PLAN_PERMISSIONS",
    "ActionKind",
    "ActionOutcome",
    "DiffRow",
    "Failure",
    "FailureKind",
    "Plan",
    "RevenueImpact",
    "Step",
    "amount_of",
    "arr_of",
    "bool_text",
    "cancel_guard",
    "cancellable_duplicates",
    "completeness_guard",
    "confirm_phrase_for",
    "describe_action",
    "idempotency_key",
    "metadata_for",
    "money_guard",
    "money_phrase",
    "mrr_change",
    "next_invoice_text",
    "observe",
    "open_refundable_disputes",
    "paid_charges_of",
    "parse_money",
    "plan_cancel",
    "plan_idempotency_key",
    "plan_note",
    "plan_portal",
    "plan_refund",
    "plan_retry_invoice",
    "plan_update_quantity",
    "portal_flow_guard",
    "primary_item",
    "proration_estimate",
    "recommend",
    "refund_guard",
    "seats_guard",
    "settled",
    "signed",
    "with_quantity",
    "with_refund_amount",
]
