"""``Idempotency-Key`` handling the way Stripe's v1 API does it.

The first request with a key reserves it; once it has executed, its response (errors
included, except parameter-validation failures) is saved and replayed for the same key with
the same endpoint and parameters. Different parameters or endpoint → 400 ``idempotency_error``;
a second request while the first still runs → 409 ``idempotency_key_in_use``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from billing_tui.sandbox.wire import ApiError

MAX_KEY_LENGTH = 255
MAX_ENTRIES = 50_000

Response = tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class _Entry:
    method: str
    path: str
    params: dict[str, Any]
    request_id: str
    response: Response | None = None


@dataclass(frozen=True)
class Reservation:
    scope: tuple[bool, str]
    replay: Response | None = None


class IdempotencyStore:
    """Saved responses by (mode, key); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[bool, str], _Entry] = OrderedDict()

    def begin(
        self,
        livemode: bool,
        key: str,
        method: str,
        path: str,
        params: dict[str, Any],
        request_id: str,
    ) -> Reservation:
        if len(key) > MAX_KEY_LENGTH:
            raise ApiError(
                400,
                f"Invalid idempotency key: it must be at most {MAX_KEY_LENGTH} characters "
                f"long (it is {len(key)}).",
                cacheable=False,
            )
        scope = (livemode, key)
        with self._lock:
            entry = self._entries.get(scope)
            if entry is None:
                self._entries[scope] = _Entry(method, path, params, request_id)
                while len(self._entries) > MAX_ENTRIES:
                    self._entries.popitem(last=False)
                return Reservation(scope)
            if (entry.method, entry.path) != (method, path):
                raise ApiError(
                    400,
                    "Keys for idempotent requests can only be used for the same endpoint they "
                    f"were first used for ('{entry.method} {entry.path}' vs '{method} {path}'). "
                    f"Try using a key other than '{key}' if you meant to execute a different "
                    "request.",
                    type="idempotency_error",
                    cacheable=False,
                )
            if entry.params != params:
                raise ApiError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    type="idempotency_error",
                    cacheable=False,
                )
            if entry.response is None:
                raise ApiError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    "going through): "
                    f"{key}. Please try again later.",
                    code="idempotency_key_in_use",
                    cacheable=False,
                )
            status, payload, headers = entry.response
            replay_headers = {
                **headers,
                "Idempotent-Replayed": "true",
                "Original-Request": entry.request_id,
            }
            return Reservation(scope, replay=(status, payload, replay_headers))

    def finish(self, reservation: Reservation, response: Response | None) -> None:
        """Save the response (``None``: forget the key, e.g. after a validation error)."""
        with self._lock:
            if response is None:
                self._entries.pop(reservation.scope, None)
                return
            entry = self._entries.get(reservation.scope)
            if entry is not None:
                entry.response = response

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
