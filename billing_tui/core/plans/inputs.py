"""The operator's own parameters for a plan: what they type in the confirmation, checked and
turned into a rebuilt :class:`Plan`.

A refund's amount and reason code, a seat change's target count, a cancel's timing (now, at
the end of the period, on a date). :func:`with_inputs` parses what was typed (a malformed value
raises :class:`InputError` naming the field) and rebuilds the plan through the builders, so
the diff, the revenue impact, the guards and the LIVE confirmation phrase all follow the
entered values; a plan is never edited as text. ``triage --refund-amount`` goes through the
same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from billing_tui.core.classify import Classification
from billing_tui.core.model import CustomerSnapshot, Money
from billing_tui.core.plans.build import plan_cancel, plan_refund, plan_update_quantity
from billing_tui.core.plans.impact import primary_item
from billing_tui.core.plans.plan import ActionKind, Plan, money_phrase, parse_money
from billing_tui.core.text import count_label, date_label

#: Stripe's refund reason codes, in the order the confirmation offers them.
REFUND_REASONS: tuple[str, ...] = ("duplicate", "fraudulent", "requested_by_customer")

#: The most seats a quantity change may set (Stripe accepts more; a typo like 100 for 10 is
#: far likelier than a real team of ten thousand).
MAX_SEATS = 9_999


class CancelWhen(StrEnum):
    """When a cancel takes effect (the ``mode`` parameter of a cancel plan)."""

    NOW = "immediately"
    PERIOD_END = "at_period_end"
    ON_DATE = "at_date"

    @property
    def label(self) -> str:
        return {
            CancelWhen.NOW: "now",
            CancelWhen.PERIOD_END: "at period end",
            CancelWhen.ON_DATE: "on a date",
        }[self]


class InputField(StrEnum):
    AMOUNT = "amount"
    REASON = "reason"
    SEATS = "seats"
    CANCEL = "cancel"
    CANCEL_DATE = "cancel_date"


class InputError(ValueError):
    """A value the operator typed that cannot be used; ``field`` says which one."""

    def __init__(self, field: InputField, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PlanRequest:
    """What the operator entered in the confirmation, as entered; None keeps the plan's own."""

    amount: str | None = None  # "9.50": the refund amount in the charge's currency
    reason: str | None = None  # duplicate | fraudulent | requested_by_customer
    seats: str | None = None  # "3": the seat count to change to
    cancel: CancelWhen | None = None
    cancel_date: str | None = None  # "2027-01-15" (UTC), for CancelWhen.ON_DATE


@dataclass(frozen=True)
class PlanInputs:
    """Which inputs a plan takes and what they start with, plus the facts shown beside them."""

    kind: ActionKind
    amount: str | None = None
    currency: str | None = None
    refundable: Money | None = None  # still refundable on the charge
    refunded_by_case: Money | None = None  # what this case already refunded of it
    reason: str | None = None
    seats: str | None = None
    current_seats: int | None = None
    cancel: CancelWhen | None = None
    cancel_date: str | None = None
    period_end: datetime | None = None

    @property
    def editable(self) -> bool:
        return self.kind in (
            ActionKind.REFUND,
            ActionKind.UPDATE_QUANTITY,
            ActionKind.CANCEL_SUBSCRIPTION,
        )

    def request(self) -> PlanRequest:
        """The request these starting values make (rebuilding with it changes nothing)."""
        return PlanRequest(
            amount=self.amount,
            reason=self.reason,
            seats=self.seats,
            cancel=self.cancel,
            cancel_date=self.cancel_date,
        )


def plan_inputs(
    plan: Plan, snapshot: CustomerSnapshot, *, refunded_by_case: Money | None = None
) -> PlanInputs:
    """The inputs ``plan`` offers in the confirmation, filled with the plan's own values."""
    target = plan.target_id or ""
    if plan.kind == ActionKind.REFUND:
        charge = snapshot.charge(target)
        return PlanInputs(
            kind=plan.kind,
            amount=money_phrase(plan.amount) if plan.amount else None,
            currency=plan.amount.currency if plan.amount else None,
            refundable=charge.refundable if charge is not None else None,
            refunded_by_case=refunded_by_case,
            reason=plan.param("reason") or "requested_by_customer",
        )
    sub = snapshot.subscription(target)
    if plan.kind == ActionKind.UPDATE_QUANTITY and sub is not None:
        item = primary_item(sub)
        return PlanInputs(
            kind=plan.kind,
            seats=plan.param("quantity"),
            current_seats=(item.quantity or 1) if item is not None else None,
        )
    if plan.kind == ActionKind.CANCEL_SUBSCRIPTION and sub is not None:
        mode = CancelWhen(plan.param("mode") or CancelWhen.NOW)
        stamp = plan.param("cancel_at")
        on = datetime.fromtimestamp(int(stamp), UTC) if stamp and stamp.isdigit() else None
        return PlanInputs(
            kind=plan.kind,
            cancel=mode,
            cancel_date=date_label(on) if on is not None else "",
            period_end=sub.current_period_end,
        )
    return PlanInputs(kind=plan.kind)


