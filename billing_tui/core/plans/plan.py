"""Plan values: what an action is, what it changes, what it costs and what came of it.

Pure data (no I/O): :class:`ActionKind` knows its label, its rung on the safe ladder, the
restricted-key permission it needs and how to describe a recorded call; :class:`Plan` is one
proposed action with its diff and revenue impact; :class:`ActionOutcome` (with a typed
:class:`Failure`) is what executing it did. :class:`Intent` (what the operator asked for, never
the state observed) gives the idempotency key and the Stripe tag, so the planner, the
executor and the tests agree on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

from billing_tui.core.model import CustomerSnapshot, Money, Subscription, minor_unit_exponent
from billing_tui.core.text import count_label, date_label


class Step(IntEnum):
    """The rung of the safe ladder a plan sits on; plans are always sorted by it."""

    RESTORE_SELF_SERVE = 1
    FIX_STATE = 2
    REFUND = 3
    DOCUMENT = 4

    @property
    def label(self) -> str:
        return {
            Step.RESTORE_SELF_SERVE: "restore self-serve",
            Step.FIX_STATE: "fix the state",
            Step.REFUND: "refund the affected charge",
            Step.DOCUMENT: "document",
        }[self]


class ActionKind(StrEnum):
    PORTAL_SESSION = "portal_session"
    CANCEL_SUBSCRIPTION = "cancel_subscription"
    UPDATE_QUANTITY = "update_quantity"
    REFUND = "refund"
    RETRY_INVOICE_PAYMENT = "retry_invoice_payment"
    NO_OP = "no_op"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def step(self) -> Step:
        """The rung of the safe ladder this kind of action sits on."""
        return _STEP_OF[self]

    @property
    def permission(self) -> str | None:
        """The restricted-key permission the call needs (None: no Stripe call)."""
        return PLAN_PERMISSIONS.get(self)

    @property
    def needs_confirmation(self) -> bool:
        """Whether a LIVE operator must type a phrase before it is sent."""
        return self not in (ActionKind.NO_OP, ActionKind.PORTAL_SESSION)

    def describe(self, params: Mapping[str, str]) -> str:
        """A title for a recorded action of this kind when its plan is not at hand."""
        match self:
            case ActionKind.REFUND:
                amount = amount_of(params)
                what = amount.format() if amount else "the rest"
                return f"Refund {what} of {params.get('charge', '?')} ({params.get('reason', '')})"
            case ActionKind.CANCEL_SUBSCRIPTION:
                when = "immediately"
                if params.get("mode") == "at_period_end":
                    when = "at the end of the period"
                elif params.get("mode") == "at_date" and params.get("cancel_at", "").isdigit():
                    stamp = datetime.fromtimestamp(int(params["cancel_at"]), UTC)
                    when = f"on {date_label(stamp)}"
                return f"Cancel {params.get('subscription', '?')} {when}"
            case ActionKind.UPDATE_QUANTITY:
                sub_id, quantity = params.get("subscription", "?"), params.get("quantity", "?")
                return f"Change {sub_id} to {count_label(quantity, 'seat')}"
            case ActionKind.PORTAL_SESSION:
                flow = params.get("flow")
                customer = params.get("customer", "?")
                return f"Portal link for {customer}" + (f" ({flow})" if flow else "")
            case ActionKind.RETRY_INVOICE_PAYMENT:
                return f"Retry payment of {params.get('invoice', '?')}"
            case _:
                return params.get("note") or self.value


_KIND_LABELS = {
    ActionKind.PORTAL_SESSION: "portal link",
    ActionKind.CANCEL_SUBSCRIPTION: "cancel",
    ActionKind.UPDATE_QUANTITY: "change seats",
    ActionKind.REFUND: "refund",
    ActionKind.RETRY_INVOICE_PAYMENT: "retry payment",
    ActionKind.NO_OP: "document only",
}


_STEP_OF = {
    ActionKind.PORTAL_SESSION: Step.RESTORE_SELF_SERVE,
    ActionKind.CANCEL_SUBSCRIPTION: Step.FIX_STATE,
    ActionKind.UPDATE_QUANTITY: Step.FIX_STATE,
    ActionKind.RETRY_INVOICE_PAYMENT: Step.FIX_STATE,
    ActionKind.REFUND: Step.REFUND,
    ActionKind.NO_OP: Step.DOCUMENT,
}


#: The restricted-key permission each money-moving or portal action needs.
PLAN_PERMISSIONS: dict[str, str] = {
    ActionKind.REFUND: "rak_refund_write",
    ActionKind.CANCEL_SUBSCRIPTION: "rak_subscription_write",
    ActionKind.UPDATE_QUANTITY: "rak_subscription_write",
    ActionKind.PORTAL_SESSION: "rak_billing_portal_session_write",
    ActionKind.RETRY_INVOICE_PAYMENT: "rak_invoice_write",
}


def describe_action(kind: str, params: Mapping[str, str]) -> str:
    """A title for a recorded action when its plan is not at hand (any kind string)."""
    try:
        return ActionKind(kind).describe(params)
    except ValueError:
        return params.get("note") or str(kind)


def amount_of(params: Mapping[str, str]) -> Money | None:
    """The amount a recorded action's parameters name (a refund's ``amount`` + ``currency``)."""
    raw, currency = params.get("amount"), params.get("currency")
    if raw and raw.lstrip("-").isdigit() and currency:
        return Money(int(raw), currency)
    return None


@dataclass(frozen=True)
class DiffRow:
    """One field that changes: ``object_id.field: before → after``.

    ``estimate`` marks a value the workstation computed itself (a proration preview) rather
    than one Stripe will report back exactly.
    """

    object_id: str
    field: str
    before: str
    after: str
    estimate: bool = False

    def text(self) -> str:
        approx = " (estimate)" if self.estimate else ""
        return f"{self.object_id}.{self.field}: {self.before} → {self.after}{approx}"


@dataclass(frozen=True)
class RevenueImpact:
    refund: Money | None = None  # money returned to the customer now
    mrr_delta: Money | None = None  # change in monthly recurring revenue (negative = loss)
    arr_delta: Money | None = None
    effective: datetime | None = None  # when the MRR change takes effect (None: now)

    def describe(self) -> str:
        parts: list[str] = []
        if self.refund:
            parts.append(f"refund {self.refund.format()}")
        if self.mrr_delta:
            parts.append(f"MRR {signed(self.mrr_delta)}")
        if self.arr_delta:
            parts.append(f"ARR {signed(self.arr_delta)}")
        if parts and self.effective is not None and self.mrr_delta:
            parts.append(f"from {date_label(self.effective)}")
        return ", ".join(parts) or "no revenue change"


def signed(money: Money) -> str:
    """``+$5.00`` or ``-$5.00``: a change, with its sign."""
    return money.format() if money.amount < 0 else f"+{money.format()}"


@dataclass(frozen=True)
class Plan:
    """One proposed action, with everything the operator must see before confirming it."""

    kind: ActionKind
    title: str  # "Cancel sub_… (Pro Monthly) immediately, no proration"
    target_id: str | None  # the subscription, charge, invoice or customer it acts on
    # the call's parameters and the state planned against (shown, logged); only the
    # INTENT_PARAMS among them make the idempotency key (see intent_of)
    params: tuple[tuple[str, str], ...] = ()
    diff: tuple[DiffRow, ...] = ()
    api_calls: tuple[str, ...] = ()  # e.g. "POST /v1/refunds charge=ch_… amount=1900"
    reversible: bool = True
    reversal: str = ""  # how to undo it, or why it cannot be undone
    impact: RevenueImpact = field(default_factory=RevenueImpact)
    moves_money: bool = False  # refunds, cancels and quantity changes
    blocked_reason: str | None = None  # set when the plan cannot run; shown greyed with this
    rationale: str = ""  # why this step, in the safe order
    confirm_phrase: str | None = None  # what a LIVE operator must type to confirm
    # --- additive fields (actions helper)
    customer_id: str | None = None  # the customer the action concerns
    amount: Money | None = None  # the refund (or retried invoice) amount
    recommended: bool = True  # False: an alternative offered alongside ("on request")
    warnings: tuple[str, ...] = ()  # shown with the plan; never block it
    # --- additive field (ledger helper): the case action that made this plan moot
    superseded_by: str | None = None  # "act-…": shown, never runnable (blocked_reason says why)
    # True: a further request on the same target (a second partial refund the operator really
    # wants), sent as the next intent ordinal; False: the case's latest intent, which replays
    # (sends nothing) once it succeeded
    new_intent: bool = False

    @property
    def possible(self) -> bool:
        return self.blocked_reason is None

    @property
    def step(self) -> Step:
        return self.kind.step

    @property
    def superseded(self) -> bool:
        return self.superseded_by is not None

    @property
    def param_map(self) -> dict[str, str]:
        return dict(self.params)

    def param(self, name: str) -> str | None:
        return self.param_map.get(name)


def confirm_phrase_for(plan: Plan) -> str | None:
    """What a LIVE operator types to confirm ``plan``: a refund's amount, else its target."""
    if plan.kind == ActionKind.REFUND and plan.amount:
        return money_phrase(plan.amount)
    return plan.target_id


