"""The Search API: Stripe's query language over customers, subscriptions, charges, invoices.

Grammar (https://docs.stripe.com/search): clauses joined by ``AND``/``OR`` (or a space, which
means AND; the two are never mixed), at most 10; a clause is ``[-]field OP value`` with OP
``:`` (exact; case-insensitive for strings), ``~`` (substring, ≥3 characters), or ``> < >=
<= =`` for numbers; ``metadata['key']`` addresses metadata; values are quoted strings, numbers,
or ``null``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing_tui.sandbox.context import Context
from billing_tui.sandbox.listing import parse_limit
from billing_tui.sandbox.query import dig, invoice_subscription, ref
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError, as_str, bad_param, check_known, missing_param

Getter = Callable[[JSON], Any]

_STRING = "string"
_NUMBER = "number"
_BOOL = "boolean"
_EXACT = "id-or-enum"  # exact, case-sensitive

#: Searchable fields per resource: name -> (getter, type).
FIELDS: dict[str, tuple[str, dict[str, tuple[Getter, str]]]] = {
    "customers": (
        "customer",
        {
            "email": (lambda o: o.get("email"), _STRING),
            "name": (lambda o: o.get("name"), _STRING),
            "phone": (lambda o: o.get("phone"), _STRING),
            "created": (lambda o: o.get("created"), _NUMBER),
        },
    ),
    "subscriptions": (
        "subscription",
        {
            "status": (lambda o: o.get("status"), _EXACT),
            "created": (lambda o: o.get("created"), _NUMBER),
            "canceled_at": (lambda o: o.get("canceled_at"), _NUMBER),
        },
    ),
    "charges": (
        "charge",
        {
            "amount": (lambda o: o.get("amount"), _NUMBER),
            "created": (lambda o: o.get("created"), _NUMBER),
            "currency": (lambda o: o.get("currency"), _STRING),
            "customer": (lambda o: ref(o.get("customer")), _EXACT),
            "disputed": (lambda o: o.get("disputed"), _BOOL),
            "payment_intent": (lambda o: ref(o.get("payment_intent")), _EXACT),
            "refunded": (lambda o: o.get("refunded"), _BOOL),
            "status": (lambda o: o.get("status"), _EXACT),
            "payment_method_details.card.last4": (
                lambda o: dig(o, "payment_method_details.card.last4"),
                _STRING,
            ),
            "billing_details.email": (lambda o: dig(o, "billing_details.email"), _STRING),
        },
    ),
    "invoices": (
        "invoice",
        {
            "created": (lambda o: o.get("created"), _NUMBER),
            "currency": (lambda o: o.get("currency"), _STRING),
            "customer": (lambda o: ref(o.get("customer")), _EXACT),
            "number": (lambda o: o.get("number"), _STRING),
            "status": (lambda o: o.get("status"), _EXACT),
            "subscription": (invoice_subscription, _EXACT),
            "total": (lambda o: o.get("total"), _NUMBER),
        },
    ),
    "payment_intents": (
        "payment_intent",
        {
            "amount": (lambda o: o.get("amount"), _NUMBER),
            "created": (lambda o: o.get("created"), _NUMBER),
            "currency": (lambda o: o.get("currency"), _STRING),
            "customer": (lambda o: ref(o.get("customer")), _EXACT),
            "status": (lambda o: o.get("status"), _EXACT),
        },
    ),
}

SEARCHABLE: tuple[str, ...] = tuple(FIELDS)
SEARCH_PARAMS = frozenset({"query", "limit", "page", "expand"})
MAX_CLAUSES = 10

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?P<field>metadata\[(?P<q>['"])(?P<mkey>(?:\\.|(?!(?P=q)).)*)(?P=q)\]|[A-Za-z_][A-Za-z0-9_.]*)
    \s*(?P<op>>=|<=|:|~|>|<|=)\s*
    (?P<value>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|-?\d+(?:\.\d+)?|null)""",
    re.VERBOSE,
)
_JOINER = re.compile(r"\s+(AND|OR)\s+|\s+")


@dataclass(frozen=True)
class Clause:
    negate: bool
    field: str
    metadata_key: str | None
    op: str
    value: str | float | None


def _query_error(message: str) -> ApiError:
    return ApiError(400, message, param="query", code="parameter_invalid_string", cacheable=False)


