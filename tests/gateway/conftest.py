"""Gateway tests run the real SDK against the real sandbox (in-process, or over loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from billing_tui.core.settings import Settings
from billing_tui.desk.connection import allow_key
from billing_tui.gateway import Gateway, build_client, close_client

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
KEY = "sk_test_gatewaytests"
#: No SDK retry sleeps, a fast 429 backoff: tests stay quick.
FAST = Settings(max_network_retries=0, rate_limit_retries=2, rate_limit_backoff=0.001)


def sandbox_for(*scenarios: str) -> Any:
    from billing_tui.sandbox import Sandbox

    sandbox = Sandbox.demo(scenarios=scenarios or ("all",), now=NOW)
    allow_key(sandbox, KEY)
    return sandbox


def gateway_for(
    sandbox: Any,
    *,
    key: str = KEY,
    settings: Settings = FAST,
    http_client: stripe.HTTPClient | None = None,
    prefetch: bool = True,
) -> Gateway:
    client = build_client(key, settings=settings, http_client=http_client or sandbox.http_client())
    return Gateway(client, settings=settings, prefetch=prefetch)


GatewayFactory = Callable[..., tuple[Any, Gateway]]


@pytest.fixture
def make() -> GatewayFactory:
    """``make("duplicate-checkout", ...) -> (sandbox, gateway)`` over the in-process sandbox."""

    def factory(*scenarios: str, **kwargs: Any) -> tuple[Any, Gateway]:
        sandbox = sandbox_for(*scenarios)
        return sandbox, gateway_for(sandbox, **kwargs)

    return factory


@pytest.fixture
def served() -> Iterator[Callable[..., Any]]:
    """Start a loopback sandbox server (stopped at the end of the test)."""
    from billing_tui.sandbox.server import SandboxServer

    servers: list[Any] = []

    def start(sandbox: Any, **faults: Any) -> Any:
        server = SandboxServer(sandbox, **faults)
        server.__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def objects(sandbox: Any, kind: str, **match: Any) -> list[dict[str, Any]]:
    """Stored wire objects of one kind whose fields equal ``match``."""
    return [
        obj
        for obj in sandbox.state.all(kind)
        if all(obj.get(field) == value for field, value in match.items())
    ]


@pytest.fixture
async def over_loopback(
    served: Callable[..., Any],
) -> AsyncIterator[Callable[..., tuple[Any, Gateway]]]:
    """``over_loopback(sandbox, settings=FAST, prefetch=True, **faults) -> (server, gateway)``:
    a gateway on an httpx client against a loopback server (both closed after the test)."""
    made: list[Gateway] = []

    def factory(
        sandbox: Any, settings: Settings = FAST, prefetch: bool = True, **faults: Any
    ) -> tuple[Any, Gateway]:
        server = served(sandbox, **faults)
        gateway = Gateway(
            build_client(KEY, settings=settings, api_base=server.url),
            settings=settings,
            prefetch=prefetch,
        )
        made.append(gateway)
        return server, gateway

    yield factory
    for gateway in made:
        await close_client(gateway._client)
