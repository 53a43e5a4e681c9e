"""What the case log stores: case and action records, their statuses, case ids, plain JSON.

A :class:`CaseRecord` (one case) holds its :class:`ActionRecord`\\ s (the write-ahead actions).
Decisions and results are kept as plain JSON (:data:`JSONObject`): the store knows nothing of
the domain; ``billing_tui.desk.records`` converts the typed values to and from exactly that JSON.

Every free-text string is scrubbed (:func:`scrub`) when a record is written AND when it is read:
e-mail addresses (the searched query too) become ``d***@example.com``, anything shaped like a
Stripe key ``sk_live_…abcd``, and 13–19 digit Luhn-valid numbers (card numbers) are removed — the
one rule of :func:`billing_tui.core.text.redact`. Scrubbing on read masks logs written before
this rule, so no record handed out (and nothing printed or exported from one) is unmasked.
"""

from __future__ import annotations

import getpass
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, TypeAlias, TypedDict, TypeVar

from billing_tui.core.text import redact

#: A JSON value as :mod:`json` reads and writes it.
JSONScalar: TypeAlias = bool | int | float | str | None
JSONValue: TypeAlias = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]
JSONObject: TypeAlias = dict[str, JSONValue]

CaseStatus = Literal["open", "resolved"]
ActionStatus = Literal["planned", "in_flight", "succeeded", "failed"]

CASE_STATUSES: tuple[CaseStatus, ...] = ("open", "resolved")
ACTION_STATUSES: tuple[ActionStatus, ...] = ("planned", "in_flight", "succeeded", "failed")
PENDING: tuple[ActionStatus, ...] = ("planned", "in_flight")

_CASE_ID = re.compile(r"case-(\d{4})(\d{2})-(\d{2,})-([0-9a-z][0-9a-f]{7})")

_Status = TypeVar("_Status", bound=str)


class CaseLogError(Exception):
    """The case log cannot do what was asked; ``str()`` says why and what to do."""


class CaseNotFound(CaseLogError):
    """No such case (or action), or not a case id at all."""


def io_failure(error: OSError, doing: str, where: object) -> CaseLogError:
    """An operating-system failure as the one sentence an operator reads: ``cannot write the
    case log at /path/cases-2026-11-01.json: permission denied`` (the file the system names,
    else ``where``)."""
    path = error.filename if error.filename else where
    reason = (error.strerror or type(error).__name__).lower()
    return CaseLogError(f"cannot {doing} the case log at {path}: {reason}")


# --- time and operator ------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_operator() -> str:
    """The OS user name (what a case records as its operator by default)."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def iso(value: datetime) -> str:
    """A stored timestamp: UTC, microseconds (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: object) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- plain JSON and scrubbing -----------------------------------------------------------------


def to_json_value(value: object) -> JSONValue:
    """Mappings/tuples/sets → JSON-ready dicts/lists; anything else JSON can't hold → str."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_json_object(value: Mapping[str, object]) -> JSONObject:
    """A mapping as a JSON object (see :func:`to_json_value`)."""
    return {str(k): to_json_value(v) for k, v in value.items()}


def scrub_text(text: str) -> str:
    """Mask e-mail addresses and secret keys, drop card numbers (:func:`redact`)."""
    return redact(text)


def scrub(value: JSONValue) -> JSONValue:
    """:func:`scrub_text` applied to every string of a JSON-ready value."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _scrub_object(value: JSONObject | None) -> JSONObject | None:
    return None if value is None else {k: scrub(v) for k, v in value.items()}


# --- reading stored fields ---------------------------------------------------------------------


def _status(value: object, allowed: tuple[_Status, ...], what: str) -> _Status:
    text = str(value)
    for status in allowed:
        if status == text:
            return status
    raise ValueError(f"unknown {what} status {text!r}")


def _texts(value: object) -> tuple[str, ...]:
    """A stored list of strings (absent or empty → ``()``)."""
    if not value:
        return ()
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return tuple(str(v) for v in value)


def _scrubbed(value: object) -> tuple[str, ...]:
    """A stored list of free texts, scrubbed, repeats dropped (two searches of one address are
    one masked query)."""
    return tuple(dict.fromkeys(scrub_text(t) for t in _texts(value)))


