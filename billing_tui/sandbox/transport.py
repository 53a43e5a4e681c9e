"""The in-process transport: a ``stripe.HTTPClient`` that calls :meth:`Sandbox.handle`.

Sync and async, as the SDK needs both; response headers are case-insensitive (the SDK reads
``request-id`` and ``Stripe-Should-Retry`` in either case) and async retry sleeps are instant.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import stripe
from requests.structures import CaseInsensitiveDict

Handler = Callable[
    [str, str, Mapping[str, str], "str | bytes | None"],
    tuple[int, dict[str, Any], dict[str, str]],
]


class InProcessHTTPClient(stripe.HTTPClient):
    """Serves SDK requests from a sandbox in the same process (no sockets)."""

    name = "billing-tui-sandbox"

    def __init__(self, handler: Handler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handler = handler

    def _call(
        self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any
    ) -> tuple[bytes, int, Mapping[str, str]]:
        body = (
            post_data if isinstance(post_data, str | bytes) or post_data is None else str(post_data)
        )
        status, payload, extra = self._handler(method, url, dict(headers or {}), body)
        response_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(extra)
        return json.dumps(payload).encode("utf-8"), status, response_headers

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        return self._call(method, url, headers, post_data)

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        body, status, response_headers = self._call(method, url, headers, post_data)
        return iter([body]), status, response_headers

    def close(self) -> None:
        return None

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        return self._call(method, url, headers, post_data)

    async def request_stream_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[AsyncIterator[bytes], int, Mapping[str, str]]:
        body, status, response_headers = self._call(method, url, headers, post_data)

        async def chunks() -> AsyncIterator[bytes]:
            yield body

        return chunks(), status, response_headers

    async def close_async(self) -> None:
        return None

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(0)


def _iter_once(body: bytes) -> Iterator[bytes]:
    yield body
