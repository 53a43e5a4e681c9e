"""The account sweep: list every object of a kind with sharded, rate-limited, concurrent paging.

Stripe lists are cursor-paged (``limit`` ≤ 100, ``starting_after``), so one list is strictly
sequential. The sweep splits the ``created`` range into shards that page concurrently, under a
request-rate limit (25 req/s in test mode, 100 in live mode by default), and reports progress.
The transport is a ``fetch_page`` callable supplied by the gateway (``Gateway.page_fetcher``, in
:mod:`billing_tui.gateway.page_fetcher`); nothing here knows Stripe's SDK.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from billing_tui.core.errors import GatewayError
from billing_tui.core.progress import SweepProgress

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_more: bool
    last_id: str | None


#: ``fetch_page(created_gte, created_lt, starting_after) -> Page`` (limit 100 inside).
FetchPage = Callable[[int, int, str | None], Awaitable[Page[T]]]


@dataclass(frozen=True)
class SweepResult(Generic[T]):
    items: tuple[T, ...]
    requests: int
    shards: int
    seconds: float


class RateLimiter:
    """At most ``rate`` request starts per second (a simple spaced token scheme)."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)


def shard_ranges(since: int, until: int, shards: int) -> list[tuple[int, int]]:
    """Split ``[since, until)`` into ``shards`` contiguous, non-overlapping ranges."""
    if until <= since:
        return [(since, since + 1)]
    shards = max(1, min(shards, until - since))
    step = math.ceil((until - since) / shards)
    return [(start, min(start + step, until)) for start in range(since, until, step)]


async def sweep(
    fetch_page: FetchPage[T],
    *,
    since: int,
    until: int,
    shards: int = 16,
    concurrency: int = 8,
    rate: float = 25.0,
    on_progress: Callable[[SweepProgress], None] | None = None,
    created_of: Callable[[T], int] | None = None,
    key_of: Callable[[T], str] | None = None,
    page_size: int = 100,
    overhead: float = 0.1,
    limiter: RateLimiter | None = None,
) -> SweepResult[T]:
    """Page through every object created in ``[since, until)``; cancel by cancelling the task.

    With ``created_of`` and ``key_of`` the sweep first reads one unsharded page (lists are
    newest first): a small account costs one request, and a large one is sharded over the
    remaining, older range. Each shard's last page is usually short, so the shard count is
    held to ``overhead`` (10 %) of the estimated page count (at most ``shards``): a large
    account gets full concurrency, a middling one does not pay 50 % extra requests for it.
    Objects on a shard boundary are deduplicated by key.
    """
    # One limiter for every request of the sweep (pass one in to share it between sweeps
    # that run at the same time: the account's rate limit is one budget).
    limiter = limiter or RateLimiter(rate)
    head: Sequence[T] = ()
    requests = 0
    if created_of is not None and key_of is not None:
        await limiter.acquire()
        first = await fetch_page(since, until, None)
        requests = 1
        head = first.items
        if not first.has_more or not head:
            return SweepResult(tuple(head), 1, 1, 0.0)
        newest, oldest = created_of(head[0]), created_of(head[-1])
        estimate = len(head) * (oldest - since) / max(newest - oldest, 1)
        pages = estimate / page_size
        shards = max(1, min(shards, math.floor(pages * overhead)))
        until = oldest + 1  # the first page's oldest second again: ties are deduplicated
    ranges = shard_ranges(since, until, shards)
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    state = {"requests": requests, "items": len(head), "done": 0}
    results: list[list[T]] = [[] for _ in ranges]

    def report() -> None:
        if on_progress is not None:
            on_progress(
                SweepProgress(
                    shards_done=state["done"],
                    shards=len(ranges),
                    requests=state["requests"],
                    items=state["items"],
                    elapsed=time.monotonic() - started,
                )
            )

    async def run_shard(index: int, lo: int, hi: int) -> None:
        cursor: str | None = None
        async with gate:
            while True:
                await limiter.acquire()
                page = await fetch_page(lo, hi, cursor)
                state["requests"] += 1
                state["items"] += len(page.items)
                results[index].extend(page.items)
                report()
                if not page.has_more or page.last_id is None:
                    break
                cursor = page.last_id
        state["done"] += 1
        report()

    try:
        async with asyncio.TaskGroup() as group:
            for i, (lo, hi) in enumerate(ranges):
                group.create_task(run_shard(i, lo, hi))
    except* GatewayError as failed:
        # shards fail together when Stripe is down: one sentence, not an ExceptionGroup
        raise first_leaf(failed) from None
    items = [*head, *(item for shard in results for item in shard)]
    if key_of is not None:
        seen: set[str] = set()
        unique = []
        for item in items:
            key = key_of(item)
            if key not in seen:
                seen.add(key)
                unique.append(item)
        items = unique
    return SweepResult(tuple(items), state["requests"], len(ranges), time.monotonic() - started)


def first_leaf(group: BaseExceptionGroup[GatewayError]) -> GatewayError:
    """The first Stripe failure in a group of failed shards (groups nest)."""
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    assert isinstance(leaf, GatewayError)
    return leaf
