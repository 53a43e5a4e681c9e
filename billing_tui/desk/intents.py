"""What an intent already did: its earlier requests in the case log and its traces in Stripe.

The executor asks here before every money call, and :func:`~billing_tui.desk.execute.reconcile`
before every re-send. Stripe is the source of truth: a refund carrying the intent's tag
(``metadata[btui_intent] = refund/ch_X/1``) is that intent's refund, whatever the case log says
(it may be quarantined, deleted, or another terminal's); a subscription already canceled (or
cancelling at the period end), an item already at the target quantity, an invoice already paid
need no call. A read that fails is never taken for "nothing there": the money call is not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billing_tui.core.model import Subscription, SubscriptionStatus
from billing_tui.core.plans import (
    INTENT_KEY,
    INTENT_TAG,
    ActionKind,
    Intent,
    PriorIntent,
    amount_of,
    parse_tag,
)
from billing_tui.core.text import count_label, date_label
from billing_tui.desk.records import outcome_of
from billing_tui.gateway import Gateway
from billing_tui.store.caselog import ActionRecord, CaseRecord

#: The kinds whose effect can be read back from Stripe before (and instead of) calling.
CHECKED = frozenset(
    {
        ActionKind.REFUND,
        ActionKind.CANCEL_SUBSCRIPTION,
        ActionKind.UPDATE_QUANTITY,
        ActionKind.RETRY_INVOICE_PAYMENT,
    }
)

#: Refund statuses that mean the money did not (and will not) move.
_UNDONE_REFUNDS = frozenset({"failed", "canceled"})

#: Where the case log keeps an action's intent tag and key (in the action's params).
RECORDED_TAG = "intent"
RECORDED_KEY = "intent_key"


@dataclass(frozen=True)
class Found:
    """Stripe already shows what the intent asks for: record this instead of calling."""

    stripe_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class StripeView:
    """What Stripe shows about one target: tagged earlier intents and whether the requested
    state already holds (``applied``, for the kinds that are a state: cancel, seats, pay)."""

    priors: tuple[PriorIntent, ...] = ()
    applied: Found | None = None

    def found(self, ordinal: int, key: str | None) -> Found | None:
        """The object this exact intent (ordinal and key) made, or the state it asked for."""
        for prior in self.priors:
            if prior.ordinal == ordinal and prior.done and key and prior.key == key:
                ids = ", ".join(prior.stripe_ids)
                return Found(
                    prior.stripe_ids,
                    f"found in Stripe: {ids} ({prior.status}) was already made for intent "
                    f"#{ordinal}; nothing was sent again",
                )
        return self.applied


def target_of(kind: str, params: Mapping[str, str]) -> str | None:
    """The object a recorded action acts on (its tag names it; older records: its params)."""
    parsed = parse_tag(params.get(RECORDED_TAG))
    if parsed is not None:
        return parsed[1]
    names = ("customer",) if kind == ActionKind.PORTAL_SESSION else ()
    for name in (*names, "charge", "subscription", "invoice", "customer"):
        if params.get(name):
            return params[name]
    return None


def recorded_params(params: Mapping[str, str], intent: Intent) -> dict[str, str]:
    """An action's params as the case log keeps them: the plan's, plus its intent."""
    return {**params, RECORDED_TAG: intent.tag, RECORDED_KEY: intent.key}


def case_priors(case: CaseRecord, kind: ActionKind, target: str) -> tuple[PriorIntent, ...]:
    """The case's earlier requests of ``kind`` on ``target`` (an untagged, older one: #1)."""
    return tuple(
        _prior_of(action)
        for action in case.actions
        if action.kind == kind.value and target_of(action.kind, action.params) == target
    )


def _prior_of(action: ActionRecord) -> PriorIntent:
    parsed = parse_tag(action.params.get(RECORDED_TAG))
    done = action.status == "succeeded"
    return PriorIntent(
        ordinal=parsed[2] if parsed else 1,
        source="case log",
        done=done,
        key=action.params.get(RECORDED_KEY),
        stripe_ids=outcome_of(action).stripe_ids if done else (),
        amount=amount_of(action.params),
        status=action.status,
    )


