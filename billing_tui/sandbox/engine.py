"""The sandbox: one state served through Stripe's v1 wire protocol.

:meth:`Sandbox.handle` is the whole API (auth, routing, params, idempotency, errors); the
in-process SDK client (:mod:`billing_tui.sandbox.transport`) and the loopback server
(:mod:`billing_tui.sandbox.server`) both call it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from billing_tui.sandbox import router
from billing_tui.sandbox.auth import authenticate, authorize, check_account_header
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.expand import Renderer, includable_items, parse_expand
from billing_tui.sandbox.idempotency import IdempotencyStore, Reservation
from billing_tui.sandbox.query import Query
from billing_tui.sandbox.state import Clock, SandboxState
from billing_tui.sandbox.wire import ApiError, decode_form

if TYPE_CHECKING:
    import stripe

API_VERSION = "2026-10-28.endive"

#: The clock tests pin the sandbox to.
DEFAULT_TEST_NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)

_log = logging.getLogger(__name__)

Response = tuple[int, dict[str, Any], dict[str, str]]


class RequestLog:
    """The ``(METHOD, /v1/path)`` of every request the engine served, in order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[tuple[str, str]] = []

    def append(self, item: tuple[str, str]) -> None:
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._items)

    def count(self, method: str | None = None, path_prefix: str = "") -> int:
        return sum(
            1
            for m, p in self.snapshot()
            if (method is None or m == method) and p.startswith(path_prefix)
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.snapshot())

    def __getitem__(self, index: int) -> tuple[str, str]:
        with self._lock:
            return self._items[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestLog):
            return self.snapshot() == other.snapshot()
        if isinstance(other, list):
            return self.snapshot() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def new_request_id() -> str:
    return "req_" + secrets.token_urlsafe(10).replace("-", "x").replace("_", "y")[:14]


class Sandbox:
    """A stateful in-memory Stripe emulator over a :class:`SandboxState`."""

    def __init__(self, state: SandboxState | None = None, *, now: dt.datetime | None = None):
        if state is None:
            state = SandboxState(Clock(now) if now is not None else Clock(frozen=False))
        elif now is not None:
            state.clock = Clock(now)
        self.state = state
        self.query = Query(state)
        self.idempotency = IdempotencyStore()
        self.request_log = RequestLog()

    @classmethod
    def demo(
        cls,
        scenarios: Sequence[str] = ("all",),
        population: int = 0,
        now: dt.datetime | None = None,
        seed: int = 7,
    ) -> Sandbox:
        """A sandbox loaded with catalog scenarios (names, ``all``, or scenario file paths)
        plus ``population`` generated customers."""
        # Imported lazily: only demo sandboxes need the catalog and the generator.
        catalog = importlib.import_module("billing_tui.sandbox.catalog")
        sandbox = cls(now=now)
        catalog.load(sandbox.state, scenarios)
        if population:
            generator = importlib.import_module("billing_tui.sandbox.population")
            generator.populate(sandbox.state, population, seed=seed)
        sandbox.query.invalidate()
        return sandbox

    # -- clients --------------------------------------------------------------------

    def http_client(self) -> stripe.HTTPClient:
        from billing_tui.sandbox.transport import InProcessHTTPClient

        return InProcessHTTPClient(self.handle)

    def stripe_client(self, api_key: str = "sk_test_sandbox", **kwargs: Any) -> stripe.StripeClient:
        import stripe

        kwargs.setdefault("max_network_retries", 2)
        kwargs.setdefault("http_client", self.http_client())
        return stripe.StripeClient(api_key, **kwargs)

    # -- the API --------------------------------------------------------------------

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: str | bytes | None,
        *,
        delay: float = 0.0,
    ) -> Response:
        """Serve one request: ``(status, json_payload, response_headers)``.

        ``delay`` (seconds) is the loopback server's simulated latency. Every answer takes it;
        a request that executes sleeps after its idempotency key is reserved and outside the
        state lock, so concurrent requests overlap as they would on the network.
        """
        method = method.upper()
        parts = urlsplit(url)
        path = parts.path.rstrip("/") or "/"
        request_id = new_request_id()
        self.request_log.append((method, path))
        latency = _Latency(delay)
        try:
            return self._serve(method, path, parts.query, headers, body, request_id, latency)
        except _Replayed as replayed:
            latency.wait()
            return replayed.response
        except _Failed as failed:
            if failed.reservation is not None:
                self.idempotency.finish(
                    failed.reservation, failed.response if failed.cacheable else None
                )
            latency.wait()
            return failed.response

    def _serve(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: str | bytes | None,
        request_id: str,
        latency: _Latency,
    ) -> Response:
        base_headers = {
            "Request-Id": request_id,
            "Content-Type": "application/json",
            "Stripe-Version": API_VERSION,
        }
        reservation: Reservation | None = None
        try:
            principal = authenticate(self.state, headers)
            check_account_header(self.state, headers)
            route, groups = router.match(method, path)
            authorize(self.state, principal, route.permission, write=method != "GET")
            params = decode_form(query_string)
            if method == "POST":
                text = body.decode("utf-8") if isinstance(body, bytes) else body
                params.update(decode_form(text))
            expand = parse_expand(params.get("expand"))
            key = _header(headers, "Idempotency-Key") if method == "POST" else None
            if key:
                reservation = self.idempotency.begin(
                    principal.livemode, key, method, path, params, request_id
                )
                if reservation.replay is not None:
                    status, payload, saved_headers = reservation.replay
                    raise _Replayed((status, payload, {**saved_headers, **base_headers}))
            latency.wait()
            with self.state.lock:
                ctx = Context(
                    state=self.state,
                    query=self.query,
                    renderer=Renderer(self.query, principal.livemode, includable_items(self.query)),
                    principal=principal,
                    params=params,
                    method=method,
                    path=path,
                    expand=expand,
                )
                try:
                    payload = route.handler(ctx, *groups)
                finally:
                    for kind in ctx.touched:
                        self.query.invalidate(kind)
            response: Response = (200, payload, base_headers)
            if reservation is not None:
                self.idempotency.finish(reservation, response)
            return response
        except (_Replayed, _Failed):
            raise
        except ApiError as error:
            extra = dict(error.headers)
            if error.status in (400, 401, 402, 403, 404):
                extra.setdefault("Stripe-Should-Retry", "false")
            response = (error.status, error.payload(), {**base_headers, **extra})
            raise _Failed(response, reservation, error.cacheable) from None
        except Exception:
            _log.exception("sandbox: unhandled error serving %s %s", method, path)
            response = (
                500,
                {
                    "error": {
                        "type": "api_error",
                        "message": "An unknown error occurred in the sandbox while "
                        f"serving {method} {path}.",
                    }
                },
                base_headers,
            )
            raise _Failed(response, reservation, True) from None


class _Latency:
    """Sleeps once per request, wherever the request ends."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def wait(self) -> None:
        if self.seconds > 0:
            time.sleep(self.seconds)
            self.seconds = 0.0


class _Replayed(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class _Failed(Exception):
    def __init__(self, response: Response, reservation: Reservation | None, cacheable: bool):
        self.response = response
        self.reservation = reservation
        self.cacheable = cacheable
