"""The case-record schema: what the desk writes to the case log about decisions and actions.

The case log stores plain JSON; this module is the only one that turns it into values and back.
:class:`DecisionRecord` is the classification (bucket, answers, evidence, override reason),
:class:`ContractRecord` the contract-shape check, :class:`OutcomeRecord` one action's result
(Stripe ids, title, impact, rationale, or the typed :class:`~billing_tui.core.plans.Failure`).
Each has ``to_json()`` and a tolerant ``from_json()`` that also reads records written before this
schema existed (missing keys, unknown buckets, an ``error`` sentence without a typed failure).
The readers the handoff needs (:func:`classification_from_record`, :func:`taken_from_record`,
:func:`handoff_from_record`) live here too, and :func:`ledger_of`, which reads the whole case
as the typed :class:`~billing_tui.core.plans.ledger.CaseLedger` (:class:`ObservationRecord` is
the observed snapshot's summary, ``CaseRecord.observed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TypeAlias

from billing_tui.core import handoff as ho
from billing_tui.core.classify import (
    Answers,
    Bucket,
    Classification,
    Evidence,
)
from billing_tui.core.contract import ContractCheck, ContractLine
from billing_tui.core.model import Money, PartFailure
from billing_tui.core.plans import (
    ActionKind,
    ActionOutcome,
    Failure,
    FailureKind,
    amount_of,
    describe_action,
)
from billing_tui.core.plans.ledger import (
    CaseLedger,
    Entry,
    Observation,
    Outcome,
    OutcomeState,
    OwedCharge,
    intent_of,
)
from billing_tui.store.caselog import ActionRecord, CaseRecord

JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
JSONObject: TypeAlias = "dict[str, JSONValue]"

# --------------------------------------------------------------------------- reading JSON


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _items(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else ()


def _texts(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in _items(value))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _optional_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _bucket(value: object) -> Bucket | None:
    try:
        return Bucket(str(value)) if value else None
    except ValueError:
        return None


def _float(value: object) -> float:
    try:
        return float(value) if isinstance(value, int | float | str) and value != "" else 0.0
    except ValueError:
        return 0.0


def _int(value: object) -> int:
    try:
        return int(value) if isinstance(value, int | float | str) else 0
    except ValueError:
        return 0


# --------------------------------------------------------------------------- the decision


def _evidence_json(item: Evidence) -> JSONObject:
    return {
        "bucket": item.bucket.value,
        "sentence": item.sentence,
        "supports": item.supports,
        "refs": list(item.refs),
    }


def _evidence_from_json(value: object) -> Evidence | None:
    data = _mapping(value)
    bucket = _bucket(data.get("bucket"))
    if bucket is None:
        return None
    return Evidence(
        bucket,
        _text(data.get("sentence", "")),
        bool(data.get("supports", True)),
        _texts(data.get("refs")),
    )


@dataclass(frozen=True)
class DecisionRecord:
    """The classification as the case log keeps it (``CaseRecord.classification``).

    ``bucket`` is stored only once the operator confirmed it; ``suggested`` is the
    classifier's own answer. ``contract_confirmed`` is None when no contract check applied.
    """

    suggested: Bucket | None
    bucket: Bucket | None
    confirmed: bool
    confidence: float
    override_reason: str | None = None
    answers: tuple[tuple[str, str], ...] = ()
    evidence: tuple[Evidence, ...] = ()
    contract_confirmed: bool | None = None
    #: Every bucket the evidence pointed at (``Classification.findings``): the case's secondary
    #: problems keep their plans and handoff lines after a reload. Absent in older records.
    findings: tuple[Bucket, ...] = ()

    @classmethod
    def of(cls, classification: Classification) -> DecisionRecord:
        contract = classification.contract
        return cls(
            suggested=classification.suggested,
            bucket=classification.final,
            confirmed=classification.confirmed,
            confidence=classification.confidence,
            override_reason=classification.override_reason,
            answers=tuple(classification.answers.values.items()),
            evidence=classification.evidence,
            contract_confirmed=None if contract is None else contract.confirmed,
            findings=classification.findings,
        )

    def to_json(self) -> JSONObject:
        return {
            "suggested": self.suggested.value if self.suggested else None,
            "bucket": self.bucket.value if self.bucket else None,
            "confirmed": self.confirmed,
            "confidence": self.confidence,
            "override_reason": self.override_reason,
            "answers": dict(self.answers),
            "evidence": [_evidence_json(e) for e in self.evidence],
            "contract_confirmed": self.contract_confirmed,
            "findings": [b.value for b in self.findings],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DecisionRecord:
        evidence = (_evidence_from_json(item) for item in _items(data.get("evidence")))
        contract = data.get("contract_confirmed")
        override = data.get("override_reason")
        return cls(
            suggested=_bucket(data.get("suggested")),
            bucket=_bucket(data.get("bucket")),
            confirmed=bool(data.get("confirmed")),
            confidence=_float(data.get("confidence")),
            override_reason=None if override is None else str(override),
            answers=tuple((str(k), str(v)) for k, v in _mapping(data.get("answers")).items()),
            evidence=tuple(e for e in evidence if e is not None),
            contract_confirmed=None if contract is None else bool(contract),
            findings=tuple(
                b for b in (_bucket(item) for item in _items(data.get("findings"))) if b
            ),
        )

    def to_classification(self, contract: ContractRecord | None) -> Classification:
        """Enough of the classification to report it (the handoff's DECISION); the recorded
        contract check keeps its reasons and confirmation, not its lines."""
        return Classification(
            suggested=self.suggested,
            confidence=self.confidence,
            evidence=self.evidence,
            questions=(),
            answers=Answers(MappingProxyType(dict(self.answers))),
            contract=None
            if contract is None
            else ContractCheck(reasons=contract.reasons, lines=(), confirmed=contract.confirmed),
            bucket=self.bucket,
            override_reason=self.override_reason,
            confirmed=self.confirmed and self.bucket is not None,
            findings=self.findings,
        )


def _line_json(line: ContractLine) -> JSONObject:
    return {
        "subscription_id": line.subscription_id,
        "price": line.price,
        "interval": line.interval,
        "quantity": line.quantity,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "pending_prorations": line.pending_prorations,
    }


def _line_from_json(value: object) -> ContractLine:
    data = _mapping(value)
    return ContractLine(
        subscription_id=_text(data.get("subscription_id")),
        price=_text(data.get("price")),
        interval=_text(data.get("interval")),
        quantity=_int(data.get("quantity")),
        period_start=_text(data.get("period_start")),
        period_end=_text(data.get("period_end")),
        pending_prorations=_text(data.get("pending_prorations")),
    )


@dataclass(frozen=True)
class ContractRecord:
    """The contract-shape check as the case log keeps it (``CaseRecord.contract``)."""

    confirmed: bool
    reasons: tuple[str, ...] = ()
    lines: tuple[ContractLine, ...] = ()

    @classmethod
    def of(cls, contract: ContractCheck) -> ContractRecord:
        return cls(confirmed=contract.confirmed, reasons=contract.reasons, lines=contract.lines)

    def to_json(self) -> JSONObject:
        return {
            "confirmed": self.confirmed,
            "reasons": list(self.reasons),
            "lines": [_line_json(line) for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ContractRecord:
        return cls(
            confirmed=bool(data.get("confirmed")),
            reasons=_texts(data.get("reasons")),
            lines=tuple(_line_from_json(line) for line in _items(data.get("lines"))),
        )


def decision_json(classification: Classification) -> JSONObject:
    """``CaseRecord.classification`` for this classification."""
    return DecisionRecord.of(classification).to_json()


def contract_json(classification: Classification) -> JSONObject | None:
    """``CaseRecord.contract`` for this classification (None: no contract check applied)."""
    contract = classification.contract
    return None if contract is None else ContractRecord.of(contract).to_json()


def classification_from_record(record: CaseRecord) -> Classification | None:
    """Rebuild enough of a recorded classification to report it (the handoff's DECISION)."""
    if not record.classification:
        return None
    contract = ContractRecord.from_json(record.contract) if record.contract else None
    return DecisionRecord.from_json(record.classification).to_classification(contract)


# --------------------------------------------------------------------------- action outcomes

#: What records written before typed failures said (``error_type``), as a failure kind.
_KIND_OF_ERROR_TYPE = {
    "PermissionDenied": FailureKind.PERMISSION,
    "NetworkDown": FailureKind.UNCERTAIN,
    "StripeUnavailable": FailureKind.UNCERTAIN,
    "CardDeclined": FailureKind.DECLINED,
    "InvalidRequest": FailureKind.INVALID,
    "MalformedId": FailureKind.INVALID,
    "NotFound": FailureKind.NOT_FOUND,
    "RateLimited": FailureKind.UNAVAILABLE,
}


def _failure_json(failure: Failure) -> JSONObject:
    found: JSONObject = {"kind": failure.kind.value}
    for name, value in (
        ("permission", failure.permission),
        ("param", failure.param),
        ("code", failure.code),
    ):
        if value is not None:
            found[name] = value
    return found


def _failure_from_json(data: Mapping[str, object]) -> Failure | None:
    message = _text(data.get("error"))
    typed = _mapping(data.get("failure"))
    if not message and not typed:
        return None
    try:
        kind = FailureKind(str(typed["kind"]))
    except (KeyError, ValueError):
        kind = _KIND_OF_ERROR_TYPE.get(_text(data.get("error_type")), FailureKind.OTHER)
    return Failure(
        kind,
        message,
        permission=_optional_text(typed.get("permission")),
        param=_optional_text(typed.get("param")),
        code=_optional_text(typed.get("code")),
    )


@dataclass(frozen=True)
class OutcomeRecord:
    """One action's result as the case log keeps it (``ActionRecord.result``).

    The action's status (``succeeded`` / ``failed`` …) is kept beside it on the action record,
    which the case log manages; ``failure`` is set for a failed one (its message is the
    ``error`` sentence; ``error_type`` names the exception for audits).
    """

    stripe_ids: tuple[str, ...] = ()
    request_id: str | None = None
    message: str = ""
    title: str = ""
    impact: str = ""
    rationale: str = ""
    note: str = ""
    failure: Failure | None = None
    error_type: str = ""

    @property
    def error(self) -> str:
        """The failure's sentence ("" when the action did not fail)."""
        return self.failure.message if self.failure is not None else ""

    def to_json(self) -> JSONObject:
        data: JSONObject = {}
        if self.stripe_ids or self.failure is None:
            data["stripe_ids"] = list(self.stripe_ids)
        texts = (
            ("note", self.note),
            ("request_id", self.request_id),
            ("message", self.message),
            ("title", self.title),
            ("impact", self.impact),
            ("rationale", self.rationale),
        )
        data.update((name, value) for name, value in texts if value)
        if self.failure is not None:
            data["error"] = self.failure.message
            if self.error_type:
                data["error_type"] = self.error_type
            data["failure"] = _failure_json(self.failure)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OutcomeRecord:
        failure = _failure_from_json(data)
        return cls(
            stripe_ids=_texts(data.get("stripe_ids")),
            request_id=_optional_text(data.get("request_id")),
            message=_text(data.get("message")),
            title=_text(data.get("title")),
            impact=_text(data.get("impact")),
            rationale=_text(data.get("rationale")),
            note=_text(data.get("note")),
            failure=failure,
            error_type=_text(data.get("error_type")) if failure is not None else "",
        )

    @classmethod
    def of(cls, outcome: ActionOutcome, *, error_type: str = "") -> OutcomeRecord:
        """What the case log keeps of an executed plan's outcome."""
        plan = outcome.plan
        if outcome.failure is not None:
            return cls(
                request_id=outcome.request_id,
                title=plan.title,
                failure=outcome.failure,
                error_type=error_type,
            )
        return cls(
            stripe_ids=outcome.stripe_ids,
            request_id=outcome.request_id,
            message=outcome.message,
            title=plan.title,
            impact=plan.impact.describe(),
            rationale=plan.rationale,
        )


def outcome_of(action: ActionRecord) -> OutcomeRecord:
    """The recorded result of one case-log action."""
    return OutcomeRecord.from_json(action.result or {})


def taken_from_record(action: ActionRecord) -> ho.TakenAction:
    """One case-log action as the handoff reports it."""
    result = outcome_of(action)
    params = {str(k): str(v) for k, v in action.params.items()}
    try:
        kind = ActionKind(action.kind)
    except ValueError:
        kind = ActionKind.NO_OP
    return ho.TakenAction(
        kind=kind,
        status=str(action.status),
        title=result.title or describe_action(action.kind, params),
        params=MappingProxyType(params),
        amount=amount_of(params),
        stripe_ids=result.stripe_ids,
        impact=result.impact,
        message=result.error or result.message,
        rationale=result.rationale,
    )


def handoff_from_record(record: CaseRecord) -> ho.Handoff:
    """The handoff from the case log alone (no Stripe): for ``cases handoff`` and audits.

    A thin adapter: :func:`billing_tui.core.handoff.render_recorded` assembles it.
    """
    return ho.render_recorded(
        case_id=record.id,
        masked_email=record.masked_email,
        customer_ids=record.customer_ids,
        anomaly_codes=record.anomaly_codes,
        livemode=record.livemode,
        classification=classification_from_record(record),
        actions=[taken_from_record(a) for a in record.actions],
        follow_up=record.follow_up,
        gap_titles=record.product_gaps,
    )


# --------------------------------------------------------------------------- the ledger


def _datetime(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _owed_json(owed: OwedCharge) -> JSONObject:
    return {
        "charge": owed.charge_id,
        "subscription": owed.subscription_id,
        "refundable": owed.refundable.amount,
        "currency": owed.refundable.currency,
    }


@dataclass(frozen=True)
class ObservationRecord:
    """What the case observed, as the case log keeps it (``CaseRecord.observed``): when, whom,
    which anomalies, and each part of the snapshot that could not be loaded."""

    observation: Observation

    def to_json(self) -> JSONObject:
        seen = self.observation
        return {
            "loaded_at": seen.loaded_at.astimezone(UTC).isoformat(timespec="seconds"),
            "customer_ids": list(seen.customer_ids),
            "anomaly_codes": list(seen.anomaly_codes),
            "complete": seen.complete,
            "failures": [
                {"part": f.part, "message": f.message, "customer_id": f.customer_id}
                for f in seen.failures
            ],
            "owed_refunds": [_owed_json(o) for o in seen.owed_refunds],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ObservationRecord | None:
        loaded_at = _datetime(data.get("loaded_at"))
        if loaded_at is None:
            return None
        failures = tuple(
            PartFailure(
                _text(f.get("part")),
                _text(f.get("message")),
                _optional_text(f.get("customer_id")),
            )
            for f in (_mapping(item) for item in _items(data.get("failures")))
        )
        owed = tuple(
            OwedCharge(
                _text(o.get("charge")),
                _text(o.get("subscription")),
                Money(_int(o.get("refundable")), _text(o.get("currency"))),
            )
            for o in (_mapping(item) for item in _items(data.get("owed_refunds")))
            if o.get("charge")
        )
        return cls(
            Observation(
                loaded_at,
                _texts(data.get("customer_ids")),
                _texts(data.get("anomaly_codes")),
                failures,
                owed,
            )
        )


def observation_json(observation: Observation) -> JSONObject:
    """``CaseRecord.observed`` for this observation."""
    return ObservationRecord(observation).to_json()


def observation_from_record(record: CaseRecord) -> Observation | None:
    if not record.observed:
        return None
    found = ObservationRecord.from_json(record.observed)
    return None if found is None else found.observation


def _outcome_of_action(action: ActionRecord) -> Outcome:
    result = outcome_of(action)
    if action.status == "succeeded":
        return Outcome(OutcomeState.SUCCEEDED, result.stripe_ids, result.message or result.note)
    if action.status == "failed":
        failure = result.failure or Failure(FailureKind.OTHER, "failed (no reason recorded)")
        state = OutcomeState.SKIPPED if failure.kind == FailureKind.REFUSED else OutcomeState.FAILED
        return Outcome(state, result.stripe_ids, failure.message, failure)
    return Outcome(OutcomeState.PENDING, message=f"{action.status}: no answer recorded yet")


def entry_of(action: ActionRecord) -> Entry:
    """One case-log action as a ledger entry (an unknown kind reads as a note)."""
    try:
        kind = ActionKind(action.kind)
    except ValueError:
        kind = ActionKind.NO_OP
    params = {str(k): str(v) for k, v in action.params.items()}
    return Entry(
        action_id=action.id,
        kind=kind,
        intent=intent_of(kind, params),
        outcome=_outcome_of_action(action),
        title=outcome_of(action).title or describe_action(action.kind, params),
        at=action.updated_at,
        operator=action.operator,
    )


def ledger_of(record: CaseRecord) -> CaseLedger:
    """The case as one typed object: observed, decided, asked for, and what came of it."""
    return CaseLedger(
        case_id=record.id,
        observed=observation_from_record(record),
        decided=classification_from_record(record),
        entries=tuple(entry_of(a) for a in record.actions),
    )


def _entry_json(entry: Entry) -> JSONObject:
    outcome = entry.outcome
    return {
        "action_id": entry.action_id,
        "kind": entry.kind.value,
        "title": entry.title,
        "state": outcome.state.value,
        "message": outcome.message,
        "stripe_ids": list(outcome.stripe_ids),
        "cause": outcome.cause.value if outcome.cause is not None else None,
    }


@dataclass(frozen=True)
class LedgerReport:
    """What ``cases show`` / ``cases list`` say of a case's ledger: what was done, what failed
    (and was not done since), what is unsettled, and the refunds still owed as the case last
    observed them. Read from the case log alone (no Stripe)."""

    ledger: CaseLedger

    @property
    def done(self) -> tuple[Entry, ...]:
        return self.ledger.done

    @property
    def failed(self) -> tuple[Entry, ...]:
        return self.ledger.open_failures

    @property
    def pending(self) -> tuple[Entry, ...]:
        return self.ledger.pending

    @property
    def owed_refunds(self) -> tuple[OwedCharge, ...]:
        return self.ledger.owed_refunds

    def still_owed(self) -> tuple[str, ...]:
        """One sentence per thing the case still owes: a refund, a failed or unsettled action."""
        return (
            *(
                f"refund {o.refundable.format()} of {o.charge_id} (canceled duplicate "
                f"{o.subscription_id}), or record why not"
                for o in self.owed_refunds
            ),
            *(f"{e.kind.label} failed: {e.title} ({e.action_id})" for e in self.failed),
            *(f"{e.kind.label} unsettled: {e.title} ({e.action_id})" for e in self.pending),
        )

    def to_json(self) -> JSONObject:
        observed = self.ledger.observed
        return {
            "done": [_entry_json(e) for e in self.done],
            "failed": [_entry_json(e) for e in self.failed],
            "pending": [_entry_json(e) for e in self.pending],
            "owed_refunds": [_owed_json(o) for o in self.owed_refunds],
            "still_owed": list(self.still_owed()),
            "observed_at": None
            if observed is None
            else observed.loaded_at.astimezone(UTC).isoformat(timespec="seconds"),
        }


def ledger_report(record: CaseRecord) -> LedgerReport:
    """The case's ledger as ``cases`` reports it."""
    return LedgerReport(ledger_of(record))
