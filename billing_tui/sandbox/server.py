"""The sandbox over loopback HTTP, with fault injection.

``SandboxServer`` runs a threaded stdlib HTTP server in a background thread. Every request goes
through :meth:`Sandbox.handle`; faults are drawn from a seeded RNG so a test run is
repeatable:

- ``latency_ms``: every request takes at least this long (slept outside the state lock, after
  the idempotency key is reserved, so concurrent requests overlap like on the real network);
- ``fail={429: p, 500: p, 502: p, 503: p}``: answer with that status and Stripe's error JSON
  without touching the state, with probability ``p`` each;
- ``fail_paths={"/v1/disputes": 500}``: every request to exactly that path (query string aside)
  answers with that status, always — one endpoint down while the others work (a partial
  snapshot, for tests and reproductions);
- ``drop_after_commit=p``: a POST or DELETE is applied to the state, then the connection is
  closed without an answer (the client cannot know it succeeded).

It binds loopback addresses only, unless ``allow_non_loopback`` is given.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import random
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from billing_tui.sandbox.engine import API_VERSION, Sandbox, new_request_id

_log = logging.getLogger(__name__)

FAULT_STATUSES = (429, 500, 502, 503)

_FAULT_BODIES: dict[int, dict[str, Any]] = {
    429: {
        "type": "invalid_request_error",
        "code": "rate_limit",
        "message": "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
    },
    500: {"type": "api_error", "message": "An unknown error occurred"},
    502: {"type": "api_error", "message": "Bad gateway: the upstream server did not answer."},
    503: {
        "type": "api_error",
        "message": "Stripe is temporarily unavailable. Please try again in a few seconds.",
    },
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_faults(fail: Mapping[int, float], drop_after_commit: float, latency_ms: float) -> None:
    """Raise ValueError with a clear message for impossible fault settings."""
    for status, probability in fail.items():
        if status not in FAULT_STATUSES:
            allowed = ", ".join(str(s) for s in FAULT_STATUSES)
            raise ValueError(f"can't inject status {status}: choose from {allowed}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(
                f"probability for {status} must be between 0 and 1 (got {probability})"
            )
    if sum(fail.values()) > 1.0:
        raise ValueError("the failure probabilities add up to more than 1")
    if not 0.0 <= drop_after_commit <= 1.0:
        raise ValueError(f"drop-after-commit must be between 0 and 1 (got {drop_after_commit})")
    if latency_ms < 0:
        raise ValueError(f"latency must not be negative (got {latency_ms} ms)")


def validate_fail_paths(fail_paths: Mapping[str, int]) -> None:
    """Raise ValueError for a path that is not an API path or a status that cannot be injected."""
    for path, status in fail_paths.items():
        if not path.startswith("/v1/"):
            raise ValueError(f"can't fail {path!r}: give an API path such as /v1/disputes")
        if status not in FAULT_STATUSES:
            allowed = ", ".join(str(s) for s in FAULT_STATUSES)
            raise ValueError(f"can't inject status {status} on {path}: choose from {allowed}")


class _Faults:
    def __init__(
        self,
        fail: Mapping[int, float],
        drop_after_commit: float,
        latency_ms: float,
        seed: int,
        fail_paths: Mapping[str, int] | None = None,
    ) -> None:
        self.fail = dict(sorted(fail.items()))
        self.fail_paths = dict(fail_paths or {})
        self.drop_after_commit = drop_after_commit
        self.latency = latency_ms / 1000.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        #: What was injected so far: ``{429: n, 500: n, …, "dropped": n}``.
        self.counts: dict[int | str, int] = {}

    def count(self, what: int | str) -> None:
        with self._lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def draw(self, method: str, path: str = "") -> tuple[int | None, bool]:
        """(injected status or None, whether to drop the answer after committing)."""
        failing = self.fail_paths.get(path.partition("?")[0].rstrip("/"))
        if failing is not None:
            return failing, False
        with self._lock:
            roll = self._rng.random()
            drop_roll = self._rng.random()
        edge = 0.0
        for status, probability in self.fail.items():
            edge += probability
            if roll < edge:
                return status, False
        drop = method in ("POST", "DELETE") and drop_roll < self.drop_after_commit
        return None, drop


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, faults: _Faults) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        self.faults = faults
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle plus delayed ACKs
    # would add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _Server
    server_version = "billing-tui-sandbox"
    sys_version = ""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("sandbox server: " + format, *args)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else None
        faults = self.server.faults
        injected, drop = faults.draw(method, self.path)
        if injected is not None:
            faults.count(injected)
            if faults.latency:
                threading.Event().wait(faults.latency)
            self._answer(
                injected,
                {"error": dict(_FAULT_BODIES[injected])},
                {"Request-Id": new_request_id(), "Stripe-Version": API_VERSION},
            )
            return
        headers = {k: v for k, v in self.headers.items()}
        status, payload, response_headers = self.server.sandbox.handle(
            method, self.path, headers, body, delay=faults.latency
        )
        if drop:
            # Committed, but the client never hears back.
            faults.count("dropped")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._answer(status, payload, response_headers)

    def _answer(self, status: int, payload: dict[str, Any], headers: Mapping[str, str]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "content-type"):
                self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class SandboxServer:
    """A loopback HTTP server for a sandbox; use as a context manager."""

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency_ms: float = 0,
        fail: Mapping[int, float] | None = None,
        drop_after_commit: float = 0.0,
        seed: int = 0,
        allow_non_loopback: bool = False,
        fail_paths: Mapping[str, int] | None = None,
    ) -> None:
        if not allow_non_loopback and not is_loopback(host):
            raise ValueError(
                f"refusing to serve the sandbox on {host}: it is not a loopback address "
                "(anyone on the network could reach it). Use 127.0.0.1, or pass "
                "allow_non_loopback / --allow-non-loopback if you really mean it."
            )
        fail = dict(fail or {})
        validate_faults(fail, drop_after_commit, latency_ms)
        validate_fail_paths(fail_paths or {})
        self.sandbox = sandbox
        self.host = host
        self._faults = _Faults(fail, drop_after_commit, latency_ms, seed, fail_paths)
        self._server = _Server((host, port), sandbox, self._faults)
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def injected(self) -> dict[int | str, int]:
        """Faults injected so far, e.g. ``{500: 2, "dropped": 1}``."""
        with self._faults._lock:
            return dict(self._faults.counts)

    def set_faults(
        self,
        *,
        fail: Mapping[int, float] | None = None,
        drop_after_commit: float | None = None,
        latency_ms: float | None = None,
        fail_paths: Mapping[str, int] | None = None,
    ) -> None:
        """Change the fault settings of a running server (``fail_paths={}`` heals every path)."""
        new_fail = dict(fail) if fail is not None else self._faults.fail
        new_drop = (
            self._faults.drop_after_commit if drop_after_commit is None else drop_after_commit
        )
        new_latency = self._faults.latency * 1000 if latency_ms is None else latency_ms
        validate_faults(new_fail, new_drop, new_latency)
        if fail_paths is not None:
            validate_fail_paths(fail_paths)
            self._faults.fail_paths = dict(fail_paths)
        self._faults.fail = dict(sorted(new_fail.items()))
        self._faults.drop_after_commit = new_drop
        self._faults.latency = new_latency / 1000.0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sandbox-server:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI's ``sandbox serve``)."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Mapping[str, Any] | None = None,
) -> SandboxServer:
    """A started :class:`SandboxServer` (``faults``: its keyword options); stop it when done."""
    return SandboxServer(sandbox, host, port, **dict(faults or {})).start()
