"""The sandbox's in-memory state: every object as a Stripe wire-shaped dict.

Objects are stored exactly as the API returns them as JSON in API version ``2026-10-28.endive``
(unexpanded: references to other objects are ids). The scenario catalog and the population
generator add complete objects with :meth:`SandboxState.add`; the API engine reads and mutates
them. Nothing here is Stripe-SDK or HTTP aware.
"""

from __future__ import annotations

import datetime as dt
import itertools
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

#: Id prefix of each object type the sandbox stores.
PREFIXES: dict[str, str] = {
    "customer": "cus",
    "product": "prod",
    "price": "price",
    "subscription": "sub",
    "subscription_item": "si",
    "invoice": "in",
    "line_item": "il",
    "invoice_payment": "inpay",
    "payment_intent": "pi",
    "charge": "ch",
    "refund": "re",
    "dispute": "dp",
    "payment_method": "pm",
    "billing_portal.configuration": "bpc",
    "billing_portal.session": "bps",
    "account": "acct",
    "invoiceitem": "ii",
    "balance_transaction": "txn",
}

_ALPHABET = string.ascii_letters + string.digits


class Clock:
    """The sandbox's own clock: fixed (tests, ``--now``) or following real time from an offset."""

    def __init__(self, now: dt.datetime | None = None, *, frozen: bool = True) -> None:
        anchor = now or dt.datetime.now(dt.UTC)
        if anchor.tzinfo is None:
            raise ValueError("the sandbox clock needs an aware datetime")
        self._anchor = anchor
        self._frozen = frozen
        self._started = dt.datetime.now(dt.UTC)

    def now(self) -> int:
        """Unix seconds, the way Stripe stamps ``created``."""
        return int(self.current().timestamp())

    def current(self) -> dt.datetime:
        if self._frozen:
            return self._anchor
        return self._anchor + (dt.datetime.now(dt.UTC) - self._started)

    def set(self, now: dt.datetime) -> None:
        self._anchor = now
        self._started = dt.datetime.now(dt.UTC)


@dataclass
class KeyPolicy:
    """Which API keys the sandbox accepts.

    Any well-formed ``sk_test_…`` key works unless revoked or the policy is strict. Scenarios
    may declare keys (live or restricted ones, with their permissions) and revoke keys.
    """

    declared: dict[str, frozenset[str] | None] = field(default_factory=dict)
    """key -> permission set (``None`` = unrestricted secret key), e.g. ``{"rak_charge_read"}``."""
    revoked: set[str] = field(default_factory=set)
    strict: bool = False
    """When true, only declared keys work (well-formed ``sk_test_…`` keys are refused too)."""


class SandboxState:
    """All objects, the clock, the account, the accepted keys, and the idempotency cache."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, JSON]] = {kind: {} for kind in PREFIXES}
        self.keys = KeyPolicy()
        self.account: JSON = {
            "id": "acct_1SandboxDemo000",
            "object": "account",
            "business_profile": {"name": "Acme Cloud (sandbox)"},
            "settings": {"dashboard": {"display_name": "Acme Cloud (sandbox)"}},
            "country": "US",
            "default_currency": "usd",
        }
        #: Scenario expectations, by scenario name (filled by the catalog loader).
        self.scenarios: dict[str, Any] = {}
        #: Bumped by :meth:`add` per kind, so readers can cache views of a bucket.
        self.revisions: dict[str, int] = {}
        self._counter = itertools.count(1)

    def now(self) -> int:
        return self.clock.now()

    def new_id(self, kind: str) -> str:
        """A fresh, deterministic id with the right prefix (``re_0001…``)."""
        prefix = PREFIXES[kind]
        n = next(self._counter)
        body = "".join(_ALPHABET[(n * 7919 + i * 104729) % len(_ALPHABET)] for i in range(14))
        return f"{prefix}_{n:06d}{body}"

    def add(self, obj: JSON) -> JSON:
        """Store a complete object under ``obj['object']`` and ``obj['id']`` (replacing)."""
        kind = obj["object"]
        if kind not in self.objects:
            self.objects[kind] = {}
        self.objects[kind][obj["id"]] = obj
        self.revisions[kind] = self.revisions.get(kind, 0) + 1
        return obj

    def get(self, kind: str, obj_id: str) -> JSON | None:
        return self.objects.get(kind, {}).get(obj_id)

    def all(self, kind: str) -> Iterator[JSON]:
        """Objects of one kind in insertion order."""
        return iter(list(self.objects.get(kind, {}).values()))

    def find(self, obj_id: str) -> JSON | None:
        """Any object by id, whatever its kind."""
        for bucket in self.objects.values():
            if obj_id in bucket:
                return bucket[obj_id]
        return None
