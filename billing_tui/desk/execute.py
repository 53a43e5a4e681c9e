"""The write-ahead executor: run one plan against Stripe, and settle what a crash left behind.

The case log holds the action and its idempotency key before the call, ``in_flight`` while it
runs, and the result (an :class:`~billing_tui.desk.records.OutcomeRecord`) after. The same plan
executed again in the same case reuses its key, or returns the recorded result without a call,
so nothing happens twice. :func:`reconcile` settles actions left ``planned`` or ``in_flight``.
Gateway errors become a typed :class:`~billing_tui.core.plans.Failure` here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from billing_tui import gateway as gw
from billing_tui.core.model import SubscriptionStatus
from billing_tui.core.plans import (
    INTENT_TAG,
    ActionKind,
    ActionOutcome,
    Failure,
    FailureKind,
    Intent,
    Plan,
    PriorIntent,
    confirm_phrase_for,
    intent_of,
    metadata_for,
    parse_tag,
)
from billing_tui.core.text import count_label, date_label
from billing_tui.desk.intents import (
    CHECKED,
    RECORDED_KEY,
    RECORDED_TAG,
    Found,
    StripeView,
    case_priors,
    choose_ordinal,
    done_otherwise,
    look_in_stripe,
    recorded_params,
    target_of,
)
from billing_tui.desk.records import OutcomeRecord, outcome_of
from billing_tui.gateway import Gateway, GatewayError
from billing_tui.store.caselog import ActionRecord, CaseLog, CaseRecord

# --------------------------------------------------------------------------- failures


def failure_of(exc: Exception) -> Failure:
    """The typed failure for an exception the gateway (or a malformed plan) raised."""
    message = str(exc)
    if isinstance(exc, gw.PermissionDenied):
        return Failure(FailureKind.PERMISSION, message, permission=exc.permission)
    if isinstance(exc, gw.NetworkDown | gw.StripeUnavailable):
        return Failure(FailureKind.UNCERTAIN, message)
    if isinstance(exc, gw.CardDeclined):
        return Failure(FailureKind.DECLINED, message, param=exc.param, code=exc.code)
    if isinstance(exc, gw.InvalidRequest):
        return Failure(FailureKind.INVALID, message, param=exc.param, code=exc.code)
    if isinstance(exc, gw.MalformedId):
        return Failure(FailureKind.INVALID, message)
    if isinstance(exc, gw.NotFound):
        return Failure(FailureKind.NOT_FOUND, message)
    if isinstance(exc, gw.RateLimited):
        return Failure(FailureKind.UNAVAILABLE, message)
    return Failure(FailureKind.OTHER, message)


def skipped(plan: Plan, message: str) -> ActionOutcome:
    """Nothing was sent: a guard, a missing LIVE confirmation or an unsettled earlier action."""
    return ActionOutcome(plan, "skipped", message, failure=Failure(FailureKind.REFUSED, message))


# --------------------------------------------------------------------------- the calls


@dataclass(frozen=True)
class _Done:
    stripe_ids: tuple[str, ...]
    request_id: str | None
    message: str
    url: str | None = None


_Call = Callable[[Gateway, Mapping[str, str], str, Mapping[str, str]], Awaitable[_Done]]


async def _refund(
    gateway: Gateway, params: Mapping[str, str], key: str, metadata: Mapping[str, str]
) -> _Done:
    amount = int(params["amount"]) if params.get("amount") else None
    refund = await gateway.create_refund(
        params["charge"],
        amount=amount,
        reason=params.get("reason") or None,
        metadata=metadata,
        idempotency_key=key,
    )
    money = refund.obj.amount
    return _Done(
        (refund.obj.id,),
        refund.request_id,
        f"refunded {money.format()} of {params['charge']} ({refund.obj.id}, {refund.obj.status})",
    )


async def _cancel(
    gateway: Gateway, params: Mapping[str, str], key: str, metadata: Mapping[str, str]
) -> _Done:
    sub_id = params["subscription"]
    if params.get("mode") == "at_period_end":
        updated = await gateway.update_subscription(
            sub_id, cancel_at_period_end=True, metadata=metadata, idempotency_key=key
        )
        end = updated.obj.current_period_end
        return _Done(
            (sub_id,),
            updated.request_id,
            f"{sub_id} cancels at the end of its period ({date_label(end)}); "
            "undo possible until then",
        )
    if params.get("mode") == "at_date":
        on = datetime.fromtimestamp(int(params["cancel_at"]), UTC)
        updated = await gateway.update_subscription(
            sub_id, cancel_at=on, metadata=metadata, idempotency_key=key
        )
        return _Done(
            (sub_id,),
            updated.request_id,
            f"{sub_id} cancels on {date_label(updated.obj.cancel_at or on)}; "
            "undo possible until then",
        )
    canceled = await gateway.cancel_subscription(
        sub_id,
        invoice_now=params.get("invoice_now") == "true",
        prorate=params.get("prorate") == "true",
        comment=f"billing-tui case {metadata.get('case_id', '')} by {metadata.get('operator', '')}"
        + (f" ({metadata[INTENT_TAG]})" if metadata.get(INTENT_TAG) else ""),
    )
    note = f" ({canceled.note})" if canceled.note else ""
    return _Done((sub_id,), canceled.request_id, f"{sub_id} is {canceled.obj.status.value}{note}")


async def _update_quantity(
    gateway: Gateway, params: Mapping[str, str], key: str, metadata: Mapping[str, str]
) -> _Done:
    sub_id = params["subscription"]
    updated = await gateway.update_subscription(
        sub_id,
        quantity=int(params["quantity"]),
        item_id=params.get("item") or None,
        proration_behavior=params.get("proration_behavior") or None,
        metadata=metadata,
        idempotency_key=key,
    )
    return _Done(
        (sub_id,),
        updated.request_id,
        f"{sub_id} now has {count_label(updated.obj.quantity, 'seat')}",
    )


async def _portal(
    gateway: Gateway, params: Mapping[str, str], key: str, metadata: Mapping[str, str]
) -> _Done:
    del metadata  # a portal session carries no metadata
    session = await gateway.create_portal_session(
        params["customer"],
        return_url=params.get("return_url") or "",
        flow_type=params.get("flow") or None,
        subscription_id=params.get("subscription") or None,
        configuration=params.get("configuration") or None,
        idempotency_key=key,
    )
    return _Done(
        (session.obj.id,),
        session.request_id,
        f"portal session {session.obj.id} created (the link is short-lived)",
        url=session.obj.url,
    )


async def _retry_invoice(
    gateway: Gateway, params: Mapping[str, str], key: str, metadata: Mapping[str, str]
) -> _Done:
    del metadata  # paying an invoice carries no metadata
    paid = await gateway.pay_invoice(params["invoice"], idempotency_key=key)
    return _Done(
        (paid.obj.id,),
        paid.request_id,
        f"{paid.obj.id} is {paid.obj.status} ({paid.obj.amount_paid.format()} paid)",
    )


_CALLS: dict[ActionKind, _Call] = {
    ActionKind.REFUND: _refund,
    ActionKind.CANCEL_SUBSCRIPTION: _cancel,
    ActionKind.UPDATE_QUANTITY: _update_quantity,
    ActionKind.PORTAL_SESSION: _portal,
    ActionKind.RETRY_INVOICE_PAYMENT: _retry_invoice,
}


async def _perform(
    gateway: Gateway,
    kind: ActionKind,
    params: Mapping[str, str],
    key: str,
    metadata: Mapping[str, str],
) -> _Done:
    """Send one action's call. The same (kind, params, key, metadata) always sends the same
    request, so a re-send after a crash is replayed by Stripe instead of applied twice."""
    call = _CALLS.get(kind)
    if call is None:
        raise ValueError(f"{kind} has no Stripe call")
    return await call(gateway, params, key, metadata)


# --------------------------------------------------------------------------- execute


def _replayed(plan: Plan, record: ActionRecord) -> ActionOutcome:
    result = outcome_of(record)
    return ActionOutcome(
        plan=plan,
        status="succeeded",
        message=f"already done in this case ({', '.join(result.stripe_ids) or record.id}); "
        "nothing was sent again",
        stripe_ids=result.stripe_ids,
        request_id=result.request_id,
        idempotency_key=record.idempotency_key,
        action_id=record.id,
        replayed=True,
    )


def _refusal(plan: Plan, confirmation: str | None, *, live: bool) -> ActionOutcome | None:
    """A blocked plan, or a LIVE money move without its typed phrase: nothing is sent."""
    if plan.blocked_reason is not None:
        return skipped(plan, f"not done: {plan.blocked_reason}")
    if live and plan.kind.needs_confirmation:
        phrase = plan.confirm_phrase or confirm_phrase_for(plan)
        if not confirmation or confirmation.strip() != phrase:
            return skipped(
                plan, f"live mode: type {phrase} to confirm this action; nothing was sent"
            )
    return None


def _chain(case: CaseRecord, base: str) -> list[ActionRecord]:
    """The case's earlier attempts at this intent (the base key and its suffixed retries)."""
    return [
        a
        for a in case.actions
        if a.idempotency_key == base or a.idempotency_key.startswith(f"{base}-")
    ]


