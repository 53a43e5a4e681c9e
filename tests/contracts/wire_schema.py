"""Stripe's own schema as the contract: responses and requests checked against the JSON Schema
derived from Stripe's SDK type declarations (``stripe-sdk-schema.json``, see the reference
README), with ``jsonschema``.

- :func:`response_problems` checks one response body (an object, a list or search envelope, an
  error body) against the schema of what the request asked for; every problem is a sentence
  naming the resource, its id and the field path.
- :func:`request_problems` checks one request (method, path, form parameters) against the
  parameter schema of the operation it calls.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from billing_tui.sandbox.wire import decode_form

ROOT = Path(__file__).resolve().parents[2]
_SCHEMA_NAME = "stripe-sdk-schema.json"

#: The API version the schema file describes (its ``meta.api_version``): the version the
#: sandbox speaks and the installed stripe SDK must pin.
SCHEMA_API_VERSION = "2026-10-28.endive"

JSON = dict[str, Any]


def schema_path() -> Path:
    """``$STRIPE_REFERENCE``, else ``../shared/stripe-reference`` beside the checkout (CI's
    layout), else the workplace's shared folder (a worktree's layout)."""
    candidates = [
        Path(os.environ["STRIPE_REFERENCE"]) if os.environ.get("STRIPE_REFERENCE") else None,
        ROOT.parent / "shared" / "stripe-reference",
        Path("/work/shared/stripe-reference"),
    ]
    for folder in candidates:
        if folder is not None and (folder / _SCHEMA_NAME).is_file():
            return folder / _SCHEMA_NAME
    raise FileNotFoundError(f"{_SCHEMA_NAME} not found (set STRIPE_REFERENCE to its folder)")


@cache
def document() -> JSON:
    data: JSON = json.loads(schema_path().read_text(encoding="utf-8"))
    return data


@cache
def _registry() -> Registry:
    resource = Resource(contents=document(), specification=DRAFT202012)
    return Registry().with_resource("stripe-sdk", resource)


def _known_values(
    validator: Any, known: list[str], instance: Any, schema: JSON
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and instance not in known:
        yield ValidationError(f"{instance!r} is not one of the documented values {known}")


#: For requests: a value we send must be one Stripe documents, even where the SDK's type
#: leaves the enum open (an answer may carry a new value; a request should not invent one).
_RequestValidator = validators.extend(Draft202012Validator, {"x-known-enum": _known_values})


def _validator(schema: JSON, *, request: bool = False) -> Draft202012Validator:
    rooted = {"$ref": "stripe-sdk" + schema["$ref"]} if "$ref" in schema else schema
    cls = _RequestValidator if request else Draft202012Validator
    validator: Draft202012Validator = cls(_rewrite(rooted), registry=_registry())
    return validator


def _rewrite(schema: Any) -> Any:
    """Point local ``#/$defs/…`` references of a hand-built schema into the SDK document."""
    if isinstance(schema, dict):
        return {
            k: ("stripe-sdk" + v if k == "$ref" and v.startswith("#") else _rewrite(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rewrite(v) for v in schema]
    return schema


def ref(name: str) -> JSON:
    if name not in document()["$defs"]:
        raise KeyError(f"{name} is not in {_SCHEMA_NAME}")
    return {"$ref": f"#/$defs/{name}"}


# --------------------------------------------------------------------------- resources

#: Wire ``object`` value -> the resource's schema (its SDK name).
RESOURCES: dict[str, str] = {
    "account": "Accounts.Account",
    "customer": "Customers.Customer",
    "product": "Products.Product",
    "price": "Prices.Price",
    "subscription": "Subscriptions.Subscription",
    "subscription_item": "SubscriptionItems.SubscriptionItem",
    "invoice": "Invoices.Invoice",
    "line_item": "InvoiceLineItems.InvoiceLineItem",
    "invoice_payment": "InvoicePayments.InvoicePayment",
    "payment_intent": "PaymentIntents.PaymentIntent",
    "charge": "Charges.Charge",
    "refund": "Refunds.Refund",
    "dispute": "Disputes.Dispute",
    "payment_method": "PaymentMethods.PaymentMethod",
    "billing_portal.configuration": "BillingPortal.Configurations.Configuration",
    "billing_portal.session": "BillingPortal.Sessions.Session",
}

#: URL collection -> the object its list, search and retrieve answers carry.
COLLECTIONS: dict[str, str] = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
    "subscription_items": "subscription_item",
    "invoices": "invoice",
    "invoice_payments": "invoice_payment",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "payment_methods": "payment_method",
    "billing_portal/configurations": "billing_portal.configuration",
    "billing_portal/sessions": "billing_portal.session",
}

#: Stripe's error body (the SDK declares it outside its resource types: ``StripeRawError``).
ERROR_SCHEMA: JSON = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "additionalProperties": False,
            "properties": {
                "type": {
                    "enum": [
                        "api_error",
                        "card_error",
                        "idempotency_error",
                        "invalid_request_error",
                    ]
                },
                "message": {"type": "string"},
                "code": {"type": "string"},
                "decline_code": {"type": "string"},
                "doc_url": {"type": "string"},
                "param": {"type": "string"},
                "request_log_url": {"type": "string"},
                "charge": {"type": "string"},
                "payment_intent": ref("PaymentIntents.PaymentIntent"),
                "payment_method": ref("PaymentMethods.PaymentMethod"),
                "payment_method_type": {"type": "string"},
                "setup_intent": {"type": "object"},
                "source": {"type": "object"},
                "advice_code": {"type": "string"},
                "network_advice_code": {"type": "string"},
                "network_decline_code": {"type": "string"},
            },
        }
    },
}