def _object(value: object) -> JSONObject:
    """A stored JSON object (absent or empty → ``{}``)."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, found {type(value).__name__}")
    return dict(value)


def _object_or_none(value: object) -> JSONObject | None:
    """A stored JSON object kept as read (absent → None)."""
    if isinstance(value, dict):
        return value
    if not value:
        return None
    raise TypeError(f"expected an object, found {type(value).__name__}")


# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionRecord:
    """One action of a case, written before it is sent to Stripe (write-ahead)."""

    id: str
    kind: str
    params: Mapping[str, str] = field(hash=False)
    idempotency_key: str
    status: ActionStatus
    created_at: datetime
    updated_at: datetime
    #: Stripe ids, request id, error, title … whatever the executor records.
    result: JSONObject = field(hash=False)
    operator: str

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": {str(k): scrub_text(str(v)) for k, v in self.params.items()},
            "idempotency_key": self.idempotency_key,
            "status": self.status,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "result": _scrub_object(dict(self.result)),
            "operator": self.operator,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ActionRecord:
        status = _status(data["status"], ACTION_STATUSES, "action")
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            params={str(k): scrub_text(str(v)) for k, v in _object(data.get("params")).items()},
            idempotency_key=str(data["idempotency_key"]),
            status=status,
            created_at=_dt(data["created_at"]),
            updated_at=_dt(data["updated_at"]),
            result={k: scrub(v) for k, v in _object(data.get("result")).items()},
            operator=str(data.get("operator") or ""),
        )


@dataclass(frozen=True)
class CaseRecord:
    """A case: what was searched, who the customer is (masked), what was decided and done."""

    id: str
    opened_at: datetime
    updated_at: datetime
    operator: str
    status: CaseStatus
    queries: tuple[str, ...]
    customer_ids: tuple[str, ...]
    masked_email: str
    anomaly_codes: tuple[str, ...] = ()
    #: ``suggested``, ``bucket``, ``confidence``, ``evidence`` (sentences), ``answers``,
    #: ``override_reason``, ``contract_confirmed`` — whatever the classifier records.
    classification: JSONObject | None = field(default=None, hash=False)
    contract: JSONObject | None = field(default=None, hash=False)
    actions: tuple[ActionRecord, ...] = ()
    follow_up: str = ""
    product_gaps: tuple[str, ...] = ()
    livemode: bool = False
    #: What the case last observed in Stripe (``billing_tui.desk.records.ObservationRecord``).
    observed: JSONObject | None = field(default=None, hash=False)
    #: Why the case was resolved with a CRITICAL finding or a failed action still open.
    resolve_reason: str = ""

    @property
    def bucket(self) -> str | None:
        """The confirmed bucket, else the suggested one, else None."""
        if not self.classification:
            return None
        value = self.classification.get("bucket") or self.classification.get("suggested")
        return str(value) if value else None

    @property
    def month(self) -> str:
        year, month, _part = parse_case_id(self.id)
        return f"{year:04d}-{month:02d}"

    def action(self, action_id: str) -> ActionRecord:
        for action in self.actions:
            if action.id == action_id:
                return action
        raise CaseNotFound(f"Case {self.id} has no action {action_id}")

    def to_json(self) -> JSONObject:
        return {
            "id": self.id,
            "opened_at": iso(self.opened_at),
            "updated_at": iso(self.updated_at),
            "operator": self.operator,
            "status": self.status,
            "queries": list(dict.fromkeys(scrub_text(q) for q in self.queries)),
            "customer_ids": list(self.customer_ids),
            "masked_email": scrub_text(self.masked_email),
            "anomaly_codes": list(self.anomaly_codes),
            "classification": scrub(to_json_value(self.classification)),
            "contract": scrub(to_json_value(self.contract)),
            "actions": [a.to_json() for a in self.actions],
            "follow_up": scrub_text(self.follow_up),
            "product_gaps": [scrub_text(g) for g in self.product_gaps],
            "livemode": self.livemode,
            "observed": scrub(to_json_value(self.observed)),
            "resolve_reason": scrub_text(self.resolve_reason),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CaseRecord:
        status = _status(data["status"], CASE_STATUSES, "case")
        return cls(
            id=str(data["id"]),
            opened_at=_dt(data["opened_at"]),
            updated_at=_dt(data["updated_at"]),
            operator=str(data.get("operator") or ""),
            status=status,
            queries=_scrubbed(data.get("queries")),
            customer_ids=_texts(data.get("customer_ids")),
            masked_email=scrub_text(str(data.get("masked_email") or "")),
            anomaly_codes=_texts(data.get("anomaly_codes")),
            classification=_scrub_object(_object_or_none(data.get("classification"))),
            contract=_scrub_object(_object_or_none(data.get("contract"))),
            actions=tuple(ActionRecord.from_json(_object(a)) for a in _items(data.get("actions"))),
            follow_up=scrub_text(str(data.get("follow_up") or "")),
            product_gaps=_scrubbed(data.get("product_gaps")),
            livemode=bool(data.get("livemode", False)),
            observed=_object_or_none(data.get("observed")),
            resolve_reason=scrub_text(str(data.get("resolve_reason") or "")),
        )


def _items(value: object) -> Iterable[object]:
    if not value:
        return ()
    if not isinstance(value, Iterable):
        raise TypeError(f"expected a list, found {type(value).__name__}")
    return value


# --- changing a case ----------------------------------------------------------------------------


class CaseChanges(TypedDict, total=False):
    """The fields :meth:`CaseLog.update` may change (the rest are managed by the log itself)."""

    status: CaseStatus
    queries: str | Sequence[str]
    customer_ids: str | Sequence[str]
    masked_email: str
    anomaly_codes: str | Sequence[str]
    classification: Mapping[str, JSONValue] | None
    contract: Mapping[str, JSONValue] | None
    follow_up: str
    product_gaps: str | Sequence[str]
    livemode: bool
    observed: Mapping[str, JSONValue] | None
    resolve_reason: str


#: Fields ``CaseLog.update`` may change (the keys of :class:`CaseChanges`).
UPDATABLE = frozenset(CaseChanges.__annotations__)

_SEQUENCES = ("queries", "customer_ids", "anomaly_codes", "product_gaps")
_OBJECTS = ("classification", "contract", "observed")


def checked_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """``changes`` validated and made storable: sequences as tuples, decisions as plain JSON.

    Raises :class:`CaseLogError` naming fields that cannot be updated or a bad status.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise CaseLogError(
            f"Cannot update {', '.join(sorted(unknown))} of a case "
            f"(updatable: {', '.join(sorted(UPDATABLE))})"
        )
    if "status" in changes and changes["status"] not in CASE_STATUSES:
        raise CaseLogError(f"A case's status is 'open' or 'resolved', not {changes['status']!r}")
    checked = dict(changes)
    for name in _SEQUENCES:
        if name in checked:
            value = checked[name]
            checked[name] = (value,) if isinstance(value, str) else _texts_as_given(value)
    for name in _OBJECTS:
        value = checked.get(name)
        if value is not None:
            checked[name] = to_json_value(value)
    return checked