def _unsettled(plan: Plan, case: CaseRecord) -> ActionOutcome | None:
    """A money move waits while an earlier one of the same kind on the same object has no
    recorded result (a different intent: e.g. a partial refund planned after a crash)."""
    pending = [
        a
        for a in case.actions
        if a.status in ("planned", "in_flight")
        and a.kind == plan.kind.value
        and target_of(a.kind, a.params) == plan.target_id
    ]
    if not pending:
        return None
    return skipped(
        plan,
        f"an earlier {plan.kind.label} of {plan.target_id} ({pending[0].id}) has no "
        "recorded result yet: reconcile it (or run that plan again) first; nothing "
        "was sent",
    )


def _next_key(plan: Plan, base: str, chain: Sequence[ActionRecord]) -> str | ActionRecord:
    """The key to send with, or the earlier action whose recorded success answers the plan."""
    if not chain:
        return base
    last = chain[-1]
    if last.status == "succeeded" and plan.kind != ActionKind.PORTAL_SESSION:
        return last
    if last.status in ("succeeded", "failed"):
        # a failed call, or a new portal link (each is a fresh, short-lived session)
        return f"{base}-{'n' if last.status == 'succeeded' else 'retry'}{len(chain)}"
    return last.idempotency_key


async def _finish(
    caselog: CaseLog,
    case_id: str,
    action_id: str,
    status: Literal["succeeded", "failed"],
    result: OutcomeRecord,
) -> None:
    """Record how an action ended (the case-log write runs off the event loop)."""
    await asyncio.to_thread(
        caselog.finish_action, case_id, action_id, status=status, result=result.to_json()
    )


