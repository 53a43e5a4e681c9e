"""Pieces every resource factory shares: the fake web host, shared read-only blocks, id helpers.

To keep a 20,000-customer population small in memory, parts that never change after creation are
shared between objects (module constants here and in each resource module). Code that changes
one of those keys assigns a new value; it never mutates them in place.
"""

from __future__ import annotations

import hashlib
from typing import Any

from billing_tui.sandbox.state import JSON, SandboxState

#: Where the sandbox's hosted pages (invoice, receipt) pretend to live. ``.invalid`` never resolves.
SANDBOX_WEB = "https://sandbox.billing-tui.invalid"

# Read-only parts shared by many objects (they never change after creation in Stripe either).
# Sharing them keeps a 20,000-customer population small; code that changes one of these keys
# must assign a new value (``obj["discounts"] = [...]``), never mutate it in place.
EMPTY: list[Any] = []
ISSUER_SELF: JSON = {"type": "self"}


def make_fingerprint(*parts: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).hexdigest()
    # Stripe fingerprints are 16 alphanumerics in mixed case.
    return digest[:8].upper() + digest[8:]


def id_body(obj_id: str) -> str:
    return obj_id.split("_", 1)[1] if "_" in obj_id else obj_id


def null_address() -> JSON:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def require(state: SandboxState, kind: str, obj_id: str, what: str) -> JSON:
    obj = state.get(kind, obj_id)
    if obj is None:
        raise ValueError(f"{what} {obj_id!r} does not exist (load the {kind} first)")
    return obj
