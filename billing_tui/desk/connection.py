"""Which Stripe the session talks to: the embedded sandbox (``--demo``), a Stripe-compatible
server (``--api-base URL``), or real Stripe with the stored key.

``connect(options) -> Connection``; :class:`ConnectionInfo` is what the UI shows (mode, a masked
key hint, where the key came from). The key itself is only ever handed to ``StripeClient``.

Two steps, so the workstation can draw its first frame before the Stripe SDK loads:
:func:`resolve_target` is quick (the options and the key, no ``stripe`` import) and says what
can fail before the first frame; :func:`open_connection` builds the client (and, in the demo,
the sandbox) and is what a worker thread runs. Nothing here knows about ``argparse``: the CLI
turns its arguments into :class:`ConnectionOptions` (``billing_tui.cli.options``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import mask_key
from billing_tui.store import credentials

if TYPE_CHECKING:
    import stripe

    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.catalog import ScenarioInfo

Mode = Literal["demo", "test", "live"]

#: Used against a loopback ``--api-base`` when no key is configured at all (the loopback
#: sandbox accepts any well-formed test key); never valid on real Stripe. A key that is
#: configured but does not parse is an error, never replaced by this one.
PLACEHOLDER_KEY = "sk_test_billingtuiplaceholder"
DEMO_KEY = "sk_test_demo"


class ConnectionFailed(Exception):
    """The connection could not be set up (no key, a bad option): the message says why."""


#: Generated customers the demo workstation carries beside the scenarios (``--population``).
DEMO_POPULATION = 1000


@dataclass(frozen=True)
class ConnectionOptions:
    """What the operator asked to connect to (``--demo``, ``--scenarios``, ``--api-base``…)."""

    demo: bool = False
    scenarios: tuple[str, ...] = ("all",)
    population: int = 0
    now: datetime | None = None
    profile: str | None = None
    api_base: str | None = None


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

    def scenarios(self) -> tuple[ScenarioInfo, ...]:
        """The catalog scenarios the demo sandbox loaded (none outside the demo)."""
        if self.sandbox is None:
            return ()
        from billing_tui.sandbox.catalog import ScenarioInfo  # only the demo has a sandbox

        loaded = self.sandbox.state.scenarios.values()
        return tuple(info for info in loaded if isinstance(info, ScenarioInfo))

    async def aclose(self) -> None:
        from billing_tui.gateway.client import close_client

        await close_client(self.client)


#: The demo's connection info (its account name comes from the sandbox).
DEMO_INFO = ConnectionInfo(mode="demo", key_hint="sandbox", key_source="built-in sandbox")


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


@dataclass(frozen=True)
class ConnectionTarget:
    """What :func:`open_connection` will build: the options and the resolved key (``None``
    for the demo and for ``--api-base`` without a key). ``repr`` shows the key redacted."""

    options: ConnectionOptions
    resolved: credentials.ResolvedKey | None = None

    def preview(self) -> ConnectionInfo:
        """What the connection will show (mode, key hint, source) before it is built; the
        demo's account name is known only once its sandbox is."""
        if self.options.demo:
            return DEMO_INFO
        if self.resolved is None:
            return _placeholder_info(self.options.api_base)
        return info_for(self.resolved, api_base=self.options.api_base)


def resolve_target(options: ConnectionOptions) -> ConnectionTarget:
    """The quick half of :func:`connect`: the key. Raises ConnectionFailed when there is none
    (unless the server is this machine: then the placeholder) and whenever the configured key
    does not parse — a bad key is never swapped for the placeholder. Imports neither
    ``stripe`` nor the sandbox."""
    if options.demo:
        return ConnectionTarget(options)
    if options.api_base and is_loopback(options.api_base):
        try:
            return ConnectionTarget(options, credentials.resolve_key(options.profile))
        except credentials.NoKey:
            return ConnectionTarget(options)  # no key at all: the placeholder, said as such
        except credentials.CredentialsError as exc:
            raise ConnectionFailed(str(exc)) from None
    return ConnectionTarget(options, _resolve_key(options.profile))


def is_loopback(api_base: str) -> bool:
    """Whether ``api_base`` is this machine (``localhost``, ``127.x.y.z``, ``::1``): the only
    servers the placeholder key is sent to."""
    host = (urlsplit(api_base if "//" in api_base else f"//{api_base}").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_connection(target: ConnectionTarget, settings: Settings = DEFAULT_SETTINGS) -> Connection:
    """The slow half of :func:`connect`: build the session's one ``StripeClient`` (and the
    sandbox in the demo). Blocking; the workstation runs it in a worker thread."""
    from billing_tui.gateway.client import build_client

    options = target.options
    if options.demo:
        return _demo_connection(options, settings)
    resolved = target.resolved
    key = PLACEHOLDER_KEY if resolved is None else resolved.key.reveal()
    client = build_client(key, settings=settings, api_base=options.api_base)
    return Connection(client, target.preview())


def _placeholder_info(api_base: str | None) -> ConnectionInfo:
    return ConnectionInfo(
        mode="test",
        key_hint=mask_key(PLACEHOLDER_KEY),
        key_source="placeholder test key (no key configured)",
        api_base=api_base,
    )


def _demo_connection(options: ConnectionOptions, settings: Settings) -> Connection:
    from billing_tui.gateway.client import build_client
    from billing_tui.sandbox import Sandbox  # only the demo needs the emulator

    sandbox = Sandbox.demo(
        scenarios=options.scenarios, population=options.population, now=options.now
    )
    allow_key(sandbox, DEMO_KEY)
    client = build_client(DEMO_KEY, settings=settings, http_client=sandbox.http_client())
    info = replace(DEMO_INFO, account_name=_account_name(sandbox))
    return Connection(client, info, sandbox)


def connect(options: ConnectionOptions, settings: Settings = DEFAULT_SETTINGS) -> Connection:
    """Build the session's one ``StripeClient`` for the chosen backend."""
    return open_connection(resolve_target(options), settings)


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