# --------------------------------------------------------------------------- parsing


def parse_seats(text: str, current: int | None) -> int:
    """``"3"`` → 3: a whole number of seats, at least 1, at most :data:`MAX_SEATS`, and not
    the count the subscription already has."""
    raw = text.strip()
    if not raw.isdigit():
        raise InputError(InputField.SEATS, f"{text!r} is not a number of seats (write it like 3)")
    seats = int(raw)
    if seats < 1:
        raise InputError(InputField.SEATS, "a subscription keeps at least 1 seat; cancel instead")
    if seats > MAX_SEATS:
        raise InputError(InputField.SEATS, f"{seats} seats is more than {MAX_SEATS:,}")
    if current is not None and seats == current:
        raise InputError(
            InputField.SEATS, f"the subscription already has {count_label(seats, 'seat')}"
        )
    return seats


def parse_cancel_date(text: str, now: datetime) -> datetime:
    """``"2027-01-15"`` → the start of that UTC day, which must be after ``now``."""
    raw = text.strip()
    if not raw:
        raise InputError(InputField.CANCEL_DATE, "type the cancel date (like 2027-01-15)")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InputError(
            InputField.CANCEL_DATE, f"{text!r} is not a date (write it like 2027-01-15)"
        ) from None
    when = datetime.combine(day, time(0, 0), tzinfo=UTC)
    if when <= now:
        raise InputError(
            InputField.CANCEL_DATE,
            f"a cancel date must be in the future (after {date_label(now)})",
        )
    return when


def parse_refund(request: PlanRequest, plan: Plan) -> tuple[Money | None, str]:
    """The refund amount (None: the plan's own) and reason code a request names."""
    reason = request.reason or plan.param("reason") or "requested_by_customer"
    if reason not in REFUND_REASONS:
        raise InputError(
            InputField.REASON, f"unknown refund reason {reason!r}: {', '.join(REFUND_REASONS)}"
        )
    if request.amount is None or plan.amount is None:
        return plan.amount, reason
    if not request.amount.strip():
        raise InputError(InputField.AMOUNT, "type the amount to refund (like 9.50)")
    try:
        return parse_money(request.amount, plan.amount.currency), reason
    except ValueError as exc:
        raise InputError(InputField.AMOUNT, str(exc)) from None


# --------------------------------------------------------------------------- rebuilding


def with_inputs(
    plan: Plan,
    snapshot: CustomerSnapshot,
    request: PlanRequest,
    *,
    classification: Classification | None = None,
    live: bool = False,
    now: datetime | None = None,
) -> Plan:
    """``plan`` rebuilt with the operator's parameters, every guard re-applied.

    Raises :class:`InputError` for a value that cannot be parsed; a value that parses but
    must not run (more than is refundable) comes back as the plan's ``blocked_reason``.
    """
    target = plan.target_id or ""
    when = now or snapshot.loaded_at
    if plan.kind == ActionKind.REFUND:
        amount, reason = parse_refund(request, plan)
        return plan_refund(
            snapshot,
            target,
            amount=amount,
            reason=reason,
            classification=classification,
            live=live,
            why=plan.rationale,
            recommended=plan.recommended,
        )
    if plan.kind == ActionKind.UPDATE_QUANTITY and request.seats is not None:
        inputs = plan_inputs(plan, snapshot)
        seats = parse_seats(request.seats, inputs.current_seats)
        return plan_update_quantity(
            snapshot,
            target,
            seats,
            prorate_now=plan.param("proration_behavior") == "create_prorations",
            classification=classification,
            live=live,
            now=when,
            why=plan.rationale,
            recommended=plan.recommended,
        )
    if plan.kind == ActionKind.CANCEL_SUBSCRIPTION and request.cancel is not None:
        on = (
            parse_cancel_date(request.cancel_date or "", when)
            if request.cancel == CancelWhen.ON_DATE
            else None
        )
        return plan_cancel(
            snapshot,
            target,
            at_period_end=request.cancel == CancelWhen.PERIOD_END,
            cancel_at=on,
            classification=classification,
            live=live,
            now=when,
            why=plan.rationale,
            recommended=plan.recommended,
        )
    return plan
