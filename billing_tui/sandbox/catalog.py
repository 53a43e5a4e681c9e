"""The scenario catalog: billing cases written as data files, completed into Stripe objects.

A scenario is one JSON file in ``billing_tui/sandbox/scenarios/`` (or any path)::

    {
      "name": "duplicate-checkout",
      "title": "Two subscriptions from one checkout",
      "ticket": "what the customer wrote",
      "identifier": "what the operator types (email, id or GitHub username)",
      "expect": {"anomalies": ["duplicate_subscription"], "bucket": "duplicate_personal",
                 "notes": "why"},
      "keys": {"rk_test_…": ["rak_customer_read"], "sk_live_…": null},   (optional)
      "revoked_keys": ["sk_test_…"],                                       (optional)
      "objects": [ {partial object}, … ]
    }

A scenario that declares ``keys`` or ``revoked_keys`` is not part of ``"all"``: once keys are
declared the sandbox accepts only those, which would lock out the demo's own test key. Load it
by name.

``_base.json`` (same format, no ``expect``) holds the account's product catalog and its default
billing-portal configuration; it is loaded once, before any scenario.

**Objects** are partial: each names its ``object`` type and gives only what matters; the loader
completes it through :mod:`billing_tui.sandbox.resources`. Objects are created in file order, so a
reference (``customer``, ``price``, ``charge`` …) must name an object defined earlier (in this
file, ``_base.json`` or an earlier scenario). Ids are fixed and readable (``cus_dupcheckout1``).

==================================  =========================================================
object                              fields (``*`` = required)
==================================  =========================================================
``product``                         ``id*``, ``name*``, ``description``, ``metadata``, ``created``
``price``                           ``id*``, ``product*``, ``unit_amount*``, ``currency``,
                                    ``interval`` (month/year/week/day or null = one-time),
                                    ``interval_count``, ``nickname``, ``lookup_key``
``customer``                        ``id*``, ``email``, ``name``, ``created``, ``metadata``,
                                    ``balance``, ``currency``, ``preferred_locales``, ``phone``,
                                    ``description``
``payment_method``                  ``id*``, ``customer*``, ``brand``, ``last4``, ``exp_month`` +
                                    ``exp_year`` **or** ``expires`` (a relative time: the card's
                                    last valid month, e.g. ``"-1mo"`` = expired last month),
                                    ``funding``, ``country``, ``created``, ``default`` (true: the
                                    customer's ``invoice_settings.default_payment_method``)
``subscription``                    ``id*``, ``customer*``, ``items*`` (``[{"price", "quantity",
                                    "id"}]``), ``created``, ``status``, ``default_payment_method``,
                                    ``metadata``, ``trial_start``, ``trial_end``,
                                    ``cancel_at_period_end``, ``cancel_at``, ``canceled_at``,
                                    ``ended_at``, ``cancellation_details`` (``reason``,
                                    ``feedback``, ``comment``), ``collection_method``, and the
                                    shortcuts below
``invoice``                         ``id*``, ``customer*``, ``lines*``, ``subscription``,
                                    ``created``, ``status``, ``billing_reason``,
                                    ``starting_balance``, ``pay``, ``failed_attempts``,
                                    ``failure_code``
``refund``                          ``id*``, ``charge*``, ``amount``, ``reason``, ``created``,
                                    ``status``
``dispute``                         ``id*``, ``charge*``, ``amount``, ``reason``, ``status``,
                                    ``created``, ``due_by``
``billing_portal.configuration``    ``id*``, ``is_default``, ``active``, ``name``, ``features``
                                    (``{"subscription_cancel": false}`` or ``{"subscription_cancel":
                                    {"enabled": false}}``; also ``customer_update``,
                                    ``invoice_history``, ``payment_method_update``,
                                    ``subscription_update``)
==================================  =========================================================

**Subscription shortcuts** (the billing history Stripe would have produced):

* ``"invoices"``: ``"all"`` (default) = one invoice per elapsed billing period from ``created``
  (or the trial end) up to now (or until ``ended_at``), each paid by a succeeded PaymentIntent +
  charge + ``invoice_payment``; ``"first"`` = only the first; ``"none"``. A trial adds a $0
  paid invoice at the trial start. Ids derive from the subscription id's body ``X``:
  ``in_X001``, ``pi_X001``, ``ch_X001``, ``inpay_X001`` … (3-digit sequence), items ``si_X1``…
* ``"payment_method"``: the card that pays them (default: ``default_payment_method``, else the
  customer's default).
* ``"latest_invoice"``: ``{"status": "open", "failed_attempts": 3, "failure_code":
  "expired_card"}`` makes the newest generated invoice open with that many declined charges
  (``ch_X00Nf1`` …). ``past_due``/``unpaid``/``incomplete`` subscriptions default to one failed
  attempt.

**Times** follow the sandbox clock, so a scenario means the same thing whatever "now" is:

* ``"now"``; a relative offset made of signed terms: ``"-90d"``, ``"-3h"``, ``"-45m"``,
  ``"-90s"``, ``"+2d"``, ``"-2w"``, ``"-6mo-8d"`` (``mo`` and ``y`` are calendar months/years,
  applied first);
* ``{"after": "<object id>", "seconds": 92}``: that many seconds after another object's
  ``created`` (negative = before);
* an integer: absolute unix seconds (does not follow the clock; avoid).

**Invoice lines** (explicit ``invoice`` objects): ``{"price", "quantity", "amount",
"description", "period": [start, end], "proration", "subscription_item"}``; ``amount`` defaults
to ``unit_amount × quantity`` (required for proration lines), ``period`` to the item's current
period (``"period_start"``/``"period_end"`` name the item's current period bounds), and
``subscription_item`` to the subscription's item with that price. ``"pay": true`` (or
``{"payment_method", "payment_intent", "charge", "invoice_payment"}`` to name the ids) settles a
paid invoice's ``amount_due`` with a card.

A malformed file raises :class:`ScenarioError` naming the file, the object (index and id) and
the field.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.state import JSON, SandboxState

SCENARIO_DIR = Path(__file__).with_name("scenarios")
BASE_NAME = "_base"

#: The anomaly codes of ``docs/anomalies.md`` (a test checks the two agree).
ANOMALY_CODES: frozenset[str] = frozenset(
    {
        "duplicate_subscription",
        "duplicate_customer",
        "cross_customer_duplicate",
        "team_purchase_pattern",
        "mixed_interval",
        "payment_failed",
        "incomplete_checkout",
        "card_expired",
        "card_expires_before_renewal",
        "no_payment_method",
        "trial_ending_without_payment_method",
        "disputed_charge",
        "refunded_charge",
        "double_charge",
        "proration_activity",
        "cancel_pending",
        "customer_balance",
        "portal_missing",
        "portal_cancel_disabled",
        "portal_payment_update_disabled",
        "portal_invoice_history_disabled",
    }
)

#: The classifier's buckets a scenario may expect (a test checks they match the classifier's).
BUCKET_NAMES: tuple[str, ...] = (
    "duplicate_personal",
    "team_intent",
    "failed_payment",
    "missing_self_serve",
    "product_failure",
)
BUCKETS: frozenset[str] = frozenset(BUCKET_NAMES)


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message names file, object and field."""


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    ticket: str
    identifier: str
    anomalies: tuple[str, ...]
    bucket: str | None
    notes: str
    customer_ids: tuple[str, ...] = ()
    path: str = ""
    #: False for scenarios that declare API keys: once keys are declared only those work, which
    #: would lock the demo's own ``sk_test_…`` key out, so ``"all"`` leaves them out.
    in_all: bool = True


