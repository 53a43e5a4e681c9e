"""Hypothesis strategies for Stripe objects, built from Stripe's own schema.

``stripe-sdk-schema.json`` (see ``../shared/stripe-reference/README.md``) is a JSON Schema
derived from the type declarations of Stripe's Node SDK. This is a compact generator for the
subset of JSON Schema it uses (``$ref``, ``anyOf``, ``type``, ``properties``/``required``,
``additionalProperties``, ``enum``, ``items``) plus its two markers:

- ``x-open-enum`` (with ``x-known-enum``): a known value, or an unknown lower-case word (Stripe
  may add values; a client must accept them);
- expandable fields (``string | Object``): an id with the object's prefix, or the expanded object.

Required properties are always present, optional ones present or absent, nullable ones
sometimes null, and objects sometimes carry extra keys the schema does not know (a newer API
version). Depth is bounded (see :class:`SchemaGenerator`), so an object stays a few kilobytes.

Hypothesis draws one seed per object and the object is built from it in plain Python: drawing
each of an object's ~700 leaves through Hypothesis cost ~50 ms an example, too slow for 300
examples of nine resources in the suite's time budget. The price is coarse shrinking (a
failure shows the whole generated object, reproducibly: the CI profile is derandomized).
``hypothesis-jsonschema`` was not used for the same reason, and it knows neither marker (its
last release is from 2024).
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tests.contracts.wire_schema import document  # the one place that finds the schema

JSON = Mapping[str, Any]


#: Stripe's id prefix per ``object`` value, for ids of expandable fields.
PREFIXES = {
    "customer": "cus", "subscription": "sub", "subscription_item": "si", "invoice": "in",
    "line_item": "il", "invoice_payment": "inpay", "charge": "ch", "payment_intent": "pi",
    "refund": "re", "dispute": "dp", "payment_method": "pm", "price": "price",
    "product": "prod", "discount": "di", "tax_rate": "txr", "account": "acct",
    "balance_transaction": "txn", "review": "prv", "source": "src", "card": "card",
    "bank_account": "ba", "plan": "plan", "coupon": "co", "promotion_code": "promo",
    "mandate": "mandate", "setup_intent": "seti", "transfer": "tr", "application_fee": "fee",
    "application": "ca", "test_helpers.test_clock": "clock", "quote": "qt",
}  # fmt: skip


#: The expandable fields that arrive expanded in practice: ``customer`` anywhere (the gateway
#: expands it when resolving an id), a refund's or dispute's ``charge``, and what an invoice
#: payment or a charge points at. Stripe sends every other expandable field as an id unless
#: asked, so the generator does too (expanding ``schedule`` would only cost time).
EXPANDED = frozenset(
    {
        "customer", "Refunds.Refund.charge", "Disputes.Dispute.charge",
        "Charges.Charge.payment_intent", "InvoicePayments.InvoicePayment.invoice",
        "InvoicePayments.InvoicePayment.Payment.payment_intent",
        "InvoicePayments.InvoicePayment.Payment.charge",
    }
)  # fmt: skip


#: Optional fields the workstation reads, present more often than a random few of an object's
#: dozens of optional fields would be: a payment method's or a charge's ``card``, an invoice's
#: included ``payments``, a charge's expanded ``refunds``.
FOCUS = frozenset({"card", "payments", "refunds"})


#: Free text: a pool that covers what breaks naive code (empty, unicode, quotes, markup,
#: control characters, a long string).
TEXTS = (
    "", "x", "Pro plan", "Ünïcødé 名前", "O'Brien \"quoted\"", "[bold]markup[/]",
    "tab\tnew\nline", "<script>x</script>", "a" * 300, "\u200bzero-width",
)  # fmt: skip
#: Two-, zero- and three-decimal currencies (Stripe sends a lower-case ISO code).
CURRENCIES = ("usd", "eur", "jpy", "kwd")
#: Odd numbers Stripe's ``number`` allows: negative, fractional, far in the future (2100).
ODD_NUMBERS = (-1, -1500, 0.5, 2.25, 4_102_444_800)
_ID_CHARS = string.ascii_letters + string.digits
DECIMALS = ("0", "1999", "12.5", "0.000001", "-3.25")


def _types(node: JSON) -> set[str]:
    """The JSON types a node allows (through one ``anyOf`` level)."""
    alternatives = node.get("anyOf") or [node]
    return {str(alt.get("type")) for alt in alternatives if alt.get("type")}


def _object_name(definition: JSON) -> str | None:
    values = (definition.get("properties") or {}).get("object", {}).get("enum") or []
    return str(values[0]) if len(values) == 1 else None


def _ref_name(node: JSON) -> str | None:
    ref = node.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if isinstance(ref, str) else None


class SchemaGenerator:
    """Instances of the ``$defs`` of one schema, from a ``random.Random``.

    Only fields named in ``expand`` are ever expanded. Depth is counted in *resources* (a
    definition with an ``id`` and a constant ``object``), not in nested objects: the generated
    object is level 0, what it embeds (items, lines, refunds, payments) or expands is level 1.
    Expandable fields are expanded only below ``expand_levels``; optional properties and list
    entries appear only below ``detail_levels`` (deeper, an object has its required properties
    and empty lists); from ``max_level`` on, a nullable object is null.
    """

    def __init__(
        self,
        schema: JSON,
        *,
        max_level: int = 2,
        detail_levels: int = 2,
        expand_levels: int = 1,
        expand: frozenset[str] = EXPANDED,
        extra_keys: bool = True,
    ) -> None:
        self.defs: JSON = schema["$defs"]
        self.max_level = max_level
        self.detail_levels = detail_levels
        self.expand_levels = expand_levels
        self.expand = expand
        self.extra_keys = extra_keys

    # ------------------------------------------------------------------ entry points

    def resource(self, name: str) -> st.SearchStrategy[dict[str, Any]]:
        """A whole object of the ``$defs`` entry ``name`` (e.g. ``Charges.Charge``)."""
        return st.randoms(use_true_random=True).map(lambda rnd: self.instance(name, rnd))

    def instance(self, name: str, rnd: random.Random) -> dict[str, Any]:
        return self._object(self.defs[name], 0, rnd)

    def node(self, node: JSON, level: int, rnd: random.Random) -> Any:
        """A value for any schema node inside an object at ``level``."""
        if (ref := _ref_name(node)) is not None:
            inner = level + 1 if self._is_resource(ref) else level
            return self._object(self.defs[ref], inner, rnd)
        if "anyOf" in node:
            return self._any_of(node["anyOf"], level, rnd, may_expand=False)
        if "enum" in node:
            return rnd.choice(node["enum"])
        if node.get("x-open-enum"):
            return self._open_enum(list(node.get("x-known-enum") or []), rnd)
        kind = node.get("type")
        if kind == "string":
            return rnd.choice(TEXTS)
        if kind == "number":
            return self._number(rnd)
        if kind == "boolean":
            return rnd.random() < 0.5
        if kind == "array":
            if level >= self.detail_levels or "items" not in node:
                return []
            return [self.node(node["items"], level, rnd) for _ in range(rnd.randint(0, 2))]
        if kind == "object":
            return self._object(node, level, rnd)
        return None

    # ------------------------------------------------------------------ pieces

    @staticmethod
    def _number(rnd: random.Random) -> float:
        roll = rnd.random()
        if roll < 0.45:
            return rnd.randint(0, 5_000)
        if roll < 0.9:
            return rnd.randint(1_600_000_000, 1_900_000_000)
        return rnd.choice(ODD_NUMBERS)

    @staticmethod
    def _open_enum(known: list[str], rnd: random.Random) -> str:
        if known and rnd.random() < 0.75:
            return rnd.choice(known)
        while True:  # an unknown lower-case word: a value a newer API version may send
            word = "".join(rnd.choices(string.ascii_lowercase + "_", k=rnd.randint(3, 12)))
            if word[0] != "_" and word not in known:
                return word

    @cache  # noqa: B019 - one generator per schema, kept for the session
    def _is_resource(self, name: str) -> bool:
        definition = self.defs.get(name, {})
        obj = _object_name(definition)
        return obj not in (None, "list", "search_result") and "id" in (
            definition.get("properties") or {}
        )

    def _id_for(self, name: str | None, rnd: random.Random) -> str:
        obj = _object_name(self.defs.get(name, {})) if name else None
        prefix = PREFIXES.get(obj or "", "obj")
        return f"{prefix}_" + "".join(rnd.choices(_ID_CHARS, k=rnd.randint(1, 14)))

    def _any_of(
        self, alternatives: list[JSON], level: int, rnd: random.Random, *, may_expand: bool
    ) -> Any:
        refs = [name for alt in alternatives if (name := _ref_name(alt)) is not None]
        nullable = any(alt.get("type") == "null" for alt in alternatives)
        plain_string = any(
            alt.get("type") == "string" and "enum" not in alt and not alt.get("x-open-enum")
            for alt in alternatives
        )
        expandable = bool(refs) and plain_string
        others = [
            alt
            for alt in alternatives
            if alt.get("type") != "null" and not (expandable and alt.get("type") == "string")
        ]
        if nullable and (rnd.random() < 0.4 or (level >= self.max_level and refs)):
            return None
        if expandable:  # an id, or (where it is expanded in practice) the expanded object
            if may_expand and level < self.expand_levels and rnd.random() < 0.5:
                return self.node(rnd.choice(others), level, rnd)
            return self._id_for(refs[0], rnd)
        if not others:
            return None
        return self.node(rnd.choice(others), level, rnd)

    def _object(self, node: JSON, level: int, rnd: random.Random) -> dict[str, Any]:
        properties: JSON = node.get("properties") or {}
        owner = str(node.get("x-name") or "")
        required = set(node.get("required") or ())
        out: dict[str, Any] = {}
        for name, prop in properties.items():
            if name in required:
                out[name] = self._property(owner, name, prop, level, rnd)
        optional = [p for p in properties if p not in required]
        if optional and level < self.detail_levels:
            chosen = set(rnd.sample(optional, k=min(len(optional), rnd.randint(0, 3))))
            chosen |= {p for p in optional if p in FOCUS and rnd.random() < 0.6}
            for name in optional:
                if name in chosen:
                    out[name] = self._property(owner, name, properties[name], level, rnd)
        additional = node.get("additionalProperties")
        if isinstance(additional, Mapping):  # a map (metadata): string keys, typed values
            for _ in range(rnd.randint(0, 2)):
                key = "".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(1, 8)))
                out[key] = self.node(additional, level, rnd)
        elif self.extra_keys and level == 0 and rnd.random() < 0.5:  # a newer API version's
            key = "future_" + "".join(rnd.choices(string.ascii_lowercase, k=6))
            out.setdefault(key, rnd.choice(["text", 7, True, None, {"nested": [1]}]))
        return out

    def _property(self, owner: str, name: str, node: JSON, level: int, rnd: random.Random) -> Any:
        if name == "id" and node.get("type") == "string":
            return self._id_for(owner if self._is_resource(owner) else None, rnd)
        if name == "currency" and node.get("type") == "string":
            return rnd.choice(CURRENCIES)  # Stripe sends a lower-case ISO code, never free text
        if name.endswith("_decimal") and _types(node) & {"string"}:
            if "null" in _types(node) and rnd.random() < 0.4:
                return None
            return rnd.choice(DECIMALS)  # a decimal string (the SDK parses it as a Decimal)
        if "anyOf" in node:
            may = name in self.expand or f"{owner}.{name}" in self.expand
            return self._any_of(node["anyOf"], level, rnd, may_expand=may)
        return self.node(node, level, rnd)


@cache
def strategies() -> SchemaGenerator:
    return SchemaGenerator(document())