def list_schema(item: str) -> JSON:
    """``lib.ApiList<T>``: the envelope of a list answer whose items are ``item``."""
    return {
        "type": "object",
        "required": ["object", "data", "has_more", "url"],
        "additionalProperties": False,
        "properties": {
            "object": {"enum": ["list"]},
            "data": {"type": "array", "items": ref(RESOURCES[item])},
            "has_more": {"type": "boolean"},
            "url": {"type": "string"},
        },
    }


def search_schema(item: str) -> JSON:
    """``lib.ApiSearchResult<T>``: a search answer (``total_count`` only when expanded)."""
    return {
        "type": "object",
        "required": ["object", "data", "has_more", "next_page", "url"],
        "additionalProperties": False,
        "properties": {
            "object": {"enum": ["search_result"]},
            "data": {"type": "array", "items": ref(RESOURCES[item])},
            "has_more": {"type": "boolean"},
            "next_page": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "total_count": {"type": "number"},
            "url": {"type": "string"},
        },
    }


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    """One API operation the project calls: its method, path pattern and parameter schema."""

    method: str
    pattern: str
    params: str
    """The key in the schema's ``params`` (``Customers:CustomerListParams``)."""
    answer: str
    """What a success answers: ``object:<type>``, ``list:<type>`` or ``search:<type>``."""

    def matches(self, method: str, path: str) -> bool:
        regex = "^/v1/" + self.pattern.replace("{id}", "[^/]+") + "$"
        return method == self.method and re.match(regex, path) is not None