# --------------------------------------------------------------------------- listing


def scenario_paths() -> dict[str, Path]:
    """Packaged scenario files by name (``_base.json`` excluded)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.json")) if not p.stem.startswith("_")}


def list_scenarios() -> list[ScenarioInfo]:
    """The packaged scenarios' descriptions and expectations (nothing is loaded)."""
    infos = []
    for path in scenario_paths().values():
        data = _read(path)
        infos.append(_info(data, path, customer_ids=_customer_ids(data)))
    return infos


# --------------------------------------------------------------------------- loading


def load(state: SandboxState, names: Sequence[str]) -> list[ScenarioInfo]:
    """Load scenarios (catalog names, ``"all"``, or paths to JSON files) into ``state``.

    ``_base.json`` is loaded first, once per state. Each scenario's :class:`ScenarioInfo` is
    also stored in ``state.scenarios[name]``.
    """
    if isinstance(names, str):
        names = [names]
    available = scenario_paths()
    paths: list[Path] = []
    for name in names:
        if name == "all":
            paths.extend(p for p in available.values() if _in_all(_read(p)))
        elif name in available:
            paths.append(available[name])
        elif name.endswith(".json") or "/" in name or Path(name).is_file():
            path = Path(name)
            if not path.is_file():
                raise ScenarioError(f"{name}: no such scenario file")
            paths.append(path)
        else:
            raise ScenarioError(
                f"unknown scenario {name!r}; known: all, {', '.join(sorted(available))}"
            )
    _load_base(state)
    infos: list[ScenarioInfo] = []
    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        data = _read(path)
        info = _info(data, path, customer_ids=())
        if info.name in state.scenarios:
            infos.append(state.scenarios[info.name])
            continue
        created = _Loader(state, path).run(data)
        info = _info(data, path, customer_ids=tuple(created.get("customer", [])))
        state.scenarios[info.name] = info
        infos.append(info)
    return infos


def _load_base(state: SandboxState) -> None:
    path = SCENARIO_DIR / f"{BASE_NAME}.json"
    data = _read(path)
    first = next(iter(data.get("objects", [])), None)
    if first is not None and state.find(str(first.get("id"))) is not None:
        return  # already loaded into this state
    _Loader(state, path).run(data)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: the file must hold a JSON object")
    return data


