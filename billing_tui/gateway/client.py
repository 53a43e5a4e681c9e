"""Building the one ``StripeClient`` of a session, and calling it: counting requests and
sequential rounds, our own bounded 429 backoff, paging, and error translation."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import stripe

from billing_tui.core.model import RequestStats
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.gateway.errors import GatewayError, RateLimited, should_retry_header, translate

T = TypeVar("T")

#: Per-branch request counter of the round currently running (see :meth:`Operation.round`).
_BRANCH: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "billing_tui_gateway_branch", default=None
)


class QuietHTTPXClient(stripe.HTTPXClient):
    """``stripe.HTTPXClient`` that sends the form body as ``content=`` (httpx 0.28 deprecates
    ``data=<str>``, which would turn every POST into a warning)."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> Any:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        data = kwargs.pop("data", None)
        if data:
            kwargs["content"] = data
        return [args, kwargs]


def build_client(
    api_key: str,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    api_base: str | None = None,
    http_client: stripe.HTTPClient | None = None,
) -> stripe.StripeClient:
    """One ``StripeClient`` with explicit retries and timeout, async over httpx.

    ``http_client`` replaces the transport (the sandbox's in-process client); ``api_base``
    points the client at a Stripe-compatible server (the loopback sandbox, stripe-mock).
    """
    transport = http_client or QuietHTTPXClient(timeout=settings.request_timeout)
    if api_base:
        return stripe.StripeClient(
            api_key,
            http_client=transport,
            max_network_retries=settings.max_network_retries,
            base_addresses={"api": api_base.rstrip("/")},
        )
    return stripe.StripeClient(
        api_key, http_client=transport, max_network_retries=settings.max_network_retries
    )


async def close_client(client: stripe.StripeClient) -> None:
    """Close the client's connection pool (safe to call on any transport)."""
    transport = getattr(getattr(client, "_requestor", None), "_client", None)
    closer = getattr(transport, "close_async", None)
    if closer is None:
        return
    with contextlib.suppress(NotImplementedError):
        await closer()


def request_id_of(obj: Any) -> str | None:
    """The ``Request-Id`` of the response that produced a StripeObject."""
    response = getattr(obj, "last_response", None)
    rid = getattr(response, "request_id", None)
    return str(rid) if rid else None