def _crud(collection: str, sdk: str, name: str, *, search: bool = False) -> list[Operation]:
    item = COLLECTIONS[collection]
    ops = [
        Operation("GET", collection, f"{sdk}:{name}ListParams", f"list:{item}"),
        Operation("GET", collection + "/{id}", f"{sdk}:{name}RetrieveParams", f"object:{item}"),
    ]
    if search:
        ops.insert(
            0,
            Operation("GET", collection + "/search", f"{sdk}:{name}SearchParams", f"search:{item}"),
        )
    return ops


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "account", "Accounts:AccountRetrieveCurrentParams", "object:account"),
    *_crud("customers", "Customers", "Customer", search=True),
    *_crud("products", "Products", "Product"),
    *_crud("prices", "Prices", "Price"),
    *_crud("subscriptions", "Subscriptions", "Subscription", search=True),
    *_crud("subscription_items", "SubscriptionItems", "SubscriptionItem"),
    *_crud("invoices", "Invoices", "Invoice", search=True),
    *_crud("invoice_payments", "InvoicePayments", "InvoicePayment"),
    *_crud("payment_intents", "PaymentIntents", "PaymentIntent", search=True),
    *_crud("charges", "Charges", "Charge", search=True),
    *_crud("refunds", "Refunds", "Refund"),
    *_crud("disputes", "Disputes", "Dispute"),
    *_crud("payment_methods", "PaymentMethods", "PaymentMethod"),
    Operation(
        "GET",
        "billing_portal/configurations",
        "BillingPortal/Configurations:BillingPortal.ConfigurationListParams",
        "list:billing_portal.configuration",
    ),
    Operation(
        "GET",
        "billing_portal/configurations/{id}",
        "BillingPortal/Configurations:BillingPortal.ConfigurationRetrieveParams",
        "object:billing_portal.configuration",
    ),
    Operation(
        "POST",
        "billing_portal/configurations/{id}",
        "BillingPortal/Configurations:BillingPortal.ConfigurationUpdateParams",
        "object:billing_portal.configuration",
    ),
    Operation(
        "POST",
        "billing_portal/sessions",
        "BillingPortal/Sessions:BillingPortal.SessionCreateParams",
        "object:billing_portal.session",
    ),
    Operation(
        "GET",
        "customers/{id}/payment_methods",
        "Customers:CustomerListPaymentMethodsParams",
        "list:payment_method",
    ),
    Operation(
        "GET",
        "customers/{id}/payment_methods/{id}",
        "Customers:CustomerRetrievePaymentMethodParams",
        "object:payment_method",
    ),
    Operation(
        "GET", "invoices/{id}/lines", "Invoices:InvoiceListLineItemsParams", "list:line_item"
    ),
    Operation("POST", "invoices/{id}/pay", "Invoices:InvoicePayParams", "object:invoice"),
    Operation("POST", "refunds", "Refunds:RefundCreateParams", "object:refund"),
    Operation(
        "POST",
        "subscriptions/{id}",
        "Subscriptions:SubscriptionUpdateParams",
        "object:subscription",
    ),
    Operation(
        "DELETE",
        "subscriptions/{id}",
        "Subscriptions:SubscriptionCancelParams",
        "object:subscription",
    ),
)


def operation(method: str, path: str) -> Operation | None:
    """The operation ``METHOD /v1/path`` calls (search before retrieve, as Stripe routes)."""
    for op in OPERATIONS:
        if op.matches(method.upper(), path.rstrip("/")):
            return op
    return None


# --------------------------------------------------------------------------- checking answers


def answer_schema(method: str, path: str, status: int, body: Any) -> tuple[str, JSON] | None:
    """``(label, schema)`` a response must satisfy, or None for an operation outside the table."""
    if status >= 400:
        return "error body", ERROR_SCHEMA
    op = operation(method, path)
    if op is None:
        return None
    shape, item = op.answer.split(":", 1)
    if shape == "list":
        return f"{item} list", list_schema(item)
    if shape == "search":
        return f"{item} search result", search_schema(item)
    return item, ref(RESOURCES[item])


def response_problems(method: str, url: str, status: int, body: Any) -> list[str]:
    """Every way one response breaks the schema, each naming the resource and the field path.
    An answer to an operation outside :data:`OPERATIONS` is itself a problem."""
    path = urlsplit(url).path
    found = answer_schema(method, path, status, body)
    if found is None:
        return [f"{method} {path}: no operation in the contract table answers this path"]
    label, schema = found
    return [f"{label} ({_subject(body)}): {p}" for p in schema_problems(schema, body)]


def _subject(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("id") or body.get("url") or body.get("object") or "?")
    return type(body).__name__