class FailureKind(StrEnum):
    """Why an action did not happen, as the desk and the screens act on it."""

    PERMISSION = "permission"  # 403: the key lacks a rak_* permission
    UNCERTAIN = "uncertain"  # the answer was lost (network/5xx after send): reconcile before retry
    DECLINED = "declined"  # card declined
    INVALID = "invalid"  # 400 invalid request (param/code known)
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # rate limited / Stripe down before the call took effect
    REFUSED = "refused"  # skipped by a guard or a missing LIVE confirmation
    OTHER = "other"


@dataclass(frozen=True)
class Failure:
    """A failed or skipped action: the operator sentence plus what a program needs from it."""

    kind: FailureKind
    message: str  # the operator sentence, as shown
    permission: str | None = None  # rak_… for PERMISSION
    param: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class ActionOutcome:
    """What happened when a plan was executed (or why it was not)."""

    plan: Plan
    status: str  # succeeded | failed | skipped
    message: str
    stripe_ids: tuple[str, ...] = ()
    request_id: str | None = None
    idempotency_key: str | None = None
    # --- additive fields
    action_id: str | None = None  # the case-log action record
    url: str | None = None  # a portal session's URL (short-lived)
    replayed: bool = False  # True: the case log already held this action's result
    failure: Failure | None = None  # why it failed or was skipped (None when it succeeded)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