def _texts_as_given(value: object) -> tuple[object, ...]:
    if not isinstance(value, Iterable):
        raise TypeError(f"{type(value).__name__!r} object is not iterable")
    return tuple(value)


# --- case ids -----------------------------------------------------------------------------------


def parse_case_id(case_id: str) -> tuple[int, int, int]:
    """``case-202611-02-7f3a9c1e`` → (2026, 11, 2); :class:`CaseNotFound` if malformed.

    (A few ids of an interim format start their random part with a letter: they parse too.)
    """
    match = _CASE_ID.fullmatch(case_id.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CaseNotFound(f"{case_id!r} is not a case id (they look like case-202611-01-7f3a9c1e)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def case_token(part: int) -> str:
    """A case id's random part: 8 hex digits, never starting with so many digits that the id
    (``case-202611-01-12345678``) could be read as a 13+ digit card number, which scrubbers
    and audits would remove."""
    max_leading_digits = 12 - 6 - len(f"{part:02d}")
    for _ in range(50):
        token = secrets.token_hex(4)
        leading = len(token) - len(token.lstrip("0123456789"))
        if leading <= max_leading_digits:
            return token
    return "a" + token[1:]


def new_case_id(year: int, month: int, part: int) -> str:
    """A fresh id for a case stored in part ``part`` of the month's files."""
    return f"case-{year:04d}{month:02d}-{part:02d}-{case_token(part)}"


def new_action_id() -> str:
    return f"act-{secrets.token_hex(4)}"