async def _failed(
    plan: Plan, caselog: CaseLog, case_id: str, record: ActionRecord, exc: Exception
) -> ActionOutcome:
    """The call raised: lost answers stay in flight for reconcile; the rest are recorded."""
    failure = failure_of(exc)
    outcome = ActionOutcome(
        plan,
        "failed",
        str(exc),
        request_id=getattr(exc, "request_id", None),
        idempotency_key=record.idempotency_key,
        action_id=record.id,
        failure=failure,
    )
    if failure.kind == FailureKind.UNCERTAIN:
        message = (
            f"{exc} The outcome is unknown: the action stays in flight and is re-sent with "
            "the same idempotency key when you run it again (or at the next start)."
        )
        return replace(outcome, message=message, failure=replace(failure, message=message))
    result = OutcomeRecord.of(outcome, error_type=type(exc).__name__)
    await _finish(caselog, case_id, record.id, "failed", result)
    return outcome


async def _finished(
    plan: Plan,
    caselog: CaseLog,
    case_id: str,
    record: ActionRecord,
    done: _Done,
    *,
    replayed: bool = False,
) -> ActionOutcome:
    """Record the action's success (``replayed``: found in Stripe, nothing was sent)."""
    outcome = ActionOutcome(
        plan,
        "succeeded",
        done.message,
        stripe_ids=done.stripe_ids,
        request_id=done.request_id,
        idempotency_key=record.idempotency_key,
        action_id=record.id,
        url=done.url,
        replayed=replayed,
    )
    result = OutcomeRecord.of(outcome)
    await _finish(caselog, case_id, record.id, "succeeded", result)
    return outcome


