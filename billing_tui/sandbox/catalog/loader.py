"""Loading one scenario file's objects into a state: which fields each object type allows, the
dispatch to its builder, declared API keys, and the builders of the simple object types.

Subscriptions (with their generated billing history) and explicit invoices are built in
:mod:`.subscriptions` and :mod:`.invoices`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.catalog.fields import FieldError, Fields
from billing_tui.sandbox.catalog.invoices import build_invoice
from billing_tui.sandbox.catalog.schema import ScenarioError
from billing_tui.sandbox.catalog.subscriptions import build_subscription
from billing_tui.sandbox.state import SandboxState

Builder = Callable[[Fields, Mapping[str, Any]], None]

ALLOWED: dict[str, frozenset[str]] = {
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
_KEY = re.compile(r"(sk|rk)_(test|live)_([A-Za-z0-9]{4,})")
_ID = re.compile(r"[a-z.]+_[A-Za-z0-9]+")


class Loader:
    """Loads one file's ``objects`` (in file order) and ``keys`` into ``state``."""

    def __init__(self, state: SandboxState, path: Path) -> None:
        self.state = state
        self.path = path
        self.fields = Fields(state)
        self.created: dict[str, list[str]] = {}

    def run(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        """Load the file's content; returns the created ids by object type."""
        entries = data.get("objects", [])
        if not isinstance(entries, list):
            raise ScenarioError(f"{self.path.name}: field 'objects' must be a list")
        self._keys(data)
        with self.state.lock:
            for index, entry in enumerate(entries):
                self._load(index, entry)
        return self.created

    def _load(self, index: int, entry: Any) -> None:
        where = f"{self.path.name}: object #{index}"
        if not isinstance(entry, dict):
            raise ScenarioError(f"{where}: must be a JSON object")
        if isinstance(entry.get("id"), str):
            where += f" ({entry['id']})"
        kind = entry.get("object")
        try:
            obj_id = self._check(kind, entry)
            BUILDERS[str(kind)](self.fields, entry)
            self.created.setdefault(str(kind), []).append(obj_id)
        except FieldError as exc:
            raise ScenarioError(f"{where}: field '{exc.field}': {exc.problem}") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ScenarioError(f"{where}: {exc}") from None

    def _check(self, kind: Any, entry: Mapping[str, Any]) -> Any:
        """The entry's id, once its type, field names and id are known to be acceptable."""
        if kind not in BUILDERS:
            raise FieldError(
                "object", f"unknown object type {kind!r} (one of {', '.join(sorted(BUILDERS))})"
            )
        unknown = sorted(set(entry) - ALLOWED[kind] - {"object"})
        if unknown:
            raise FieldError(unknown[0], f"unknown field for a {kind}")
        obj_id = self.fields.text(entry, "id")
        if not _ID.fullmatch(obj_id):
            raise FieldError("id", f"{obj_id!r} is not a Stripe-shaped id (prefix_alnum)")
        if self.state.find(obj_id) is not None:
            raise FieldError("id", f"{obj_id!r} already exists (ids must be unique)")
        return obj_id

    def _keys(self, data: Mapping[str, Any]) -> None:
        keys = data.get("keys", {})
        revoked = data.get("revoked_keys", [])
        name = self.path.name
        if not isinstance(keys, dict):
            raise ScenarioError(f"{name}: field 'keys' must map key -> permissions|null")
        for key, perms in keys.items():
            match = _KEY.fullmatch(key)
            if match is None:
                raise ScenarioError(
                    f"{name}: field 'keys': {key[:8]}… is not an API key "
                    "(sk_/rk_, test_/live_, then at least 4 letters or digits)"
                )
            if match.group(2) == "live" and len(match.group(3)) > 15:
                raise ScenarioError(
                    f"{name}: field 'keys': a declared live key must be obviously fake "
                    "(at most 15 characters after sk_live_/rk_live_), never a real-looking one"
                )
            if perms is not None and not (
                isinstance(perms, list) and all(isinstance(p, str) for p in perms)
            ):
                raise ScenarioError(
                    f"{name}: field 'keys.{key[:8]}…': permissions must be a list or null"
                )
            self.state.keys.declared[key] = None if perms is None else frozenset(perms)
        if not isinstance(revoked, list) or not all(isinstance(k, str) for k in revoked):
            raise ScenarioError(f"{name}: field 'revoked_keys' must be a list of keys")
        self.state.keys.revoked.update(revoked)


# --------------------------------------------------------------------------- simple builders


def build_product(f: Fields, e: Mapping[str, Any]) -> None:
    resources.product(
        f.state,
        id=e["id"],
        name=f.text(e, "name"),
        description=f.text(e, "description", None),
        metadata=f.metadata(e),
        created=f.time(e, "created", "-5y"),
    )


def build_price(f: Fields, e: Mapping[str, Any]) -> None:
    interval = f.text(e, "interval", "month")
    if interval not in {None, "day", "week", "month", "year"}:
        raise FieldError("interval", f"{interval!r} is not day, week, month, year or null")
    amount = f.integer(e, "unit_amount")
    if amount < 0:
        raise FieldError("unit_amount", "must be ≥ 0 (minor units)")
    resources.price(
        f.state,
        id=e["id"],
        product=f.ref(e, "product", "product"),
        unit_amount=amount,
        currency=f.text(e, "currency", "usd"),
        interval=interval,
        interval_count=f.integer(e, "interval_count", 1),
        nickname=f.text(e, "nickname", None),
        lookup_key=f.text(e, "lookup_key", None),
        metadata=f.metadata(e),
        created=f.time(e, "created", "-5y"),
    )


def build_customer(f: Fields, e: Mapping[str, Any]) -> None:
    locales = e.get("preferred_locales", [])
    if not isinstance(locales, list) or not all(isinstance(x, str) for x in locales):
        raise FieldError("preferred_locales", "must be a list of locale strings")
    resources.customer(
        f.state,
        id=e["id"],
        email=f.text(e, "email", None),
        name=f.text(e, "name", None),
        created=f.time(e, "created", "-30d"),
        metadata=f.metadata(e),
        balance=f.integer(e, "balance", 0),
        currency=f.text(e, "currency", None),
        preferred_locales=locales,
        phone=f.text(e, "phone", None),
        description=f.text(e, "description", None),
    )


def build_payment_method(f: Fields, e: Mapping[str, Any]) -> None:
    cust = f.ref(e, "customer", "customer")
    if "expires" in e:
        if "exp_month" in e or "exp_year" in e:
            raise FieldError("expires", "give either 'expires' or exp_month/exp_year, not both")
        at = dt.datetime.fromtimestamp(f.time(e, "expires"), dt.UTC)
        exp_month, exp_year = at.month, at.year
    else:
        exp_month = f.integer(e, "exp_month", 8)
        exp_year = f.integer(e, "exp_year", 2030)
    try:
        resources.payment_method(
            f.state,
            id=e["id"],
            customer=cust,
            brand=f.text(e, "brand", "visa"),
            last4=f.text(e, "last4", "4242"),
            exp_month=exp_month,
            exp_year=exp_year,
            funding=f.text(e, "funding", "credit"),
            country=f.text(e, "country", "US"),
            created=f.time(e, "created", None) or f.state.objects["customer"][cust]["created"],
            metadata=f.metadata(e),
            make_default=f.flag(e, "default", False),
        )
    except ValueError as exc:
        field = "last4" if "last4" in str(exc) else "exp_month"
        raise FieldError(field, str(exc)) from None


def build_refund(f: Fields, e: Mapping[str, Any]) -> None:
    charge = f.ref(e, "charge", "charge")
    try:
        resources.refund(
            f.state,
            id=e["id"],
            charge=charge,
            amount=f.integer(e, "amount", None),
            reason=f.text(e, "reason", None),
            created=f.time(e, "created", "now"),
            status=f.text(e, "status", "succeeded"),
            metadata=f.metadata(e),
        )
    except ValueError as exc:
        raise FieldError("amount" if "amount" in str(exc) else "charge", str(exc)) from None


def build_dispute(f: Fields, e: Mapping[str, Any]) -> None:
    resources.dispute(
        f.state,
        id=e["id"],
        charge=f.ref(e, "charge", "charge"),
        amount=f.integer(e, "amount", None),
        reason=f.text(e, "reason", "product_not_received"),
        status=f.text(e, "status", "needs_response"),
        created=f.time(e, "created", "now"),
        due_by=f.time(e, "due_by", None),
    )


def build_portal_configuration(f: Fields, e: Mapping[str, Any]) -> None:
    flags = _feature_flags(f.mapping(e, "features"))
    resources.portal_configuration(
        f.state,
        id=e["id"],
        is_default=f.flag(e, "is_default", False),
        active=f.flag(e, "active", True),
        name=f.text(e, "name", None),
        created=f.time(e, "created", "-1y"),
        default_return_url=f.text(e, "default_return_url", None),
        metadata=f.metadata(e),
        customer_update=flags.get("customer_update", True),
        invoice_history=flags.get("invoice_history", True),
        payment_method_update=flags.get("payment_method_update", True),
        subscription_cancel=flags.get("subscription_cancel", True),
        subscription_update=flags.get("subscription_update", True),
    )


def _feature_flags(features: Mapping[str, Any]) -> dict[str, bool]:
    """``{"subscription_cancel": false}`` or ``{"subscription_cancel": {"enabled": false}}``."""
    flags: dict[str, bool] = {}
    for name, value in features.items():
        if name not in _FEATURES:
            raise FieldError(f"features.{name}", f"unknown feature (one of {', '.join(_FEATURES)})")
        if isinstance(value, dict) and set(value) == {"enabled"}:
            value = value["enabled"]
        if not isinstance(value, bool):
            raise FieldError(f"features.{name}", 'must be true/false or {"enabled": bool}')
        flags[name] = value
    return flags


#: Object type -> the builder that completes and stores it.
BUILDERS: dict[str, Builder] = {
    "product": build_product,
    "price": build_price,
    "customer": build_customer,
    "payment_method": build_payment_method,
    "subscription": build_subscription,
    "invoice": build_invoice,
    "refund": build_refund,
    "dispute": build_dispute,
    "billing_portal.configuration": build_portal_configuration,
}
