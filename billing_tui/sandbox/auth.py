"""API key checks: which keys the sandbox accepts, their mode, and restricted-key permissions."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from billing_tui.sandbox.state import SandboxState
from billing_tui.sandbox.wire import ApiError, mask_key

_PREFIX = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]+$")
#: What an undeclared test key must look like.
_WELL_FORMED = re.compile(r"^sk_test_[A-Za-z0-9]+$")


@dataclass(frozen=True)
class Principal:
    """The caller of one request: its key (kept only to scope idempotency), mode, permissions."""

    key: str
    livemode: bool
    permissions: frozenset[str] | None
    """``None`` for a secret key (everything allowed), else the granted ``rak_*`` names."""

    @property
    def restricted(self) -> bool:
        return self.permissions is not None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def authenticate(state: SandboxState, headers: Mapping[str, str]) -> Principal:
    """The request's principal, or a 401 like Stripe's (never echoing the whole key)."""
    auth = _header(headers, "Authorization")
    if not auth or not auth.strip():
        raise ApiError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
            "or we can help at https://support.stripe.com/.",
        )
    key = _credential(auth)
    invalid = ApiError(401, f"Invalid API Key provided: {mask_key(key)}")
    policy = state.keys
    if key in policy.revoked:
        raise invalid
    match = _PREFIX.match(key)
    if match is None:
        raise invalid
    kind, mode = match.group(1), match.group(2)
    if key in policy.declared:
        permissions = policy.declared[key]
    elif policy.strict or kind != "sk" or mode != "test" or not _WELL_FORMED.match(key):
        # Live and restricted keys exist only when a scenario declares them.
        raise invalid
    else:
        permissions = None
    if kind == "rk" and permissions is None:
        permissions = frozenset()
    return Principal(key=key, livemode=mode == "live", permissions=permissions)


def _credential(auth: str) -> str:
    """The key of ``Bearer <key>`` or of HTTP Basic ``<key>:`` (the key as the user name, no
    password: ``curl -u sk_test_…:``), both of which Stripe accepts."""
    scheme, _, value = auth.strip().partition(" ")
    value = value.strip()
    key = ""
    if scheme.lower() == "bearer":
        key = value
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        key = decoded.partition(":")[0].strip()
    if not key:
        raise ApiError(
            401,
            "Invalid Authorization header: use Bearer auth ('Authorization: Bearer "
            "YOUR_SECRET_KEY') or Basic auth with the key as the user name ('curl -u "
            "YOUR_SECRET_KEY:').",
        )
    return key


def authorize(state: SandboxState, principal: Principal, resource: str, write: bool) -> None:
    """403 when a restricted key lacks ``rak_<resource>_<read|write>`` (write implies read)."""
    if principal.permissions is None or not resource:
        return
    granted = principal.permissions
    needed = f"rak_{resource}_{'write' if write else 'read'}"
    if needed in granted or (not write and f"rak_{resource}_write" in granted):
        return
    raise ApiError(
        403,
        f"The provided key '{mask_key(principal.key)}' does not have the required permissions "
        f"for this endpoint on account '{state.account['id']}'. Having the '{needed}' "
        "permission would allow this request to continue.",
    )


def check_account_header(state: SandboxState, headers: Mapping[str, str]) -> None:
    account = _header(headers, "Stripe-Account")
    if account and account != state.account["id"]:
        raise ApiError(
            403,
            "The provided key does not have access to account "
            f"'{account}' (or that account does not exist). Application access may have "
            "been revoked.",
        )
