"""Which Stripe the session talks to: the embedded sandbox (``--demo``), a Stripe-compatible
server (``--api-base URL``), or real Stripe with the stored key.

``connect(options) -> Connection``; :class:`ConnectionInfo` is what the UI shows (mode, a masked
key hint, where the key came from). The key itself is only ever handed to ``StripeClient``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import stripe

from billing_tui.cli.options import api_base as _api_base_option
from billing_tui.cli.options import opt
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import mask_key
from billing_tui.gateway.client import build_client, close_client
from billing_tui.store import credentials

if TYPE_CHECKING:
    from billing_tui.sandbox import Sandbox

Mode = Literal["demo", "test", "live"]

#: Used against ``--api-base`` when no key is configured (the loopback sandbox accepts any
#: well-formed test key); never valid on real Stripe.
PLACEHOLDER_KEY = "sk_test_billingtuiplaceholder"
DEMO_KEY = "sk_test_demo"
_LIVE_PREFIXES = ("sk_live_", "rk_live_")


class ConnectionFailed(Exception):
    """The connection could not be set up (no key, a bad option): the message says why."""


def parse_now(text: str) -> datetime:
    """``2026-11-26T12:00:00Z`` (or any ISO 8601 with an offset) → an aware datetime."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConnectionFailed(
            f"--now {text!r} is not an ISO 8601 time (e.g. 2026-11-26T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def key_mode(key: str) -> Mode:
    return "live" if key.startswith(_LIVE_PREFIXES) else "test"


#: Generated customers the demo workstation carries beside the scenarios (``--population``).
DEMO_POPULATION = 1000


@dataclass(frozen=True)
class ConnectionOptions:
    demo: bool = False
    scenarios: tuple[str, ...] = ("all",)
    population: int = 0
    now: datetime | None = None
    profile: str | None = None
    api_base: str | None = None

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, *, default_population: int = 0
    ) -> ConnectionOptions:
        """From the shared connection options (``--scenarios`` implies ``--demo``).

        ``default_population`` applies when ``--population`` is not given: the workstation and
        the plans report use :data:`DEMO_POPULATION` so their account-wide screens have data.
        """
        scenarios: Any = opt(args, "scenarios")
        now = opt(args, "now")
        population = opt(args, "population", default_population)
        profile = opt(args, "profile")
        return cls(
            demo=bool(opt(args, "demo", False)) or bool(scenarios),
            scenarios=tuple(str(s) for s in scenarios) if scenarios else ("all",),
            population=int(population) if isinstance(population, int | str) else 0,
            now=parse_now(str(now)) if now else None,
            profile=str(profile) if profile else None,
            api_base=_api_base_option(args),
        )


@dataclass(frozen=True)
class ConnectionInfo:
    mode: Mode
    key_hint: str
    key_source: str
    api_base: str | None = None
    account_name: str | None = None
    profile: str | None = None
    #: What the operator must be told about the key's source (environment, unencrypted file).
    notice: str | None = None

    @property
    def live(self) -> bool:
        return self.mode == "live"

    def describe(self) -> str:
        """One line for a status bar: ``LIVE · sk_live_…abcd (keyring) · Acme``."""
        parts = [self.mode.upper(), f"{self.key_hint} ({self.key_source})"]
        if self.api_base:
            parts.append(self.api_base)
        if self.account_name:
            parts.append(self.account_name)
        return " · ".join(parts)


@dataclass
class Connection:
    client: stripe.StripeClient
    info: ConnectionInfo
    sandbox: Sandbox | None = None  # the emulator, in demo mode

    def __repr__(self) -> str:  # the client holds the key: never show it
        return f"Connection(info={self.info!r}, sandbox={self.sandbox is not None})"

    def now(self) -> datetime:
        """The clock the session reasons with: the sandbox clock in the demo, else real time."""
        if self.sandbox is not None:
            current: datetime = self.sandbox.state.clock.current()
            return current
        return datetime.now(UTC)

    async def aclose(self) -> None:
        await close_client(self.client)


def _resolve_key(profile: str | None) -> credentials.ResolvedKey:
    """The key from the credentials (``STRIPE_API_KEY``, keyring, file), still wrapped in its
    redacting ``SecretKey`` (a traceback printed with locals shows only ``sk_…abcd``); raises
    ConnectionFailed with the credentials' next step."""
    try:
        return credentials.resolve_key(profile)
    except credentials.CredentialsError as exc:
        raise ConnectionFailed(str(exc)) from None


def _account_name(sandbox: Sandbox) -> str | None:
    account = sandbox.state.account or {}
    profile = account.get("business_profile") or {}
    name = profile.get("name")
    return str(name) if name else None


def allow_key(sandbox: Sandbox, key: str) -> None:
    """Make a sandbox accept ``key`` as a full secret key. Scenarios that declare keys
    (restricted, live, revoked) make it accept only declared keys; the demo operator's own
    key (or a benchmark's) is added to them."""
    keys = sandbox.state.keys
    if keys.declared:
        keys.declared.setdefault(key, None)


def connect(options: ConnectionOptions, settings: Settings = DEFAULT_SETTINGS) -> Connection:
    """Build the session's one ``StripeClient`` for the chosen backend."""
    if options.demo:
        from billing_tui.sandbox import Sandbox  # only the demo needs the emulator

        sandbox = Sandbox.demo(
            scenarios=options.scenarios, population=options.population, now=options.now
        )
        allow_key(sandbox, DEMO_KEY)
        client = build_client(DEMO_KEY, settings=settings, http_client=sandbox.http_client())
        info = ConnectionInfo(
            mode="demo",
            key_hint="sandbox",
            key_source="built-in sandbox",
            account_name=_account_name(sandbox),
        )
        return Connection(client, info, sandbox)
    if options.api_base:
        try:
            resolved: credentials.ResolvedKey | None = _resolve_key(options.profile)
        except ConnectionFailed:
            resolved = None
        if resolved is None:
            client = build_client(PLACEHOLDER_KEY, settings=settings, api_base=options.api_base)
            info = ConnectionInfo(
                mode="test",
                key_hint=mask_key(PLACEHOLDER_KEY),
                key_source="placeholder test key (no key configured)",
                api_base=options.api_base,
            )
            return Connection(client, info)
        client = build_client(resolved.key.reveal(), settings=settings, api_base=options.api_base)
        return Connection(client, info_for(resolved, api_base=options.api_base))
    resolved = _resolve_key(options.profile)
    client = build_client(resolved.key.reveal(), settings=settings)
    return Connection(client, info_for(resolved))


def info_for(resolved: credentials.ResolvedKey, api_base: str | None = None) -> ConnectionInfo:
    key = resolved.key
    return ConnectionInfo(
        mode="live" if key.live else "test",
        key_hint=str(key),
        key_source=resolved.source_label,
        api_base=api_base,
        profile=resolved.profile,
        notice=resolved.notice,
    )
