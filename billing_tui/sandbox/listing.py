"""List endpoints: filters, Stripe's cursor pagination and the ``list`` object."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from billing_tui.sandbox.query import Query, dig, invoice_payment_intent, invoice_subscription, ref
from billing_tui.sandbox.query import sort_key as _sort_key
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import (
    ApiError,
    as_bool,
    as_enum,
    as_int,
    as_list,
    as_str,
    bad_param,
    check_known,
    missing_param,
    unknown_param,
)

Predicate = Callable[[JSON], bool]
Filter = Callable[[Any, str], Predicate]

PAGING = frozenset({"limit", "starting_after", "ending_before", "expand"})

SUBSCRIPTION_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def eq(path: str) -> Filter:
    def make(value: Any, param: str) -> Predicate:
        wanted = as_str(value, param)
        return lambda obj: ref(dig(obj, path)) == wanted

    return make


def by_getter(getter: Callable[[JSON], Any]) -> Filter:
    def make(value: Any, param: str) -> Predicate:
        wanted = as_str(value, param)
        return lambda obj: getter(obj) == wanted

    return make


def boolean(path: str) -> Filter:
    def make(value: Any, param: str) -> Predicate:
        wanted = as_bool(value, param)
        return lambda obj: bool(dig(obj, path)) == wanted

    return make


def enum(path: str, allowed: tuple[str, ...]) -> Filter:
    def make(value: Any, param: str) -> Predicate:
        wanted = as_enum(value, param, allowed)
        return lambda obj: dig(obj, path) == wanted

    return make


def timestamp(path: str) -> Filter:
    """``created=123`` or ``created[gte]=…&created[lt]=…``."""

    def make(value: Any, param: str) -> Predicate:
        if isinstance(value, str):
            exact = as_int(value, param)
            return lambda obj: dig(obj, path) == exact
        if not isinstance(value, dict):
            raise bad_param(param, f"Invalid {param}: must be an integer or a hash")
        bounds: list[tuple[str, int]] = []
        for op, raw in value.items():
            if op not in ("gt", "gte", "lt", "lte"):
                raise unknown_param(f"{param}[{op}]")
            bounds.append((op, as_int(raw, f"{param}[{op}]")))

        def pred(obj: JSON) -> bool:
            stamp = dig(obj, path)
            if not isinstance(stamp, int):
                return False
            for op, bound in bounds:
                if op == "gt" and not stamp > bound:
                    return False
                if op == "gte" and not stamp >= bound:
                    return False
                if op == "lt" and not stamp < bound:
                    return False
                if op == "lte" and not stamp <= bound:
                    return False
            return True

        return pred

    return make


def id_in(value: Any, param: str) -> Predicate:
    wanted = {as_str(v, f"{param}[]") for v in as_list(value, param)}
    return lambda obj: obj.get("id") in wanted


def subscription_status(value: Any, param: str) -> Predicate:
    wanted = as_enum(value, param, SUBSCRIPTION_STATUSES)
    if wanted == "all":
        return lambda obj: True
    if wanted == "ended":
        return lambda obj: obj.get("status") in ("canceled", "incomplete_expired")
    return lambda obj: obj.get("status") == wanted


def lookup_keys(value: Any, param: str) -> Predicate:
    """``lookup_keys[]=…``: prices whose ``lookup_key`` is one of them."""
    wanted = {as_str(v, f"{param}[]") for v in as_list(value, param)}
    return lambda obj: obj.get("lookup_key") in wanted


def price_recurring(value: Any, param: str) -> Predicate:
    """``recurring[interval]`` / ``recurring[usage_type]`` / ``recurring[meter]``: recurring
    prices whose ``recurring`` hash matches every given field."""
    if not isinstance(value, dict):
        raise bad_param(param, f"Invalid {param}: must be a hash")
    wanted: dict[str, str] = {}
    for key, raw in value.items():
        if key not in ("interval", "usage_type", "meter"):
            raise unknown_param(f"{param}[{key}]")
        wanted[key] = as_str(raw, f"{param}[{key}]")

    def pred(obj: JSON) -> bool:
        recurring = obj.get("recurring")
        return isinstance(recurring, dict) and all(recurring.get(k) == v for k, v in wanted.items())

    return pred


def automatic_tax(value: Any, param: str) -> Predicate:
    """``automatic_tax[enabled]=true|false``."""
    if not isinstance(value, dict) or "enabled" not in value:
        raise missing_param(f"{param}[enabled]")
    for key in value:
        if key != "enabled":
            raise unknown_param(f"{param}[{key}]")
    wanted = as_bool(value["enabled"], f"{param}[enabled]")
    return lambda obj: bool(dig(obj, "automatic_tax.enabled")) == wanted


def item_period(edge: str) -> Filter:
    """``current_period_start`` / ``current_period_end`` (exact or a range): subscriptions
    with an item whose period edge matches (periods live on the items)."""
    timestamp_filter = timestamp(edge)

    def make(value: Any, param: str) -> Predicate:
        on_item = timestamp_filter(value, param)
        return lambda obj: any(on_item(item) for item in dig(obj, "items.data") or [])

    return make


def subscription_price(value: Any, param: str) -> Predicate:
    wanted = as_str(value, param)
    return lambda obj: any(
        ref(item.get("price")) == wanted for item in dig(obj, "items.data") or []
    )


def invoice_payment_filter(value: Any, param: str) -> Predicate:
    if not isinstance(value, dict):
        raise bad_param(param, "Invalid payment: must be a hash with a type")
    for key in value:
        if key not in ("type", "payment_intent", "payment_record"):
            raise unknown_param(f"payment[{key}]")
    if "type" not in value:
        raise missing_param("payment[type]")
    kind = as_enum(value["type"], "payment[type]", ("payment_intent", "payment_record"))
    target = value.get(kind)
    if target is None:
        raise missing_param(f"payment[{kind}]")
    wanted = as_str(target, f"payment[{kind}]")
    if kind == "payment_intent":
        return lambda obj: invoice_payment_intent(obj) == wanted
    return lambda obj: ref(dig(obj, "payment.payment_record")) == wanted


@dataclass(frozen=True)
class ListSpec:
    """One list endpoint over one object type."""

    kind: str
    label: str
    filters: Mapping[str, Filter]
    #: Params whose value can be looked up through ``Query.by(kind, field)``: param (or
    #: ``param[key]`` for a hash param) -> field.
    indexed: Mapping[str, str] = field(default_factory=dict)
    #: Applied when the param isn't given (subscriptions hide canceled ones by default).
    defaults: Mapping[str, Predicate] = field(default_factory=dict)
    required: Sequence[str] = ()


CREATED = {"created": timestamp("created")}
#: ``customer_account`` (an Accounts v2 customer): the sandbox has none, so it matches nothing
#: but the objects that carry the same id.
CUSTOMER_ACCOUNT = {"customer_account": eq("customer_account")}

SPECS: dict[str, ListSpec] = {
    "customers": ListSpec(
        "customer",
        "customer",
        {"email": eq("email"), "test_clock": eq("test_clock"), **CREATED},
    ),
    "products": ListSpec(
        "product",
        "product",
        {
            "active": boolean("active"),
            "shippable": boolean("shippable"),
            "ids": id_in,
            "url": eq("url"),
            "type": enum("type", ("good", "service")),
            **CREATED,
        },
    ),
    "prices": ListSpec(
        "price",
        "price",
        {
            "product": eq("product"),
            "active": boolean("active"),
            "currency": eq("currency"),
            "type": enum("type", ("one_time", "recurring")),
            "lookup_keys": lookup_keys,
            "recurring": price_recurring,
            **CREATED,
        },
        indexed={"product": "product"},
    ),
    "subscriptions": ListSpec(
        "subscription",
        "subscription",
        {
            "customer": eq("customer"),
            "status": subscription_status,
            "price": subscription_price,
            "plan": subscription_price,  # a plan's id is its price's id
            "automatic_tax": automatic_tax,
            "current_period_start": item_period("current_period_start"),
            "current_period_end": item_period("current_period_end"),
            "collection_method": enum(
                "collection_method", ("charge_automatically", "send_invoice")
            ),
            "test_clock": eq("test_clock"),
            **CUSTOMER_ACCOUNT,
            **CREATED,
        },
        indexed={"customer": "customer"},
        defaults={
            # "If no value is supplied, all subscriptions that have not been canceled are
            # returned" (incomplete_expired ones included).
            "status": lambda obj: obj.get("status") != "canceled"
        },
    ),
    "invoices": ListSpec(
        "invoice",
        "invoice",
        {
            "customer": eq("customer"),
            "subscription": by_getter(invoice_subscription),
            "status": enum("status", INVOICE_STATUSES),
            "collection_method": enum(
                "collection_method", ("charge_automatically", "send_invoice")
            ),
            "due_date": timestamp("due_date"),
            **CUSTOMER_ACCOUNT,
            **CREATED,
        },
        indexed={"customer": "customer", "subscription": "subscription"},
    ),
    "invoice_payments": ListSpec(
        "invoice_payment",
        "invoice payment",
        {
            "invoice": eq("invoice"),
            "payment": invoice_payment_filter,
            "status": enum("status", ("canceled", "open", "paid")),
            **CREATED,
        },
        indexed={"invoice": "invoice", "payment[payment_intent]": "payment_intent"},
    ),
    "payment_intents": ListSpec(
        "payment_intent",
        "payment_intent",
        {"customer": eq("customer"), **CUSTOMER_ACCOUNT, **CREATED},
        indexed={"customer": "customer"},
    ),
    "charges": ListSpec(
        "charge",
        "charge",
        {
            "customer": eq("customer"),
            "payment_intent": eq("payment_intent"),
            "transfer_group": eq("transfer_group"),
            **CREATED,
        },
        indexed={"customer": "customer", "payment_intent": "payment_intent"},
    ),
    "refunds": ListSpec(
        "refund",
        "refund",
        {"charge": eq("charge"), "payment_intent": eq("payment_intent"), **CREATED},
        indexed={"charge": "charge", "payment_intent": "payment_intent"},
    ),
    "disputes": ListSpec(
        "dispute",
        "dispute",
        {"charge": eq("charge"), "payment_intent": eq("payment_intent"), **CREATED},
        indexed={"charge": "charge"},
    ),
    "payment_methods": ListSpec(
        "payment_method",
        "PaymentMethod",
        {
            "customer": eq("customer"),
            "type": eq("type"),
            "allow_redisplay": eq("allow_redisplay"),
            **CUSTOMER_ACCOUNT,
        },
        indexed={"customer": "customer"},
    ),
    "billing_portal/configurations": ListSpec(
        "billing_portal.configuration",
        "configuration",
        {"active": boolean("active"), "is_default": boolean("is_default")},
    ),
    "subscription_items": ListSpec(
        "subscription_item",
        "subscription item",
        {"subscription": eq("subscription")},
        required=("subscription",),
    ),
    "invoice_lines": ListSpec("line_item", "invoice line item", {}),
}


def parse_limit(params: Mapping[str, Any]) -> int:
    if "limit" not in params:
        return 10
    return as_int(params["limit"], "limit", minimum=1, maximum=100)


def build_list(
    query: Query,
    spec: ListSpec,
    params: Mapping[str, Any],
    url: str,
    *,
    source: list[JSON] | None = None,
    ordered: bool = True,
    extra_allowed: frozenset[str] = frozenset(),
) -> tuple[list[JSON], bool]:
    """The page of stored objects a list request selects, and ``has_more``.

    ``source`` replaces the state's objects (invoice lines, subscription items, included
    lists); with ``ordered=False`` it is paginated in its own order instead of newest first.
    """
    check_known(params, set(spec.filters) | PAGING | extra_allowed)
    for name in spec.required:
        if name not in params:
            raise missing_param(name)
    limit = parse_limit(params)
    predicates = _predicates(spec, params)
    full_view = False
    if source is None:
        candidates = _indexed_candidates(query, spec, params)
        full_view = candidates is None
        objs = candidates if candidates is not None else query.ordered(spec.kind)
    else:
        objs = source
    lo, hi = 0, len(objs)
    if full_view and "created" in spec.filters and isinstance(params.get("created"), dict):
        # The full view is sorted by created (desc): jump straight to the requested range.
        lo, hi = query.created_range(spec.kind, _created_bounds(params["created"]))
    if "starting_after" in params and "ending_before" in params:
        raise bad_param(
            "starting_after",
            "You may only specify one of these parameters: ending_before, starting_after.",
        )
    cursor_name = "starting_after" if "starting_after" in params else "ending_before"
    cursor = params.get(cursor_name)
    if cursor is None:
        return _forward(objs, lo, hi, predicates, limit)
    cursor_id = as_str(cursor, cursor_name)
    position = _cursor_position(query, spec, objs, cursor_id, cursor_name, ordered, full_view)
    if cursor_name == "starting_after":
        return _forward(objs, max(lo, position), hi, predicates, limit)
    return _backward(objs, lo, min(hi, position), predicates, limit)


def _predicates(spec: ListSpec, params: Mapping[str, Any]) -> list[Predicate]:
    """The filters the request gives, plus the spec's defaults for the ones it does not."""
    given = [make(params[name], name) for name, make in spec.filters.items() if name in params]
    return given + [pred for name, pred in spec.defaults.items() if name not in params]


