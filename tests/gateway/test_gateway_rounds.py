"""Request and round counting, 429 backoff: the bookkeeping behind the lookup figures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import stripe

from billing_tui.core.settings import Settings
from billing_tui.gateway.client import Operation
from billing_tui.gateway.errors import NotFound, RateLimited

FAST = Settings(rate_limit_retries=3, rate_limit_backoff=0.001)


class _Page:
    def __init__(self, ids: list[str], has_more: bool) -> None:
        self.data = [stripe.StripeObject.construct_from({"id": i}, "sk_test_x") for i in ids]
        self.has_more = has_more


async def test_concurrent_requests_are_one_round() -> None:
    op = Operation(FAST)

    async def fetch(value: int) -> int:
        await asyncio.sleep(0.01)
        return value

    results = await op.round({str(i): op.call(fetch, i) for i in range(5)})
    assert results == {str(i): i for i in range(5)}
    assert (op.requests, op.rounds) == (5, 1)


async def test_paging_adds_rounds_only_on_the_longest_branch() -> None:
    op = Operation(Settings(page_size=2))
    pages = {None: _Page(["a", "b"], True), "b": _Page(["c", "d"], True), "d": _Page(["e"], False)}
    seen: list[dict[str, Any]] = []

    async def list_fn(params: dict[str, Any]) -> _Page:
        seen.append(params)
        return pages[params.get("starting_after")]

    async def single(params: dict[str, Any]) -> _Page:
        return _Page(["x"], False)

    results = await op.round({"long": op.list_all(list_fn, {}), "short": op.list_all(single, {})})
    long_items, truncated = results["long"]  # type: ignore[misc]
    assert [i.id for i in long_items] == ["a", "b", "c", "d", "e"]
    assert not truncated
    assert all(p["limit"] == 2 for p in seen)
    assert (op.requests, op.rounds) == (4, 3)


async def test_sequential_calls_are_separate_rounds() -> None:
    op = Operation(FAST)

    async def fetch() -> str:
        return "ok"

    await op.call(fetch)
    await op.call(fetch)
    assert (op.requests, op.rounds) == (2, 2)


async def test_429_is_retried_with_backoff_then_succeeds() -> None:
    op = Operation(FAST)
    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise stripe.RateLimitError("Too many requests", http_status=429)
        return "ok"

    assert await op.call(flaky) == "ok"
    assert attempts == 3
    assert op.requests == 3


async def test_429_gives_up_after_the_bound() -> None:
    op = Operation(FAST)
    attempts = 0

    async def always() -> str:
        nonlocal attempts
        attempts += 1
        raise stripe.RateLimitError("Too many requests", http_status=429)

    with pytest.raises(RateLimited):
        await op.call(always)
    assert attempts == FAST.rate_limit_retries + 1


async def test_429_with_should_retry_false_is_not_retried() -> None:
    op = Operation(FAST)
    attempts = 0

    async def refuse() -> str:
        nonlocal attempts
        attempts += 1
        raise stripe.RateLimitError(
            "Too many requests", http_status=429, headers={"Stripe-Should-Retry": "false"}
        )

    with pytest.raises(RateLimited):
        await op.call(refuse)
    assert attempts == 1


async def test_round_returns_domain_errors_per_part() -> None:
    op = Operation(FAST)

    async def missing() -> str:
        raise stripe.InvalidRequestError("No such thing", None, "resource_missing", http_status=404)

    async def fine() -> str:
        return "ok"

    results = await op.round({"a": op.call(missing), "b": op.call(fine)})
    assert isinstance(results["a"], NotFound)
    assert results["b"] == "ok"


def _fake_list(objects: list[dict[str, Any]], calls: list[dict[str, Any]]) -> Any:
    """A list endpoint over ``objects`` (newest first) honouring limit, created and cursors."""

    async def list_fn(params: dict[str, Any]) -> _Page:
        calls.append(params)
        created = params.get("created", {})
        rows = [
            o
            for o in objects
            if o["created"] >= created.get("gte", -(10**12))
            and o["created"] < created.get("lt", 10**12)
        ]
        if "starting_after" in params:
            ids = [o["id"] for o in rows]
            rows = rows[ids.index(params["starting_after"]) + 1 :]
        page = rows[: params["limit"]]
        result = _Page([], len(rows) > len(page))
        result.data = [stripe.StripeObject.construct_from(o, "sk_test_x") for o in page]
        return result

    return list_fn


async def test_long_list_is_sharded_not_paged_one_by_one() -> None:
    # 650 objects, one per day, some sharing a second (ties at shard boundaries).
    objects = [
        {"id": f"in_{i:04d}", "created": 1_700_000_000 - (i // 2) * 86_400} for i in range(650)
    ]
    calls: list[dict[str, Any]] = []
    op = Operation(Settings(page_size=100))
    items, truncated = await op.list_fast(_fake_list(objects, calls), {"customer": "cus_1"})
    assert not truncated
    assert [o.id for o in items] == [o["id"] for o in objects]  # all, once, newest first
    assert op.rounds <= 3  # a cursor walk would take 7
    assert all(c["customer"] == "cus_1" for c in calls)


async def test_short_list_is_one_request() -> None:
    objects = [{"id": f"ch_{i}", "created": 1_700_000_000 - i} for i in range(30)]
    calls: list[dict[str, Any]] = []
    op = Operation(Settings(page_size=100))
    items, _ = await op.list_fast(_fake_list(objects, calls), {})
    assert len(items) == 30
    assert (op.requests, op.rounds) == (1, 1)


async def test_a_list_just_over_a_page_costs_one_more_request_when_its_start_is_known() -> None:
    objects = [{"id": f"in_{i:04d}", "created": 1_700_000_000 - i * 3600} for i in range(130)]
    calls: list[dict[str, Any]] = []
    op = Operation(Settings(page_size=100))
    since = objects[-1]["created"] - 60  # e.g. the customer's creation time
    items, _ = await op.list_fast(_fake_list(objects, calls), {}, since=since)
    assert len(items) == 130
    assert op.requests == 2