@dataclass
class Operation:
    """One gateway operation (a resolution, a snapshot, a mutation): counts what it sends.

    ``requests`` counts API calls we made (pages and our 429 retries included; the SDK's own
    network retries are invisible here). ``rounds`` counts *sequential* depth: requests issued
    together in :meth:`round` count as one round, a request that had to wait for another adds one.
    """

    settings: Settings
    requests: int = 0
    rounds: int = 0
    started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.perf_counter()

    def stats(self) -> RequestStats:
        return RequestStats(
            requests=self.requests,
            rounds=self.rounds,
            seconds=round(time.perf_counter() - self.started, 4),
        )

    def _count(self) -> None:
        self.requests += 1
        branch = _BRANCH.get()
        if branch is None:
            self.rounds += 1
        else:
            branch[0] += 1

    async def call(
        self,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        not_found: str | None = None,
    ) -> Any:
        """Call one SDK ``…_async`` method; retry 429s with bounded exponential backoff."""
        attempt = 0
        while True:
            self._count()
            try:
                return await fn(*args)
            except stripe.RateLimitError as exc:
                retry = should_retry_header(exc)
                if retry is False or attempt >= self.settings.rate_limit_retries:
                    raise RateLimited(request_id=exc.request_id) from None
                delay = self.settings.rate_limit_backoff * (2**attempt)
                attempt += 1
                await asyncio.sleep(delay * (0.75 + random.random() / 2))
            except stripe.StripeError as exc:
                raise translate(
                    exc, not_found=not_found, retries=self.settings.max_network_retries
                ) from None

    async def list_all(
        self,
        fn: Callable[..., Awaitable[Any]],
        params: dict[str, Any],
        *args: Any,
        max_pages: int | None = None,
    ) -> tuple[list[Any], bool]:
        """Every item of a list endpoint (``limit`` = page size), paging only while
        ``has_more``. Returns ``(items, truncated)``; ``truncated`` when ``max_pages`` cut it."""
        params = {"limit": self.settings.page_size, **params}
        items: list[Any] = []
        pages = 0
        while True:
            page = await self.call(fn, *args, params)
            pages += 1
            data = list(page.data)
            items.extend(data)
            if not page.has_more or not data:
                return items, False
            if max_pages is not None and pages >= max_pages:
                return items, True
            params = {**params, "starting_after": data[-1].id}

    async def search_all(
        self, fn: Callable[..., Awaitable[Any]], query: str, *, max_pages: int = 1
    ) -> tuple[list[Any], bool]:
        """Search results (``page=next_page`` paging), at most ``max_pages`` pages."""
        params: dict[str, Any] = {"query": query, "limit": self.settings.page_size}
        items: list[Any] = []
        for _ in range(max_pages):
            page = await self.call(fn, params)
            items.extend(page.data)
            next_page = getattr(page, "next_page", None)
            if not page.has_more or not next_page:
                return items, False
            params = {**params, "page": next_page}
        return items, True

    async def list_fast(
        self,
        fn: Callable[..., Awaitable[Any]],
        params: dict[str, Any],
        *args: Any,
        shards: int = 12,
        since: int | None = None,
    ) -> tuple[list[Any], bool]:
        """Like :meth:`list_all` for lists filterable by ``created`` (newest first), but a long
        list is not paged one cursor at a time: after the first page, the older objects are
        fetched in ``created`` shards concurrently (each sized to hold about half a page at the
        first page's density; the last shard is open-ended), then deduplicated by id. A long
        history costs ~2 rounds instead of one per 100 objects.

        ``since`` (e.g. the customer's creation time) bounds how far back shards are laid out,
        so a list just over one page costs one more request, not ``shards``."""
        first = await self.call(fn, *args, {"limit": self.settings.page_size, **params})
        items = list(first.data)
        if not first.has_more or not items:
            return items, False
        newest, oldest = int(items[0].created), int(items[-1].created)
        width = max((newest - oldest) // 2, 1)
        ranges: list[tuple[int | None, int]] = []
        hi = oldest + 1  # inclusive of the first page's oldest second: ties are deduplicated
        floor = max(since or 0, 0)
        for _ in range(max(shards - 1, 0)):
            if hi - width <= floor:
                break
            ranges.append((hi - width, hi))
            hi -= width
        ranges.append((None, hi))

        def shard(lo: int | None, hi: int) -> Awaitable[tuple[list[Any], bool]]:
            created: dict[str, int] = {"lt": hi} if lo is None else {"gte": lo, "lt": hi}
            return self.list_all(fn, {**params, "created": created}, *args)

        results = await self.round({str(i): shard(lo, hi) for i, (lo, hi) in enumerate(ranges)})
        seen = {str(obj.id) for obj in items}
        for i in range(len(ranges)):
            result = results[str(i)]
            if isinstance(result, GatewayError):
                raise result
            for obj in result[0]:
                if str(obj.id) not in seen:
                    seen.add(str(obj.id))
                    items.append(obj)
        items.sort(key=lambda obj: int(obj.created), reverse=True)
        return items, False

    async def round(self, tasks: Mapping[str, Awaitable[T]]) -> dict[str, T | GatewayError]:
        """Run awaitables concurrently as one round; each result is a value or the
        :class:`GatewayError` it raised (other exceptions propagate).

        Nested in another round's branch, the branch's depth grows by this round's depth."""
        names = list(tasks)
        parent = _BRANCH.get()
        depths: list[list[int]] = []

        async def branch(awaitable: Awaitable[T]) -> T:
            counter = [0]
            depths.append(counter)
            _BRANCH.set(counter)
            return await awaitable

        results = await asyncio.gather(
            *(branch(tasks[name]) for name in names), return_exceptions=True
        )
        depth = max((d[0] for d in depths), default=0)
        if parent is None:
            self.rounds += depth
        else:
            parent[0] += depth
        out: dict[str, T | GatewayError] = {}
        for name, result in zip(names, results, strict=True):
            if isinstance(result, GatewayError):
                out[name] = result
            elif isinstance(result, BaseException):
                raise result
            else:
                out[name] = result
        return out
