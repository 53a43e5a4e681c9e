"""What kind of identifier the operator typed: detected as they type, before any request."""

from __future__ import annotations

import re
from enum import StrEnum


class IdentifierKind(StrEnum):
    EMPTY = "empty"
    EMAIL = "email"
    CUSTOMER = "customer"
    SUBSCRIPTION = "subscription"
    INVOICE = "invoice"
    CHARGE = "charge"
    PAYMENT_INTENT = "payment_intent"
    REFUND = "refund"
    DISPUTE = "dispute"
    GITHUB = "github"
    NAME = "name"
    MALFORMED_ID = "malformed_id"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    IdentifierKind.EMPTY: "type an email, id, GitHub user or name",
    IdentifierKind.EMAIL: "email",
    IdentifierKind.CUSTOMER: "customer id",
    IdentifierKind.SUBSCRIPTION: "subscription id",
    IdentifierKind.INVOICE: "invoice id",
    IdentifierKind.CHARGE: "charge id",
    IdentifierKind.PAYMENT_INTENT: "payment intent id",
    IdentifierKind.REFUND: "refund id",
    IdentifierKind.DISPUTE: "dispute id",
    IdentifierKind.GITHUB: "GitHub user",
    IdentifierKind.NAME: "name",
    IdentifierKind.MALFORMED_ID: "malformed id",
}

#: Stripe id prefixes the workstation resolves, and what they are.
ID_PREFIXES: dict[str, IdentifierKind] = {
    "cus": IdentifierKind.CUSTOMER,
    "sub": IdentifierKind.SUBSCRIPTION,
    "in": IdentifierKind.INVOICE,
    "ch": IdentifierKind.CHARGE,
    "py": IdentifierKind.CHARGE,
    "pi": IdentifierKind.PAYMENT_INTENT,
    "re": IdentifierKind.REFUND,
    "dp": IdentifierKind.DISPUTE,
}

#: One example of each id shape, for the sentence that says what was expected.
_EXAMPLE_BODY = "NffrFeUfNV2Hib"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^(?P<prefix>[a-z]+)_(?P<body>[A-Za-z0-9]+)$")
_ID_LIKE = re.compile(r"^(?P<prefix>[a-z]{2,4})_")
_GITHUB = re.compile(r"^@?[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def normalise(text: str) -> str:
    """Trim whitespace and surrounding quotes/brackets pasted from a ticket."""
    return text.strip().strip("<>\"'`").strip()


def detect_kind(text: str) -> IdentifierKind:
    """Classify free text: an email, a Stripe id by prefix, a GitHub user, or a name.

    A Stripe id is a known prefix, an underscore and one or more letters/digits (``cus_zh1``
    from the catalog and ``cus_NffrFeUfNV2Hib`` from Stripe alike: Stripe promises no length).
    A token that starts like one (``cus_``, ``ch_``…) but is not well formed is
    ``MALFORMED_ID`` so the operator is told before a request is sent (:func:`malformed_reason`
    says what was expected). A single token with no
    spaces is taken as a GitHub username (``@octocat`` or ``octocat``); anything else is a name.
    """
    value = normalise(text)
    if not value:
        return IdentifierKind.EMPTY
    if "@" in value and not value.startswith("@"):
        return IdentifierKind.EMAIL if _EMAIL.match(value) else IdentifierKind.NAME
    if match := _ID.match(value):
        kind = ID_PREFIXES.get(match["prefix"])
        if kind is not None:
            return kind
    if (match := _ID_LIKE.match(value)) and match["prefix"] in ID_PREFIXES:
        return IdentifierKind.MALFORMED_ID
    if " " not in value and _GITHUB.match(value):
        return IdentifierKind.GITHUB
    return IdentifierKind.NAME


def malformed_reason(text: str) -> str:
    """What was expected of a ``MALFORMED_ID`` and what was found instead, in a sentence."""
    value = normalise(text)
    prefix, _, body = value.partition("_")
    expected = (
        f"expected {prefix}_ followed by letters and digits only (e.g. {prefix}_{_EXAMPLE_BODY})"
    )
    if not body:
        return f"{expected}, but nothing follows the underscore"
    bad = next(ch for ch in body if not (ch.isascii() and ch.isalnum()))
    shown = "a space" if bad.isspace() else f"'{bad}'"
    return f"{expected}, but it contains {shown}"


def github_username(text: str) -> str:
    """``@octocat`` → ``octocat``."""
    return normalise(text).removeprefix("@")