def schema_problems(schema: JSON, instance: Any, *, request: bool = False) -> list[str]:
    """The leaf problems of ``instance`` against ``schema``, as ``field.path: message``."""
    validator = _validator(schema, request=request)
    leaves = [leaf for error in validator.iter_errors(instance) for leaf in _leaves(error)]
    return sorted({f"{_dotted(leaf.absolute_path)}: {_message(leaf)}" for leaf in leaves})


def _dotted(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "unknown key(s): " + ", ".join(repr(k) for k in extra)
    if error.validator == "required":
        return f"missing always-present key: {error.message.split(' is a required')[0]}"
    return error.message


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """A union's error stands for the errors of the branch the value meant to be: an expanded
    object's own problems, not "is not valid under any of the given schemas"."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    plausible = [errs for errs in branches.values() if not any(_wrong_kind(e) for e in errs)]
    if not plausible:
        yield error
        return
    best = min(plausible, key=len)
    for sub in best:
        yield from _leaves(sub)


def _wrong_kind(error: ValidationError) -> bool:
    """The branch is for another kind of value: its type, or its ``object`` name, differs."""
    if error.validator == "type" and not error.relative_path:
        return True
    return list(error.relative_path) == ["object"] and error.validator in ("enum", "const")


# --------------------------------------------------------------------------- checking requests


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.rstrip("/")

    def params(self) -> JSON:
        params = decode_form(urlsplit(self.url).query)
        if self.body:
            params.update(decode_form(self.body))
        return params


def request_problems(request: Request) -> list[str]:
    """How one request breaks its operation's parameter schema: an unknown path or method, an
    unknown parameter, a value of the wrong type or outside an enum."""
    op = operation(request.method, request.path)
    label = f"{request.method} {request.path}"
    if op is None:
        return [f"{label}: not an operation of the API (or not in the contract table)"]
    schema: JSON = document()["params"][op.params]
    resolved = document()["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    typed = coerce(request.params(), resolved)
    return [f"{label} ({op.params}): {p}" for p in schema_problems(schema, typed, request=True)]


def coerce(value: Any, schema: Mapping[str, Any]) -> Any:
    """A form-decoded value (every leaf a string) typed as the schema declares it: numbers,
    booleans, ``""`` for an emptyable field; a value that fits no branch is left as it is, for
    the validator to name."""
    for branch in _branches(schema):
        typed = _coerce_one(value, branch)
        if typed is not _NO:
            return typed
    return value


_NO = object()


def _branches(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "$ref" in schema:
        yield from _branches(document()["$defs"][schema["$ref"].rsplit("/", 1)[-1]])
    elif "anyOf" in schema:
        for sub in schema["anyOf"]:
            yield from _branches(sub)
    else:
        yield schema


def _coerce_one(value: Any, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(value, str):
        return _coerce_text(value, schema, kind)
    if isinstance(value, list) and kind == "array":
        items = schema.get("items", {})
        return [coerce(v, items) for v in value]
    if isinstance(value, dict) and kind == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        return {
            k: coerce(v, props.get(k) or (extra if isinstance(extra, dict) else {}))
            for k, v in value.items()
        }
    return _NO


def _coerce_text(value: str, schema: Mapping[str, Any], kind: Any) -> Any:
    if "enum" in schema:
        return value if value in schema["enum"] else _NO
    if kind == "string":
        return value
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value) if "." in value else int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return _NO


def sdk_pin_problem(pinned: str, sdk_version: str) -> str | None:
    """Why an SDK pinning API ``pinned`` cannot be checked with this schema, or None."""
    if pinned == SCHEMA_API_VERSION == document()["meta"]["api_version"]:
        return None
    return (
        f"stripe {sdk_version} pins API {pinned}, but the wire contract's schema is for "
        f"{document()['meta']['api_version']}: regenerate stripe-sdk-schema.json for {pinned} "
        "(see the stripe-reference README) and update SCHEMA_API_VERSION"
    )