def choose_ordinal(priors: Iterable[PriorIntent], *, new_intent: bool) -> int:
    """The case's latest intent on the target (1 when there is none), or the next one."""
    top = max((p.ordinal for p in priors), default=0)
    return top + 1 if new_intent else max(top, 1)


def done_otherwise(priors: Iterable[PriorIntent], intent: Intent) -> PriorIntent | None:
    """An earlier request that used this intent's ordinal with other parameters (or unknown
    ones) and took effect: the operator asked for something else, not this again."""
    for prior in priors:
        if prior.ordinal == intent.ordinal and prior.done and prior.key != intent.key:
            return prior
    return None


async def look_in_stripe(
    gateway: Gateway, kind: ActionKind, target: str, params: Mapping[str, str]
) -> StripeView:
    """Read what Stripe holds for one target (raises the gateway's errors: a failed read is
    never "nothing there")."""
    match kind:
        case ActionKind.REFUND:
            return await _refunds(gateway, target)
        case ActionKind.CANCEL_SUBSCRIPTION | ActionKind.UPDATE_QUANTITY:
            sub = await gateway.retrieve_subscription(target)
            applied = (
                _canceled(sub, params)
                if kind == ActionKind.CANCEL_SUBSCRIPTION
                else _seats(sub, params)
            )
            return StripeView(_subscription_priors(sub, kind), applied)
        case ActionKind.RETRY_INVOICE_PAYMENT:
            invoice = await gateway.retrieve_invoice(target)
            if invoice.status == "paid":
                return StripeView(
                    applied=Found(
                        (invoice.id,), f"{invoice.id} is already paid; nothing was sent again"
                    )
                )
            return StripeView()
        case _:
            return StripeView()


async def _refunds(gateway: Gateway, charge_id: str) -> StripeView:
    priors = []
    for refund in await gateway.list_refunds(charge_id):
        parsed = parse_tag(refund.metadata.get(INTENT_TAG))
        if parsed is None or parsed[:2] != (ActionKind.REFUND.value, charge_id):
            continue
        priors.append(
            PriorIntent(
                ordinal=parsed[2],
                source="Stripe",
                done=refund.status not in _UNDONE_REFUNDS,
                key=refund.metadata.get(INTENT_KEY),
                stripe_ids=(refund.id,),
                amount=refund.amount,
                status=refund.status,
            )
        )
    return StripeView(tuple(priors))


def _subscription_priors(sub: Subscription, kind: ActionKind) -> tuple[PriorIntent, ...]:
    """The last tagged update of the subscription (its metadata holds one tag at a time)."""
    parsed = parse_tag(sub.metadata.get(INTENT_TAG))
    if parsed is None or parsed[:2] != (kind.value, sub.id):
        return ()
    return (
        PriorIntent(
            ordinal=parsed[2],
            source="Stripe",
            done=True,
            key=sub.metadata.get(INTENT_KEY),
            stripe_ids=(sub.id,),
            status=sub.status.value,
        ),
    )


def _canceled(sub: Subscription, params: Mapping[str, str]) -> Found | None:
    if sub.status == SubscriptionStatus.CANCELED:
        return Found((sub.id,), f"{sub.id} is already canceled; nothing was sent again")
    if params.get("mode") == "at_period_end" and sub.cancel_at_period_end:
        return Found(
            (sub.id,),
            f"{sub.id} already cancels at the end of its period "
            f"({date_label(sub.current_period_end)}); nothing was sent again",
        )
    return None


def _seats(sub: Subscription, params: Mapping[str, str]) -> Found | None:
    wanted, item_id = params.get("quantity"), params.get("item")
    items = [i for i in sub.items if i.id == item_id] if item_id else list(sub.items[:1])
    if wanted and items and str(items[0].quantity or 0) == wanted:
        return Found(
            (sub.id,), f"{sub.id} already has {count_label(wanted, 'seat')}; nothing was sent again"
        )
    return None