def _in_all(data: Mapping[str, Any]) -> bool:
    return not data.get("keys") and not data.get("revoked_keys")


def _customer_ids(data: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(o.get("id"))
        for o in data.get("objects", [])
        if isinstance(o, dict) and o.get("object") == "customer"
    )


def _info(data: Mapping[str, Any], path: Path, *, customer_ids: tuple[str, ...]) -> ScenarioInfo:
    def field(key: str, kind: type, default: Any = ...) -> Any:
        value = data.get(key, default)
        if value is ...:
            raise ScenarioError(f"{path.name}: missing field '{key}'")
        if not isinstance(value, kind):
            raise ScenarioError(f"{path.name}: field '{key}' must be {kind.__name__}")
        return value

    name = field("name", str)
    if path.stem != BASE_NAME and path.parent == SCENARIO_DIR and name != path.stem:
        raise ScenarioError(f"{path.name}: field 'name' is {name!r} but the file is {path.stem!r}")
    if not isinstance(data.get("objects", []), list):
        raise ScenarioError(f"{path.name}: field 'objects' must be a list")
    expect = field("expect", dict, {})
    anomalies = expect.get("anomalies", [])
    if not isinstance(anomalies, list) or not all(isinstance(a, str) for a in anomalies):
        raise ScenarioError(f"{path.name}: field 'expect.anomalies' must be a list of codes")
    unknown = sorted(set(anomalies) - ANOMALY_CODES)
    if unknown:
        raise ScenarioError(
            f"{path.name}: field 'expect.anomalies': unknown code(s) {', '.join(unknown)} "
            "(see docs/anomalies.md)"
        )
    bucket = expect.get("bucket")
    if bucket is not None and bucket not in BUCKETS:
        raise ScenarioError(
            f"{path.name}: field 'expect.bucket': {bucket!r} is not one of "
            f"{', '.join(sorted(BUCKETS))} or null"
        )
    return ScenarioInfo(
        name=name,
        title=field("title", str, ""),
        ticket=field("ticket", str, ""),
        identifier=field("identifier", str, ""),
        anomalies=tuple(anomalies),
        bucket=bucket,
        notes=str(expect.get("notes", "")),
        customer_ids=customer_ids,
        path=str(path),
        in_all=_in_all(data),
    )


# --------------------------------------------------------------------------- times

_TERM = re.compile(r"([+-])(\d+)(mo|y|w|d|h|m|s)")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_offset(text: str, now: int) -> int:
    """``"-6mo-8d"`` → unix seconds relative to ``now`` (months/years first, calendar-aware)."""
    if text == "now":
        return now
    terms = _TERM.findall(text)
    if not terms or "".join(s + n + u for s, n, u in terms) != text:
        raise ValueError(
            f"{text!r} is not a relative time like '-90d', '+2d', '-3h', '-6mo-8d' or 'now'"
        )
    months = 0
    seconds = 0
    for sign, number, unit in terms:
        value = int(number) * (1 if sign == "+" else -1)
        if unit == "mo":
            months += value
        elif unit == "y":
            months += 12 * value
        else:
            seconds += value * _UNIT_SECONDS[unit]
    base = resources.add_months(now, months) if months else now
    return base + seconds