def parse(query: str) -> tuple[list[Clause], str]:
    """Clauses and how they combine (``AND``/``OR``)."""
    text = query.strip()
    if not text:
        raise _query_error("The query can't be empty.")
    clauses: list[Clause] = []
    joiners: set[str] = set()
    pos = 0
    while True:
        found = _CLAUSE.match(text, pos)
        if found is None:
            raise _query_error(
                f"Invalid query '{query}': could not parse a clause at position {pos}. A clause "
                "looks like field:'value' (e.g. email:'jane@example.com')."
            )
        raw = found.group("value")
        value: str | float | None
        if raw == "null":
            value = None
        elif raw[0] in "'\"":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        else:
            value = float(raw)
        mkey = found.group("mkey")
        clauses.append(
            Clause(
                negate=bool(found.group("neg")),
                field="metadata" if mkey is not None else found.group("field"),
                metadata_key=re.sub(r"\\(.)", r"\1", mkey) if mkey is not None else None,
                op=found.group("op"),
                value=value,
            )
        )
        pos = found.end()
        if pos >= len(text):
            break
        joiner = _JOINER.match(text, pos)
        if joiner is None:
            raise _query_error(
                f"Invalid query '{query}': expected AND or OR after the clause ending at "
                f"position {pos}."
            )
        joiners.add(joiner.group(1) or "AND")
        pos = joiner.end()
    if len(joiners) > 1:
        raise _query_error(
            "A query can't mix AND and OR: use only one of them (parentheses aren't supported)."
        )
    if len(clauses) > MAX_CLAUSES:
        raise _query_error(f"A query can have at most {MAX_CLAUSES} clauses.")
    return clauses, joiners.pop() if joiners else "AND"


def _predicate(resource: str, clause: Clause) -> Callable[[JSON], bool]:
    fields = FIELDS[resource][1]
    getter: Getter
    if clause.field == "metadata":
        key = clause.metadata_key or ""

        def metadata_value(o: JSON) -> Any:
            return (o.get("metadata") or {}).get(key)

        getter, kind = metadata_value, _STRING
    elif clause.field in fields:
        getter, kind = fields[clause.field]
    else:
        allowed = ", ".join(sorted([*fields, "metadata"]))
        raise _query_error(
            f"Field '{clause.field}' is not supported for {resource} search. "
            f"Supported fields: {allowed}."
        )
    op, value = clause.op, clause.value
    test: Callable[[Any], bool]
    if value is None:
        if op != ":":
            raise _query_error(f"null can only be used with ':' ({clause.field}).")

        def test(v: Any) -> bool:
            return v is None or v == ""

    elif kind == _NUMBER:
        if not isinstance(value, float):
            try:
                value = float(value)
            except ValueError:
                raise _query_error(f"Field '{clause.field}' needs a number.") from None
        number = value
        compare: dict[str, Callable[[float, float], bool]] = {
            ":": lambda a, b: a == b,
            "=": lambda a, b: a == b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
        }
        if op not in compare:
            raise _query_error(f"'{op}' can't be used with the numeric field '{clause.field}'.")
        cmp = compare[op]

        def test(v: Any) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool) and cmp(v, number)

    else:
        text = value if isinstance(value, str) else _number_text(value)
        if op not in (":", "~"):
            raise _query_error(
                f"'{op}' can only be used with numeric fields, not '{clause.field}'."
            )
        if op == "~":
            if kind in (_EXACT, _BOOL):
                raise _query_error(f"Substring search ('~') isn't supported for '{clause.field}'.")
            if len(text) < 3:
                raise _query_error(
                    f"Substring search ('~') needs a value of at least 3 characters (got '{text}')."
                )
            needle = text.lower()

            def test(v: Any) -> bool:
                return isinstance(v, str) and needle in v.lower()

        elif kind == _BOOL:
            wanted = text.lower() == "true"

            def test(v: Any) -> bool:
                return bool(v) == wanted

        elif kind == _EXACT:

            def test(v: Any) -> bool:
                return isinstance(v, str) and v == text

        else:
            folded = text.casefold()

            def test(v: Any) -> bool:
                return isinstance(v, str) and v.casefold() == folded

    if clause.negate:
        return lambda o: not test(getter(o))
    return lambda o: test(getter(o))


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _decode_page(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"==").decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("offset:") or not raw[7:].isdigit():
        raise bad_param("page", f"Invalid page token: '{token}'.")
    return int(raw[7:])


def _encode_page(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode("ascii")).decode("ascii").rstrip("=")


def search(ctx: Context, *, resource: str) -> JSON:
    check_known(ctx.params, SEARCH_PARAMS)
    if "query" not in ctx.params:
        raise missing_param("query")
    query = as_str(ctx.params["query"], "query")
    limit = parse_limit(ctx.params)
    offset = _decode_page(as_str(ctx.params["page"], "page")) if "page" in ctx.params else 0
    clauses, joiner = parse(query)
    predicates = [_predicate(resource, c) for c in clauses]
    combine = all if joiner == "AND" else any
    kind = FIELDS[resource][0]
    matches = [o for o in ctx.query.ordered(kind) if combine(p(o) for p in predicates)]
    page = matches[offset : offset + limit]
    has_more = offset + limit < len(matches)
    url = f"/v1/{resource}/search"
    node: JSON = {
        "object": "search_result",
        "data": [ctx.renderer.bare(o) for o in page],
        "has_more": has_more,
        "next_page": _encode_page(offset + limit) if has_more else None,
        "url": url,
    }
    for segs in ctx.expand:
        ctx.renderer.apply(node, segs)
    return node