# --------------------------------------------------------------------------- money


def money_phrase(money: Money) -> str:
    """The amount as an operator types it to confirm: ``19.00``, ``1200`` (JPY), no symbol."""
    exp = minor_unit_exponent(money.currency)
    return f"{money.major:.{exp}f}"


def parse_money(text: str, currency: str) -> Money:
    """``"9.50"`` in USD → ``Money(950, "usd")``; ``"1200"`` in JPY → ``Money(1200, "jpy")``.

    Raises ``ValueError`` with a sentence for anything that is not a plain positive amount in
    the currency's precision (no symbols, no thousands separators).
    """
    raw = text.strip()
    exp = minor_unit_exponent(currency)
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount (write it like 19.00)") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"{text!r}: an amount must be more than zero")
    minor = value.scaleb(exp)
    if minor != minor.to_integral_value():
        places = "no decimals" if exp == 0 else f"at most {exp} decimals"
        raise ValueError(f"{text!r}: {currency.upper()} amounts have {places}")
    return Money(int(minor), currency)


# --------------------------------------------------------------------------- diff values


def bool_text(value: bool) -> str:
    """A boolean field as the diff renders it."""
    return "true" if value else "false"


def next_invoice_text(sub: Subscription) -> str:
    """What the subscription will bill next and when, as the diff shows it."""
    if (
        not sub.is_live
        or sub.cancel_at_period_end
        or (
            sub.cancel_at is not None and sub.cancel_at <= (sub.current_period_end or sub.cancel_at)
        )
    ):
        return "none"
    return f"{sub.period_amount.format()} on {date_label(sub.current_period_end)}"


def observe(snapshot: CustomerSnapshot, object_id: str, field_name: str) -> str:
    """The current value of ``object_id.field`` as the diff renders it.

    Diff rows render their values exactly this way, so reading a fresh snapshot through it
    after execution checks the "after" column against what Stripe reports (the tests do).
    """
    sub = snapshot.subscription(object_id)
    if sub is not None:
        match field_name:
            case "status":
                return sub.status.value
            case "cancel_at_period_end":
                return bool_text(sub.cancel_at_period_end)
            case "cancel_at":
                return date_label(sub.cancel_at)
            case "quantity":
                return str(sub.quantity)
            case "next_invoice":
                return next_invoice_text(sub)
    charge = snapshot.charge(object_id)
    if charge is not None:
        match field_name:
            case "amount_refunded":
                return charge.amount_refunded.format()
            case "refunded":
                return bool_text(charge.refunded)
    invoice = snapshot.invoice(object_id)
    if invoice is not None:
        match field_name:
            case "status":
                return invoice.status
            case "amount_remaining":
                return invoice.amount_remaining.format()
    for sub in snapshot.subscriptions:
        for item in sub.items:
            if item.id == object_id and field_name == "quantity":
                return str(item.quantity or 0)
    raise KeyError(f"{object_id}.{field_name} is not a field the diff knows")


# --------------------------------------------------------------------------- intents