def _indexed_candidates(
    query: Query, spec: ListSpec, params: Mapping[str, Any]
) -> list[JSON] | None:
    """The objects an indexed filter (``customer``, ``charge``…) already narrows to, newest
    first; None when no indexed filter is given."""
    for name, fld in spec.indexed.items():
        outer, _, inner = name.partition("[")
        value = params.get(outer)
        if inner and isinstance(value, dict):
            value = value.get(inner.rstrip("]"))
        if isinstance(value, str):
            return query.by(spec.kind, fld, value)
    return None


def _created_bounds(value: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """Inclusive (lowest, highest) created from validated ``created[gt|gte|lt|lte]``."""
    low: int | None = None
    high: int | None = None
    for op, raw in value.items():
        bound = int(raw)
        if op == "gt":
            bound += 1
        if op == "lt":
            bound -= 1
        if op in ("gt", "gte"):
            low = bound if low is None else max(low, bound)
        else:
            high = bound if high is None else min(high, bound)
    return low, high


def _forward(
    objs: list[JSON], start: int, end: int, predicates: list[Predicate], limit: int
) -> tuple[list[JSON], bool]:
    page: list[JSON] = []
    for i in range(start, end):
        obj = objs[i]
        if all(p(obj) for p in predicates):
            if len(page) == limit:
                return page, True
            page.append(obj)
    return page, False


def _backward(
    objs: list[JSON], start: int, end: int, predicates: list[Predicate], limit: int
) -> tuple[list[JSON], bool]:
    page: list[JSON] = []
    for i in range(end - 1, start - 1, -1):
        obj = objs[i]
        if all(p(obj) for p in predicates):
            if len(page) == limit:
                page.reverse()
                return page, True
            page.append(obj)
    page.reverse()
    return page, False


def _cursor_position(
    query: Query,
    spec: ListSpec,
    objs: list[JSON],
    cursor_id: str,
    param: str,
    ordered: bool,
    full_view: bool,
) -> int:
    """Index of the first object after the cursor (for ``starting_after``), or of the cursor
    itself (for ``ending_before``)."""
    if full_view:
        found = query.position(spec.kind, cursor_id)
        if found is not None:
            return found + 1 if param == "starting_after" else found
    else:
        for i, obj in enumerate(objs):
            if obj.get("id") == cursor_id:
                return i + 1 if param == "starting_after" else i
    cursor_obj = query.state.get(spec.kind, cursor_id) if ordered else None
    if cursor_obj is None:
        raise ApiError(
            400,
            f"No such {spec.label}: '{cursor_id}'",
            code="resource_missing",
            param=param,
            cacheable=False,
        )
    key = _sort_key(cursor_obj)
    for i, obj in enumerate(objs):
        if _sort_key(obj) < key:
            return i
    return len(objs)
