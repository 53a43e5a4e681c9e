"""What a key can do: its account, and its capabilities, probed without side effects.

``await probe_key(client)`` asks ``GET /v1/account`` for the account name (a 401 here means the
key is revoked or mistyped: :class:`~billing_tui.gateway.errors.AuthFailed`), then lists one
customer, subscription, invoice and charge in parallel: each answers "yes" or a 403 naming the
missing ``rak_…`` permission. Writes (refunds, subscription changes, portal sessions) cannot be
tried without side effects, so for a restricted key they are "unknown until used"; a full secret
key may do everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import stripe

from billing_tui.core.keys import KeyKind, parse_key
from billing_tui.gateway.errors import GatewayError, PermissionDenied, translate

CapabilityStatus = Literal["yes", "no", "unknown"]

#: (name, the permission a restricted key needs, the list call that probes it or None)
READS: tuple[tuple[str, str], ...] = (
    ("read customers", "rak_customer_read"),
    ("read subscriptions", "rak_subscription_read"),
    ("read invoices", "rak_invoice_read"),
    ("read charges", "rak_charge_read"),
)
WRITES: tuple[tuple[str, str], ...] = (
    ("write refunds", "rak_refund_write"),
    ("write subscriptions", "rak_subscription_write"),
    ("create portal sessions", "rak_billing_portal_session_write"),
)


@dataclass(frozen=True)
class Capability:
    name: str
    status: CapabilityStatus
    #: The ``rak_…`` permission a restricted key needs for it.
    permission: str
    note: str = ""

    @property
    def allowed(self) -> bool:
        return self.status == "yes"

    def describe(self) -> str:
        """``yes`` · ``no — needs rak_charge_read`` · ``unknown until used``."""
        if self.status == "yes":
            return "yes"
        if self.status == "no":
            return f"no — needs {self.permission}"
        return self.note or "unknown until used"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "permission": self.permission}


@dataclass(frozen=True)
class KeyProbe:
    account_id: str | None
    account_name: str | None
    kind: KeyKind | None
    capabilities: tuple[Capability, ...]
    #: Things the operator should know (e.g. the account could not be read with this key).
    notes: tuple[str, ...] = ()

    @property
    def live(self) -> bool | None:
        return None if self.kind is None else self.kind.live

    @property
    def missing(self) -> tuple[Capability, ...]:
        return tuple(c for c in self.capabilities if c.status == "no")

    def capability(self, name: str) -> Capability:
        for cap in self.capabilities:
            if cap.name == name:
                return cap
        raise KeyError(name)

    @property
    def can_read_customers(self) -> bool:
        return self.capability("read customers").allowed

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "kind": self.kind.value if self.kind else None,
            "capabilities": [c.to_json() for c in self.capabilities],
            "notes": list(self.notes),
        }


def _client_kind(client: stripe.StripeClient) -> KeyKind | None:
    """The key kind of the client's own key (read once from the SDK's options, never kept)."""
    requestor = getattr(client, "_requestor", None)
    options = getattr(requestor, "_options", None)
    raw = getattr(options, "api_key", None)
    if not isinstance(raw, str):
        return None
    try:
        return parse_key(raw).kind
    except Exception:
        return None


def _account_name(account: Any) -> str | None:
    def field(obj: Any, name: str) -> Any:
        try:
            return obj[name] if obj is not None and name in obj else None
        except (KeyError, TypeError):
            return None

    dashboard = field(field(account, "settings"), "dashboard")
    for candidate in (
        field(dashboard, "display_name"),
        field(field(account, "business_profile"), "name"),
        field(account, "email"),
    ):
        if candidate:
            return str(candidate)
    return None


async def probe_key(client: stripe.StripeClient, kind: KeyKind | None = None) -> KeyProbe:
    """Account and capabilities of the client's key. Raises ``GatewayError`` (e.g.
    ``AuthFailed`` for a revoked key, ``NetworkDown``) when Stripe cannot be asked at all."""
    kind = kind or _client_kind(client)
    notes: list[str] = []
    account_id = account_name = None
    try:
        account = await client.v1.accounts.retrieve_current_async()
        account_id = str(account.id) if getattr(account, "id", None) else None
        account_name = _account_name(account)
    except stripe.StripeError as exc:
        error = translate(exc)
        if not isinstance(error, PermissionDenied):
            raise error from None
        notes.append("This key cannot read the account's details (its name is unknown).")

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "read customers": lambda: client.v1.customers.list_async({"limit": 1}),
        "read subscriptions": lambda: client.v1.subscriptions.list_async({"limit": 1}),
        "read invoices": lambda: client.v1.invoices.list_async({"limit": 1}),
        "read charges": lambda: client.v1.charges.list_async({"limit": 1}),
    }

    async def try_read(name: str, permission: str) -> Capability:
        try:
            await calls[name]()
        except stripe.StripeError as exc:
            error = translate(exc)
            if isinstance(error, PermissionDenied):
                return Capability(name, "no", error.permission or permission)
            raise error from None
        return Capability(name, "yes", permission)

    results = await asyncio.gather(
        *(try_read(name, perm) for name, perm in READS), return_exceptions=True
    )
    capabilities: list[Capability] = []
    for result in results:
        if isinstance(result, GatewayError):
            raise result
        if isinstance(result, BaseException):
            raise result
        capabilities.append(result)
    full_secret = kind is not None and not kind.restricted
    for name, permission in WRITES:
        if full_secret:
            capabilities.append(Capability(name, "yes", permission))
        else:
            capabilities.append(Capability(name, "unknown", permission, "unknown until used"))
    return KeyProbe(account_id, account_name, kind, tuple(capabilities), tuple(notes))