async def _documented(
    plan: Plan, caselog: CaseLog, case_id: str, record: ActionRecord
) -> ActionOutcome:
    """A ``no_op`` plan: the note is the result; nothing goes to Stripe."""
    result = OutcomeRecord(note=plan.title, title=plan.title)
    await _finish(caselog, case_id, record.id, "succeeded", result)
    return ActionOutcome(
        plan,
        "succeeded",
        f"documented: {plan.title}",
        idempotency_key=record.idempotency_key,
        action_id=record.id,
    )


def _unchecked(plan: Plan, exc: GatewayError) -> ActionOutcome:
    """Stripe could not be read before a money call: nothing is sent blind."""
    failure = failure_of(exc)
    message = (
        f"could not check Stripe for what this {plan.kind.label} already did ({exc}); "
        "nothing was sent. Run it again when Stripe answers."
    )
    kind = FailureKind.UNAVAILABLE if failure.kind == FailureKind.UNCERTAIN else failure.kind
    return ActionOutcome(
        plan, "failed", message, failure=replace(failure, kind=kind, message=message)
    )


def _done_otherwise(plan: Plan, intent: Intent, prior: PriorIntent) -> ActionOutcome:
    """The intent's ordinal already took effect with other parameters: not sent again."""
    label = plan.kind.label
    return skipped(
        plan,
        f"the {label} of {plan.target_id} was already done: {prior.describe()}; nothing was "
        f"sent. To {label} it again, make it a new intent (triage --new-intent, or as a new "
        f"intent in the actions screen), which is sent as intent #{intent.ordinal + 1}.",
    )


async def _recorded_found(
    plan: Plan, caselog: CaseLog, case_id: str, record: ActionRecord, found: Found
) -> ActionOutcome:
    """Stripe already holds what the intent asks for: that is the action's result."""
    done = _Done(found.stripe_ids, None, found.message)
    return await _finished(plan, caselog, case_id, record, done, replayed=True)


@dataclass(frozen=True)
class _Resolved:
    """A plan placed among its target's earlier intents: which intent, what Stripe shows."""

    intent: Intent
    chain: list[ActionRecord]
    priors: tuple[PriorIntent, ...]
    seen: StripeView


async def _resolve(plan: Plan, gateway: Gateway, case: CaseRecord) -> _Resolved:
    """Which intent ``plan`` is (raises the gateway's errors when Stripe cannot be read)."""
    target = plan.target_id or ""
    if plan.kind not in CHECKED:  # a portal link (each is its own session), a note
        return _Resolved(intent_of(plan), _chain(case, intent_of(plan).key), (), StripeView())
    seen = await look_in_stripe(gateway, plan.kind, target, plan.param_map)
    priors = (*case_priors(case, plan.kind, target), *seen.priors)
    intent = intent_of(plan, choose_ordinal(priors, new_intent=plan.new_intent))
    return _Resolved(intent, _chain(case, intent.key), priors, seen)


def _answered(plan: Plan, case: CaseRecord, resolved: _Resolved) -> ActionOutcome | None:
    """An outcome without a call: an unsettled earlier action, or an intent done otherwise."""
    if plan.moves_money and not resolved.chain and (waiting := _unsettled(plan, case)):
        return waiting
    last = resolved.chain[-1] if resolved.chain else None
    if last is not None and last.status == "succeeded":
        return None  # the chain's own success: _next_key replays it
    if resolved.seen.found(resolved.intent.ordinal, resolved.intent.key) is not None:
        return None  # recorded as found below
    prior = done_otherwise(resolved.priors, resolved.intent)
    return _done_otherwise(plan, resolved.intent, prior) if prior is not None else None