#: Per action kind, the parameters that state what the operator asked for. An intent's
#: idempotency key and its Stripe tag are made of these alone: never of the state the plan was
#: made against (a refund's ``refunded_before``, a seat change's ``quantity_before``) nor of
#: anything computed from it (the amount of "refund the rest" is ``requested=rest``). This is
#: the one place that decides what is part of an intent.
INTENT_PARAMS: Mapping[ActionKind, tuple[str, ...]] = {
    ActionKind.REFUND: ("charge", "requested", "currency", "reason"),
    ActionKind.CANCEL_SUBSCRIPTION: ("subscription", "mode"),
    ActionKind.UPDATE_QUANTITY: ("subscription", "item", "quantity", "proration_behavior"),
    ActionKind.RETRY_INVOICE_PAYMENT: ("invoice",),
    ActionKind.PORTAL_SESSION: ("customer", "configuration", "flow", "subscription", "return_url"),
    ActionKind.NO_OP: ("note",),
}

#: The Stripe metadata key that carries an intent's tag (``refund/ch_X/1``) and its key.
INTENT_TAG = "btui_intent"
INTENT_KEY = "btui_key"


@dataclass(frozen=True)
class Intent:
    """What the operator asked for: an action kind on one target with the requested
    parameters, the ``ordinal``-th such request for this customer (1, 2, …).

    The idempotency key is scoped by customer and intent, **not** by case: a quarantined or
    re-created case log, or a second case open on the same customer in another terminal, sends
    the same key for the same intent, so Stripe replays the first result (for 24 h; after that
    the executor's look-up of the tag in Stripe is what keeps it from acting twice). The case
    id goes into the Stripe metadata instead (:func:`metadata_for`).
    """

    kind: ActionKind
    target: str
    customer_id: str
    params: tuple[tuple[str, str], ...]  # the INTENT_PARAMS of the plan, sorted
    ordinal: int = 1

    @property
    def tag(self) -> str:
        """``refund/ch_X/1``: what the Stripe object carries in ``metadata[btui_intent]``."""
        return f"{self.kind.value}/{self.target}/{self.ordinal}"

    @property
    def key(self) -> str:
        """The idempotency key (before any ``-retryN`` / ``-nN`` suffix): one per intent."""
        canonical = "\n".join(f"{k}={v}" for k, v in self.params)
        text = f"{self.customer_id}\n{self.kind.value}\n{self.target}\n{canonical}\n{self.ordinal}"
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        # every digit run follows a letter or "_": the one redaction rule never reads a part of
        # a key as a card number (the case log scrubs what it stores, keys included)
        return f"btui-{self.kind.value}-{self.target}-i{self.ordinal}-h{digest}"

    def describe(self) -> str:
        """``intent #2`` as the operator reads it."""
        return f"intent #{self.ordinal}"


def parse_tag(tag: str | None) -> tuple[str, str, int] | None:
    """``"refund/ch_X/2"`` → ``("refund", "ch_X", 2)``; anything else → None."""
    if not tag:
        return None
    kind, _, rest = tag.partition("/")
    target, _, ordinal = rest.rpartition("/")
    if not kind or not target or not ordinal.isdigit() or int(ordinal) < 1:
        return None
    return kind, target, int(ordinal)


def intent_of(plan: Plan, ordinal: int = 1) -> Intent:
    """The intent ``plan`` states, as its ``ordinal``-th request on its target."""
    wanted = INTENT_PARAMS.get(plan.kind, ())
    values = plan.param_map
    params = tuple(sorted((name, values[name]) for name in wanted if name in values))
    return Intent(plan.kind, plan.target_id or "", plan.customer_id or "", params, ordinal)


@dataclass(frozen=True)
class PriorIntent:
    """An earlier request on the same target, found in the case log or in Stripe (by tag).

    ``key`` is the intent key it was made with (None when unknown: an action recorded before
    intents were tagged); ``done``: it took effect (a succeeded action, a refund that is not
    failed or canceled).
    """

    ordinal: int
    source: str  # "case log" | "Stripe"
    done: bool
    key: str | None = None
    stripe_ids: tuple[str, ...] = ()
    amount: Money | None = None
    status: str = ""

    def describe(self) -> str:
        what = self.amount.format() if self.amount else ""
        ids = ", ".join(self.stripe_ids)
        parts = [p for p in (what, ids, self.status) if p]
        return f"intent #{self.ordinal} ({'; '.join(parts) or 'no details'}, {self.source})"


def metadata_for(
    case_id: str,
    operator: str,
    kind: ActionKind | str,
    *,
    tag: str = "",
    key: str = "",
    action_id: str = "",
) -> dict[str, str]:
    """What goes on the Stripe object: who did it, in which case and action, and the intent's
    tag and key (:attr:`Intent.tag`, :attr:`Intent.key`), so that a later run finds what
    this intent made in Stripe even without the case log."""
    data = {"case_id": case_id, "operator": operator, "action": ActionKind(kind).value}
    extra = {INTENT_TAG: tag, INTENT_KEY: key, "action_id": action_id}
    data.update({name: value for name, value in extra.items() if value})
    return data
