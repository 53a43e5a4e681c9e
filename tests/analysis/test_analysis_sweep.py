"""The sharded sweep finds every object exactly once with few requests, and can be cancelled."""

from __future__ import annotations

import asyncio
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_tui.core.progress import SweepProgress
from billing_tui.gateway.sweep import Page, shard_ranges, sweep


def make_fetch(created: list[int], calls: list[tuple[int, int, str | None]], page: int = 100):
    """A cursor-paged list over objects ``obj_<i>`` created at ``created[i]`` (newest first)."""
    objects = sorted(((t, f"obj_{i:05d}") for i, t in enumerate(created)), reverse=True)

    async def fetch(lo: int, hi: int, after: str | None) -> Page[str]:
        calls.append((lo, hi, after))
        await asyncio.sleep(0)
        rows = [oid for t, oid in objects if lo <= t < hi]
        start = rows.index(after) + 1 if after else 0
        chunk = rows[start : start + page]
        has_more = start + page < len(rows)
        return Page(chunk, has_more, chunk[-1] if chunk else None)

    return fetch


@given(
    st.lists(st.integers(0, 10_000), max_size=700),
    st.integers(1, 20),
)
@settings(max_examples=40, deadline=None)
def test_every_object_once_whatever_the_sharding(created: list[int], shards: int) -> None:
    calls: list[tuple[int, int, str | None]] = []
    result = asyncio.run(
        sweep(make_fetch(created, calls, page=50), since=0, until=10_001, shards=shards, rate=1e6)
    )
    assert sorted(result.items) == sorted(f"obj_{i:05d}" for i in range(len(created)))
    assert result.requests == len(calls)
    assert result.requests <= math.ceil(len(created) / 50) + result.shards


def test_shards_are_contiguous_and_cover_the_range() -> None:
    ranges = shard_ranges(100, 1_000, 7)
    assert ranges[0][0] == 100
    assert ranges[-1][1] == 1_000
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_progress_reaches_all_shards() -> None:
    seen: list[SweepProgress] = []
    calls: list[tuple[int, int, str | None]] = []
    asyncio.run(
        sweep(
            make_fetch(list(range(1000)), calls),
            since=0,
            until=1000,
            shards=4,
            rate=1e6,
            on_progress=seen.append,
        )
    )
    assert seen[-1].shards_done == 4
    assert seen[-1].items == 1000
    assert seen[-1].eta_seconds == 0.0


def test_the_rate_limit_spaces_requests() -> None:
    calls: list[tuple[int, int, str | None]] = []
    loop_time: list[float] = []

    async def run() -> None:
        fetch = make_fetch(list(range(10)), calls, page=1)

        async def timed(lo: int, hi: int, after: str | None) -> Page[str]:
            loop_time.append(asyncio.get_running_loop().time())
            return await fetch(lo, hi, after)

        await sweep(timed, since=0, until=10, shards=5, rate=100.0)

    asyncio.run(run())
    span = max(loop_time) - min(loop_time)
    assert len(loop_time) >= 10
    assert span >= (len(loop_time) - 1) / 100.0 * 0.9


def test_cancelling_stops_the_sweep() -> None:
    async def slow(lo: int, hi: int, after: str | None) -> Page[str]:
        await asyncio.sleep(10)
        return Page([], False, None)

    async def run() -> None:
        task = asyncio.create_task(sweep(slow, since=0, until=100, rate=1e6))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(run(), timeout=5))


def make_timed_fetch(created: list[int], calls: list[str | None], page: int = 100):
    """Like make_fetch, but items carry their created time: ``(created, id)``."""
    objects = sorted(((t, f"obj_{i:05d}") for i, t in enumerate(created)), reverse=True)

    async def fetch(lo: int, hi: int, after: str | None) -> Page[tuple[int, str]]:
        calls.append(after)
        rows = [(t, oid) for t, oid in objects if lo <= t < hi]
        ids = [oid for _, oid in rows]
        start = ids.index(after) + 1 if after else 0
        chunk = rows[start : start + page]
        return Page(chunk, start + page < len(rows), chunk[-1][1] if chunk else None)

    return fetch


@given(st.lists(st.integers(0, 5_000), max_size=900))
@settings(max_examples=40, deadline=None)
def test_adaptive_sweep_reads_small_lists_in_one_request_and_shards_big_ones(
    created: list[int],
) -> None:
    calls: list[str | None] = []
    result = asyncio.run(
        sweep(
            make_timed_fetch(created, calls),
            since=0,
            until=5_001,
            rate=1e6,
            created_of=lambda item: item[0],
            key_of=lambda item: item[1],
        )
    )
    assert sorted(oid for _, oid in result.items) == sorted(
        f"obj_{i:05d}" for i in range(len(created))
    )
    if len(created) <= 100:
        assert result.requests == 1
    else:
        pages = math.ceil(len(created) / 100)
        assert result.requests <= pages + result.shards + 1
        assert result.shards <= max(1, pages // 10)