async def execute(
    plan: Plan,
    gateway: Gateway,
    caselog: CaseLog,
    case_id: str,
    *,
    operator: str,
    confirmation: str | None = None,
    live: bool = False,
) -> ActionOutcome:
    """Run one plan, write-ahead: the case log holds the action and its idempotency key before
    the call, ``in_flight`` while it runs, and the Stripe ids / request id or error after.

    The key is the plan's :class:`~billing_tui.core.plans.Intent` (never the state observed),
    and before every money call Stripe is read: an object this intent already made (found by
    its tag), or the state it asks for, is recorded as the result and nothing is sent. Running
    the same plan again replays; a further request on the same target must be a
    ``new_intent`` plan. An outcome Stripe did not answer stays ``in_flight`` for
    :func:`reconcile`.
    """
    refused = _refusal(plan, confirmation, live=live)
    if refused is not None:
        return refused
    case = await asyncio.to_thread(caselog.get, case_id)
    try:
        resolved = await _resolve(plan, gateway, case)
    except GatewayError as exc:
        return _unchecked(plan, exc)
    answered = _answered(plan, case, resolved)
    if answered is not None:
        return answered
    intent = resolved.intent
    key = _next_key(plan, intent.key, resolved.chain)
    if isinstance(key, ActionRecord):
        return _replayed(plan, key)
    record = await asyncio.to_thread(
        caselog.plan_action,
        case_id,
        kind=plan.kind.value,
        params=recorded_params(plan.param_map, intent),
        idempotency_key=key,
        operator=operator,
    )
    if record.status == "succeeded":
        return _replayed(plan, record)
    if plan.kind == ActionKind.NO_OP:
        return await _documented(plan, caselog, case_id, record)
    found = resolved.seen.found(intent.ordinal, intent.key)
    if found is not None:
        return await _recorded_found(plan, caselog, case_id, record, found)
    return await _send(plan, gateway, caselog, case_id, record, _metadata(case_id, record))


def _metadata(case_id: str, record: ActionRecord) -> dict[str, str]:
    """The Stripe metadata of one recorded action (the same on every re-send of it)."""
    return metadata_for(
        case_id,
        record.operator,
        record.kind,
        tag=record.params.get(RECORDED_TAG, ""),
        key=record.params.get(RECORDED_KEY, ""),
        action_id=record.id if record.params.get(RECORDED_TAG) else "",
    )


async def _send(
    plan: Plan,
    gateway: Gateway,
    caselog: CaseLog,
    case_id: str,
    record: ActionRecord,
    metadata: Mapping[str, str],
) -> ActionOutcome:
    await asyncio.to_thread(caselog.mark_in_flight, case_id, record.id)
    try:
        done = await _perform(gateway, plan.kind, plan.param_map, record.idempotency_key, metadata)
    except (GatewayError, ValueError) as exc:
        if isinstance(exc, gw.IdempotencyConflict):
            found = await _found_after_conflict(gateway, plan, record)
            if found is not None:
                return await _recorded_found(plan, caselog, case_id, record, found)
        return await _failed(plan, caselog, case_id, record, exc)
    return await _finished(plan, caselog, case_id, record, done)


async def _found_after_conflict(gateway: Gateway, plan: Plan, record: ActionRecord) -> Found | None:
    """The key was used with other parameters (another case's metadata, a different amount
    for "the rest"): if Stripe shows this intent's object, that is the answer."""
    try:
        return await _found_for(gateway, plan.kind, record)
    except GatewayError:
        return None


# --------------------------------------------------------------------------- reconcile


async def _read_back_cancel(
    gateway: Gateway, caselog: CaseLog, case: CaseRecord, action: ActionRecord, label: str
) -> str:
    """An immediate cancel is a DELETE without a key: read the subscription back instead."""
    sub = await gateway.retrieve_subscription(action.params["subscription"])
    if sub.status == SubscriptionStatus.CANCELED:
        done = OutcomeRecord(stripe_ids=(sub.id,), message="read back: canceled")
        await _finish(caselog, case.id, action.id, "succeeded", done)
        return f"{label}: {sub.id} is canceled (read back): done"
    error = f"read back: {sub.id} is {sub.status.value}, not canceled"
    failed = OutcomeRecord(failure=Failure(FailureKind.OTHER, error))
    await _finish(caselog, case.id, action.id, "failed", failed)
    return (
        f"{label}: {sub.id} is still {sub.status.value}: the cancel did not "
        "happen; run it again if it is still wanted"
    )