class _Field(Exception):
    """Raised inside the loader; becomes a ScenarioError naming file/object/field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


# --------------------------------------------------------------------------- the loader

_ALLOWED: dict[str, frozenset[str]] = {
    "product": frozenset({"id", "name", "description", "metadata", "created"}),
    "price": frozenset(
        {"id", "product", "unit_amount", "currency", "interval", "interval_count", "nickname",
         "lookup_key", "created", "metadata"}
    ),
    "customer": frozenset(
        {"id", "email", "name", "created", "metadata", "balance", "currency",
         "preferred_locales", "phone", "description"}
    ),
    "payment_method": frozenset(
        {"id", "customer", "brand", "last4", "exp_month", "exp_year", "expires", "funding",
         "country", "created", "default", "metadata"}
    ),
    "subscription": frozenset(
        {"id", "customer", "items", "created", "status", "default_payment_method", "metadata",
         "description", "trial_start", "trial_end", "cancel_at_period_end", "cancel_at",
         "canceled_at", "ended_at", "cancellation_details", "collection_method", "invoices",
         "payment_method", "latest_invoice"}
    ),
    "invoice": frozenset(
        {"id", "customer", "subscription", "lines", "created", "status", "billing_reason",
         "starting_balance", "pay", "failed_attempts", "failure_code", "metadata",
         "description"}
    ),
    "refund": frozenset({"id", "charge", "amount", "reason", "created", "status", "metadata"}),
    "dispute": frozenset({"id", "charge", "amount", "reason", "status", "created", "due_by"}),
    "billing_portal.configuration": frozenset(
        {"id", "is_default", "active", "name", "features", "metadata", "created",
         "default_return_url"}
    ),
}  # fmt: skip

_FEATURES = (
    "customer_update",
    "invoice_history",
    "payment_method_update",
    "subscription_cancel",
    "subscription_update",
)
_ENDED = frozenset({"canceled", "incomplete_expired"})
_SUB_STATUSES = frozenset(
    {"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid",
     "paused"}
)  # fmt: skip


class _Loader:
    def __init__(self, state: SandboxState, path: Path) -> None:
        self.state = state
        self.path = path
        self.now = state.now()
        self.created: dict[str, list[str]] = {}

    # -- entry point

    def run(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        entries = data.get("objects", [])
        if not isinstance(entries, list):
            raise ScenarioError(f"{self.path.name}: field 'objects' must be a list")
        self._keys(data)
        handlers: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "product": self._product,
            "price": self._price,
            "customer": self._customer,
            "payment_method": self._payment_method,
            "subscription": self._subscription,
            "invoice": self._invoice,
            "refund": self._refund,
            "dispute": self._dispute,
            "billing_portal.configuration": self._portal,
        }
        with self.state.lock:
            for index, entry in enumerate(entries):
                where = f"{self.path.name}: object #{index}"
                if not isinstance(entry, dict):
                    raise ScenarioError(f"{where}: must be a JSON object")
                if isinstance(entry.get("id"), str):
                    where += f" ({entry['id']})"
                kind = entry.get("object")
                try:
                    if kind not in handlers:
                        raise _Field(
                            "object",
                            f"unknown object type {kind!r} (one of {', '.join(sorted(handlers))})",
                        )
                    unknown = sorted(set(entry) - _ALLOWED[kind] - {"object"})
                    if unknown:
                        raise _Field(unknown[0], f"unknown field for a {kind}")
                    obj_id = self._str(entry, "id")
                    if not re.fullmatch(r"[a-z.]+_[A-Za-z0-9]+", obj_id):
                        raise _Field("id", f"{obj_id!r} is not a Stripe-shaped id (prefix_alnum)")
                    if self.state.find(obj_id) is not None:
                        raise _Field("id", f"{obj_id!r} already exists (ids must be unique)")
                    handlers[kind](entry)
                    self.created.setdefault(str(kind), []).append(obj_id)
                except _Field as exc:
                    raise ScenarioError(f"{where}: field '{exc.field}': {exc.problem}") from None
                except (ValueError, KeyError, TypeError) as exc:
                    raise ScenarioError(f"{where}: {exc}") from None
        return self.created

    def _keys(self, data: Mapping[str, Any]) -> None:
        keys = data.get("keys", {})
        revoked = data.get("revoked_keys", [])
        if not isinstance(keys, dict):
            raise ScenarioError(f"{self.path.name}: field 'keys' must map key -> permissions|null")
        for key, perms in keys.items():
            match = re.fullmatch(r"(sk|rk)_(test|live)_([A-Za-z0-9]{4,})", key)
            if match is None:
                raise ScenarioError(
                    f"{self.path.name}: field 'keys': {key[:8]}… is not an API key "
                    "(sk_/rk_, test_/live_, then at least 4 letters or digits)"
                )
            if match.group(2) == "live" and len(match.group(3)) > 15:
                raise ScenarioError(
                    f"{self.path.name}: field 'keys': a declared live key must be obviously fake "
                    "(at most 15 characters after sk_live_/rk_live_), never a real-looking one"
                )
            if perms is not None and not (
                isinstance(perms, list) and all(isinstance(p, str) for p in perms)
            ):
                raise ScenarioError(
                    f"{self.path.name}: field 'keys.{key[:8]}…': permissions must be a list or null"
                )
            self.state.keys.declared[key] = None if perms is None else frozenset(perms)
        if not isinstance(revoked, list) or not all(isinstance(k, str) for k in revoked):
            raise ScenarioError(f"{self.path.name}: field 'revoked_keys' must be a list of keys")
        self.state.keys.revoked.update(revoked)

    # -- field helpers

    def _str(self, entry: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        value = entry.get(key, default)
        if value is ...:
            raise _Field(key, "is required")
        if value is not None and not isinstance(value, str):
            raise _Field(key, f"must be a string, not {type(value).__name__}")
        return value

    def _int(self, entry: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        value = entry.get(key, default)
        if value is ...:
            raise _Field(key, "is required")
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _Field(key, f"must be an integer, not {type(value).__name__}")
        return value

    def _bool(self, entry: Mapping[str, Any], key: str, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            raise _Field(key, "must be true or false")
        return value

    def _dict(self, entry: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = entry.get(key, {})
        if not isinstance(value, dict):
            raise _Field(key, "must be an object")
        return value

    def _metadata(self, entry: Mapping[str, Any]) -> dict[str, str]:
        value = self._dict(entry, "metadata")
        if not all(isinstance(v, str) for v in value.values()):
            raise _Field("metadata", "values must be strings (Stripe metadata is strings)")
        return value

    def _time(self, entry: Mapping[str, Any], key: str, default: Any = ...) -> Any:
        value = entry.get(key, default)
        if value is ...:
            raise _Field(key, "is required")
        return None if value is None else self._at(value, key)

    def _at(self, value: Any, key: str) -> int:
        if isinstance(value, bool):
            raise _Field(key, "must be a time")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return parse_offset(value, self.now)
            except ValueError as exc:
                raise _Field(key, str(exc)) from None
        if isinstance(value, dict) and set(value) <= {"after", "seconds"} and "after" in value:
            other = self.state.find(str(value["after"]))
            if other is None or "created" not in other:
                raise _Field(key, f"'after' names {value['after']!r}, which is not defined earlier")
            seconds = value.get("seconds", 0)
            if not isinstance(seconds, int) or isinstance(seconds, bool):
                raise _Field(key, "'seconds' must be an integer")
            return int(other["created"]) + seconds
        raise _Field(
            key, "must be 'now', a relative time like '-90d', or {'after': id, 'seconds': n}"
        )

    def _ref(self, entry: Mapping[str, Any], key: str, kind: str, *, required: bool = True) -> Any:
        value = self._str(entry, key, ... if required else None)
        if value is not None and self.state.get(kind, value) is None:
            raise _Field(key, f"{value!r} is not a {kind} defined earlier")
        return value

    # -- handlers

    def _product(self, e: Mapping[str, Any]) -> None:
        resources.product(
            self.state,
            id=e["id"],
            name=self._str(e, "name"),
            description=self._str(e, "description", None),
            metadata=self._metadata(e),
            created=self._time(e, "created", "-5y"),
        )

    def _price(self, e: Mapping[str, Any]) -> None:
        interval = self._str(e, "interval", "month")
        if interval not in {None, "day", "week", "month", "year"}:
            raise _Field("interval", f"{interval!r} is not day, week, month, year or null")
        amount = self._int(e, "unit_amount")
        if amount < 0:
            raise _Field("unit_amount", "must be ≥ 0 (minor units)")
        resources.price(
            self.state,
            id=e["id"],
            product=self._ref(e, "product", "product"),
            unit_amount=amount,
            currency=self._str(e, "currency", "usd"),
            interval=interval,
            interval_count=self._int(e, "interval_count", 1),
            nickname=self._str(e, "nickname", None),
            lookup_key=self._str(e, "lookup_key", None),
            metadata=self._metadata(e),
            created=self._time(e, "created", "-5y"),
        )

    def _customer(self, e: Mapping[str, Any]) -> None:
        locales = e.get("preferred_locales", [])
        if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
            raise _Field("preferred_locales", "must be a list of locale strings")
        resources.customer(
            self.state,
            id=e["id"],
            email=self._str(e, "email", None),
            name=self._str(e, "name", None),
            created=self._time(e, "created", "-30d"),
            metadata=self._metadata(e),
            balance=self._int(e, "balance", 0),
            currency=self._str(e, "currency", None),
            preferred_locales=locales,
            phone=self._str(e, "phone", None),
            description=self._str(e, "description", None),
        )

    def _payment_method(self, e: Mapping[str, Any]) -> None:
        cust = self._ref(e, "customer", "customer")
        if "expires" in e:
            if "exp_month" in e or "exp_year" in e:
                raise _Field("expires", "give either 'expires' or exp_month/exp_year, not both")
            at = dt.datetime.fromtimestamp(self._time(e, "expires"), dt.UTC)
            exp_month, exp_year = at.month, at.year
        else:
            exp_month = self._int(e, "exp_month", 8)
            exp_year = self._int(e, "exp_year", 2030)
        try:
            resources.payment_method(
                self.state,
                id=e["id"],
                customer=cust,
                brand=self._str(e, "brand", "visa"),
                last4=self._str(e, "last4", "4242"),
                exp_month=exp_month,
                exp_year=exp_year,
                funding=self._str(e, "funding", "credit"),
                country=self._str(e, "country", "US"),
                created=self._time(e, "created", None)
                or self.state.objects["customer"][cust]["created"],
                metadata=self._metadata(e),
                make_default=self._bool(e, "default", False),
            )
        except ValueError as exc:
            field = "last4" if "last4" in str(exc) else "exp_month"
            raise _Field(field, str(exc)) from None

    def _subscription(self, e: Mapping[str, Any]) -> None:
        state = self.state
        sid = e["id"]
        stem = sid.split("_", 1)[1]
        cust_id = self._ref(e, "customer", "customer")
        cust = state.objects["customer"][cust_id]
        status = self._str(e, "status", "active")
        if status not in _SUB_STATUSES:
            raise _Field("status", f"{status!r} is not a subscription status")
        raw_items = e.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise _Field("items", "must be a non-empty list of {price, quantity}")
        pairs: list[tuple[str, int]] = []
        item_ids: list[str] = []
        for n, item in enumerate(raw_items, start=1):
            if not isinstance(item, dict) or set(item) - {"price", "quantity", "id"}:
                raise _Field(f"items[{n - 1}]", "must be {price, quantity, id?}")
            pid = self._ref(item, "price", "price")
            qty = self._int(item, "quantity", 1)
            if qty < 1:
                raise _Field(f"items[{n - 1}].quantity", "must be ≥ 1")
            pairs.append((pid, qty))
            item_ids.append(self._str(item, "id", f"si_{stem}{n}"))
        cd = self._dict(e, "cancellation_details")
        if set(cd) - {"reason", "feedback", "comment"}:
            raise _Field("cancellation_details", "only reason, feedback and comment")
        pm_default = self._ref(e, "default_payment_method", "payment_method", required=False)
        created = self._time(e, "created", "-30d")
        trial_end = self._time(e, "trial_end", None)
        trial_start = self._time(e, "trial_start", None)
        if trial_end is not None and trial_end <= (trial_start or created):
            raise _Field("trial_end", "must be after the trial start (or created)")
        for key in ("canceled_at", "ended_at"):
            value = self._time(e, key, None)
            if value is not None and value < created:
                raise _Field(key, "is before the subscription was created")
            if key == "ended_at" and value is not None and status not in _ENDED:
                raise _Field(key, f"only a canceled subscription has ended (status {status!r})")
        sub = resources.subscription(
            state,
            id=sid,
            customer=cust_id,
            items=pairs,
            item_ids=item_ids,
            created=created,
            status=status,
            default_payment_method=pm_default,
            metadata=self._metadata(e),
            description=self._str(e, "description", None),
            trial_start=trial_start,
            trial_end=trial_end,
            cancel_at_period_end=self._bool(e, "cancel_at_period_end", False),
            cancel_at=self._time(e, "cancel_at", None),
            canceled_at=self._time(e, "canceled_at", None),
            ended_at=self._time(e, "ended_at", None),
            cancellation_reason=cd.get("reason"),
            cancellation_feedback=cd.get("feedback"),
            cancellation_comment=cd.get("comment"),
            collection_method=self._str(e, "collection_method", "charge_automatically"),
        )
        mode = self._str(e, "invoices", "first" if status.startswith("incomplete") else "all")
        if mode not in {"all", "first", "none"}:
            raise _Field("invoices", "must be 'all', 'first' or 'none'")
        payer = self._ref(e, "payment_method", "payment_method", required=False) or pm_default
        payer = payer or cust["invoice_settings"]["default_payment_method"]
        latest = e.get("latest_invoice")
        if latest is None and status in {"past_due", "unpaid", "incomplete"}:
            latest = {"status": "open", "failed_attempts": 1}
        if latest is not None and (
            not isinstance(latest, dict)
            or set(latest) - {"status", "failed_attempts", "failure_code"}
        ):
            raise _Field("latest_invoice", "must be {status, failed_attempts, failure_code}")
        if mode != "none":
            self._history(sub, stem, mode, payer, latest)

    def _history(
        self,
        sub: JSON,
        stem: str,
        mode: str,
        payer: str | None,
        latest: Mapping[str, Any] | None,
    ) -> None:
        """The invoices (and payments) a subscription's life would have produced."""
        state = self.state
        items = sub["items"]["data"]
        recs = {(i["price"]["recurring"]["interval"], i["price"]["recurring"]["interval_count"])
                for i in items}  # fmt: skip
        if len(recs) != 1:
            raise _Field("items", "generated invoices need all items on one interval")
        interval, count = recs.pop()
        invoices: list[tuple[int, int, int, str]] = []  # (created, start, end, reason)
        if sub["trial_end"] is not None:
            invoices.append((sub["trial_start"], sub["trial_start"], sub["trial_end"], "trial"))
        if sub["status"] != "trialing":
            anchor = sub["billing_cycle_anchor"]
            until = self.now
            if sub["ended_at"] is not None:
                until = min(until, sub["ended_at"] - 1)
            if anchor <= until:
                starts = resources.period_starts(anchor, interval, count, until)
                day = dt.datetime.fromtimestamp(anchor, dt.UTC).day
                for n, start in enumerate(starts):
                    end = resources.add_interval(anchor, interval, count, n + 1, anchor_day=day)
                    reason = "subscription_cycle" if (n or invoices) else "subscription_create"
                    invoices.append((start, start, end, reason))
        if mode == "first":
            invoices = invoices[:1]
        if not invoices:
            return
        if latest is not None and latest.get("status", "open") != "open":
            raise _Field("latest_invoice.status", "only 'open' (failed) is supported")
        previous_start: int | None = None
        for k, (created, start, end, reason) in enumerate(invoices, start=1):
            # Stripe: a renewal invoice's period_start/end is the period that just ended.
            inv_period = (previous_start or created, start if previous_start else created)
            previous_start = start
            is_last = k == len(invoices)
            trial = reason == "trial"
            lines = []
            for item in items:
                pr = item["price"]
                prod = state.get("product", pr["product"])
                pname = prod["name"] if prod else pr["product"]
                qty = item["quantity"]
                if trial:
                    desc = f"Trial period for {pname}"
                    amount = 0
                else:
                    unit = resources.format_amount(pr["unit_amount"], pr["currency"])
                    desc = f"{qty} × {pname} (at {unit} / {pr['recurring']['interval']})"
                    amount = pr["unit_amount"] * qty
                lines.append(
                    {
                        "amount": amount,
                        "description": desc,
                        "period_start": start,
                        "period_end": end,
                        "price": pr["id"],
                        "quantity": qty,
                        "subscription_item": item["id"],
                    }
                )
            fail = is_last and latest is not None and not trial
            inv = resources.invoice(
                state,
                id=f"in_{stem}{k:03d}",
                customer=sub["customer"],
                subscription=sub["id"],
                lines=lines,
                created=created,
                status="open" if fail else "paid",
                billing_reason="subscription_create" if trial else reason,
                period_start=inv_period[0],
                period_end=inv_period[1],
            )
            if inv["amount_due"] == 0:
                continue
            if payer is None:
                raise _Field(
                    "payment_method",
                    "invoices need a card: give payment_method/default_payment_method or a "
                    "customer default, or set invoices to 'none'",
                )
            if fail:
                assert latest is not None
                attempts = self._int(latest, "failed_attempts", 1)
                if attempts < 1:
                    raise _Field("latest_invoice.failed_attempts", "must be ≥ 1")
                resources.fail_invoice(
                    state,
                    invoice=inv["id"],
                    payment_method=payer,
                    attempts=attempts,
                    failure_code=self._str(latest, "failure_code", "card_declined"),
                    first_attempt=created + (2 if k == 1 else 3600),
                    retry_every=600 if sub["status"].startswith("incomplete") else 3 * 86400,
                    payment_intent_id=f"pi_{stem}{k:03d}",
                    charge_ids=[f"ch_{stem}{k:03d}f{n}" for n in range(1, attempts + 1)],
                    invoice_payment_id=f"inpay_{stem}{k:03d}",
                    next_retry=sub["status"] in {"past_due", "unpaid"},
                )
                inv["auto_advance"] = True
            else:
                resources.pay_invoice(
                    state,
                    invoice=inv["id"],
                    payment_method=payer,
                    at=created + (2 if k == 1 else 3600),
                    payment_intent_id=f"pi_{stem}{k:03d}",
                    charge_id=f"ch_{stem}{k:03d}",
                    invoice_payment_id=f"inpay_{stem}{k:03d}",
                )

    def _invoice(self, e: Mapping[str, Any]) -> None:
        state = self.state
        iid = e["id"]
        cust = self._ref(e, "customer", "customer")
        sub_id = self._ref(e, "subscription", "subscription", required=False)
        sub = state.objects["subscription"][sub_id] if sub_id else None
        created = self._time(e, "created", "now")
        status = self._str(e, "status", "paid")
        raw_lines = e.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise _Field("lines", "must be a non-empty list")
        lines = []
        for n, raw in enumerate(raw_lines):
            where = f"lines[{n}]"
            allowed = {"price", "quantity", "amount", "description", "period", "proration",
                       "subscription_item"}  # fmt: skip
            if not isinstance(raw, dict) or set(raw) - allowed:
                raise _Field(where, f"must be an object with {', '.join(sorted(allowed))}")
            pid = self._ref(raw, "price", "price", required=False)
            pr = state.objects["price"][pid] if pid else None
            qty = self._int(raw, "quantity", 1)
            proration = self._bool(raw, "proration", False)
            amount = self._int(raw, "amount", None)
            if amount is None:
                if pr is None or proration:
                    raise _Field(f"{where}.amount", "is required without a price or on prorations")
                amount = pr["unit_amount"] * qty
            si = self._str(raw, "subscription_item", None)
            item = None
            if sub is not None:
                for candidate in sub["items"]["data"]:
                    if candidate["id"] == si or (si is None and pr and candidate["price"] is pr):
                        item = candidate
                if si is not None and item is None:
                    raise _Field(f"{where}.subscription_item", f"{si!r} is not an item of {sub_id}")
            elif si is not None:
                raise _Field(f"{where}.subscription_item", "needs the invoice's 'subscription'")
            period = raw.get("period")
            if period is None:
                if item is None:
                    p_start, p_end = created, created
                else:
                    p_start, p_end = item["current_period_start"], item["current_period_end"]
            elif isinstance(period, list) and len(period) == 2:
                bounds = []
                for bound in period:
                    if bound in {"period_start", "period_end"}:
                        if item is None:
                            raise _Field(f"{where}.period", f"{bound!r} needs a subscription item")
                        bounds.append(int(item[f"current_{bound}"]))
                    else:
                        bounds.append(self._at(bound, f"{where}.period"))
                p_start, p_end = bounds
            else:
                raise _Field(f"{where}.period", "must be [start, end]")
            desc = self._str(raw, "description", None)
            if desc is None and pr is not None:
                prod = state.objects["product"][pr["product"]]
                desc = f"{qty} × {prod['name']}"
            lines.append(
                {
                    "amount": amount,
                    "description": desc,
                    "period_start": p_start,
                    "period_end": p_end,
                    "price": pid,
                    "quantity": qty,
                    "proration": proration,
                    "subscription_item": item["id"] if item else None,
                }
            )
        pay = e.get("pay", False)
        failed = self._int(e, "failed_attempts", 0)
        if pay and status != "paid":
            raise _Field("pay", "only a 'paid' invoice can be paid")
        if failed and status != "open":
            raise _Field("failed_attempts", "only an 'open' invoice has failed attempts")
        try:
            inv = resources.invoice(
                state,
                id=iid,
                customer=cust,
                subscription=sub_id,
                lines=lines,
                created=created,
                status=status,
                billing_reason=self._str(
                    e, "billing_reason", "subscription_update" if sub_id else "manual"
                ),
                starting_balance=self._int(e, "starting_balance", 0),
                metadata=self._metadata(e),
                description=self._str(e, "description", None),
                attempt_count=0 if (status == "paid" and not pay) else None,
            )
        except ValueError as exc:
            raise _Field("status", str(exc)) from None
        stem = iid.split("_", 1)[1]
        default_pm = state.objects["customer"][cust]["invoice_settings"]["default_payment_method"]
        if pay and inv["amount_due"] > 0:
            spec: Mapping[str, Any] = pay if isinstance(pay, dict) else {}
            if not isinstance(pay, (bool, dict)):
                raise _Field("pay", "must be true or {payment_method, payment_intent, charge, …}")
            pm = self._ref(spec, "payment_method", "payment_method", required=False) or default_pm
            if pm is None:
                raise _Field("pay", "the customer has no default card; name a payment_method")
            resources.pay_invoice(
                state,
                invoice=iid,
                payment_method=pm,
                at=created + 2,
                payment_intent_id=self._str(spec, "payment_intent", f"pi_{stem}"),
                charge_id=self._str(spec, "charge", f"ch_{stem}"),
                invoice_payment_id=self._str(spec, "invoice_payment", f"inpay_{stem}"),
            )
        if failed:
            if default_pm is None:
                raise _Field("failed_attempts", "the customer has no default card to decline")
            resources.fail_invoice(
                state,
                invoice=iid,
                payment_method=default_pm,
                attempts=failed,
                failure_code=self._str(e, "failure_code", "card_declined"),
                payment_intent_id=f"pi_{stem}",
                charge_ids=[f"ch_{stem}f{n}" for n in range(1, failed + 1)],
                invoice_payment_id=f"inpay_{stem}",
            )

    def _refund(self, e: Mapping[str, Any]) -> None:
        charge = self._ref(e, "charge", "charge")
        try:
            resources.refund(
                self.state,
                id=e["id"],
                charge=charge,
                amount=self._int(e, "amount", None),
                reason=self._str(e, "reason", None),
                created=self._time(e, "created", "now"),
                status=self._str(e, "status", "succeeded"),
                metadata=self._metadata(e),
            )
        except ValueError as exc:
            raise _Field("amount" if "amount" in str(exc) else "charge", str(exc)) from None

    def _dispute(self, e: Mapping[str, Any]) -> None:
        resources.dispute(
            self.state,
            id=e["id"],
            charge=self._ref(e, "charge", "charge"),
            amount=self._int(e, "amount", None),
            reason=self._str(e, "reason", "product_not_received"),
            status=self._str(e, "status", "needs_response"),
            created=self._time(e, "created", "now"),
            due_by=self._time(e, "due_by", None),
        )

    def _portal(self, e: Mapping[str, Any]) -> None:
        features = self._dict(e, "features")
        flags: dict[str, bool] = {}
        for name, value in features.items():
            if name not in _FEATURES:
                raise _Field(f"features.{name}", f"unknown feature (one of {', '.join(_FEATURES)})")
            if isinstance(value, dict) and set(value) == {"enabled"}:
                value = value["enabled"]
            if not isinstance(value, bool):
                raise _Field(f"features.{name}", 'must be true/false or {"enabled": bool}')
            flags[name] = value
        resources.portal_configuration(
            self.state,
            id=e["id"],
            is_default=self._bool(e, "is_default", False),
            active=self._bool(e, "active", True),
            name=self._str(e, "name", None),
            created=self._time(e, "created", "-1y"),
            default_return_url=self._str(e, "default_return_url", None),
            metadata=self._metadata(e),
            customer_update=flags.get("customer_update", True),
            invoice_history=flags.get("invoice_history", True),
            payment_method_update=flags.get("payment_method_update", True),
            subscription_cancel=flags.get("subscription_cancel", True),
            subscription_update=flags.get("subscription_update", True),
        )