async def _found_for(gateway: Gateway, kind: ActionKind, action: ActionRecord) -> Found | None:
    """What Stripe already holds for an unfinished action (its tagged object or its state)."""
    if kind not in CHECKED:
        return None
    params = dict(action.params)
    target = target_of(action.kind, params) or ""
    seen = await look_in_stripe(gateway, kind, target, params)
    parsed = parse_tag(params.get(RECORDED_TAG))
    return seen.found(parsed[2] if parsed else 1, params.get(RECORDED_KEY))


async def _settle(
    gateway: Gateway, caselog: CaseLog, case: CaseRecord, action: ActionRecord
) -> str:
    """Settle one unfinished action; the message says what happened to it."""
    label = f"{case.id} {action.kind} ({action.id})"
    if action.status == "planned":
        never = "interrupted before the call was sent; nothing changed in Stripe"
        failed = OutcomeRecord(failure=Failure(FailureKind.OTHER, never))
        await _finish(caselog, case.id, action.id, "failed", failed)
        return f"{label}: interrupted before it was sent; nothing changed in Stripe"
    try:
        kind = ActionKind(action.kind)
    except ValueError:
        return f"{label}: unknown action kind; left as is"
    params = dict(action.params)
    try:
        found = await _found_for(gateway, kind, action)
        if found is not None:
            result = OutcomeRecord(stripe_ids=found.stripe_ids, message=found.message)
            await _finish(caselog, case.id, action.id, "succeeded", result)
            return f"{label}: {found.message}"
        if kind == ActionKind.CANCEL_SUBSCRIPTION and params.get("mode") not in (
            "at_period_end",
            "at_date",
        ):
            return await _read_back_cancel(gateway, caselog, case, action, label)
        done = await _perform(
            gateway, kind, params, action.idempotency_key, _metadata(case.id, action)
        )
    except (GatewayError, ValueError) as exc:
        failure = failure_of(exc)
        if failure.kind in (FailureKind.UNCERTAIN, FailureKind.UNAVAILABLE):
            return f"{label}: still no answer from Stripe ({exc}); left in flight"
        failed = OutcomeRecord(failure=failure, error_type=type(exc).__name__)
        await _finish(caselog, case.id, action.id, "failed", failed)
        return f"{label}: failed: {exc}"
    result = OutcomeRecord(
        stripe_ids=done.stripe_ids, request_id=done.request_id, message=done.message
    )
    await _finish(caselog, case.id, action.id, "succeeded", result)
    return f"{label}: re-sent with the same key: {done.message}"


async def reconcile(
    gateway: Gateway,
    caselog: CaseLog,
    *,
    may_settle: Callable[[CaseRecord], Awaitable[str | None]] | None = None,
) -> list[str]:
    """Settle actions a crash left unfinished, and say what happened to each.

    ``in_flight``: what Stripe already holds for it (a refund carrying its tag, the state it
    asked for) is recorded; else it is re-sent with the same idempotency key (Stripe replays
    the first result), or for an immediate cancel (a DELETE, which has no key) the
    subscription is read back. ``planned``: the call was never sent, so the action is marked
    failed. ``may_settle`` (the session's customer lock) returns why a case must be left to
    another operator, or None to go ahead.
    """
    unfinished = await asyncio.to_thread(caselog.in_flight, include_planned=True)
    messages = []
    for case, action in unfinished:
        busy = await may_settle(case) if may_settle is not None else None
        if busy is not None:
            messages.append(f"{case.id} {action.kind} ({action.id}): left as is: {busy}")
            continue
        messages.append(await _settle(gateway, caselog, case, action))
    return messages
