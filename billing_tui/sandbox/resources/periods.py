"""Calendar arithmetic for billing periods: months that clamp, intervals, the current period."""

from __future__ import annotations

import datetime as dt

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def add_months(ts: int, months: int, *, anchor_day: int | None = None) -> int:
    """``ts`` moved by whole calendar months, clamping the day (Jan 31 + 1 month = Feb 28/29).

    ``anchor_day`` keeps a billing anchor's day of month across short months.
    """
    moment = utc(ts)
    day = anchor_day or moment.day
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _DAYS_IN_MONTH[month]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    day = min(day, last)
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def add_interval(
    ts: int, interval: str, count: int = 1, n: int = 1, *, anchor_day: int | None = None
) -> int:
    """``ts`` moved by ``n`` billing intervals (``month``/``year`` are calendar-aware)."""
    if interval == "day":
        return ts + 86400 * count * n
    if interval == "week":
        return ts + 7 * 86400 * count * n
    if interval == "month":
        return add_months(ts, count * n, anchor_day=anchor_day)
    if interval == "year":
        return add_months(ts, 12 * count * n, anchor_day=anchor_day)
    raise ValueError(f"unknown interval {interval!r} (day, week, month or year)")


def period_starts(anchor: int, interval: str, count: int, until: int) -> list[int]:
    """Every period start from ``anchor`` up to and including the one containing ``until``."""
    day = utc(anchor).day
    starts = [anchor]
    n = 1
    while True:
        nxt = add_interval(anchor, interval, count, n, anchor_day=day)
        if nxt > until:
            return starts
        starts.append(nxt)
        n += 1


def current_period(
    *,
    anchor: int,
    interval: str,
    interval_count: int,
    at: int,
) -> tuple[int, int]:
    """The billing period (start, end) that contains ``at`` for a cycle anchored at ``anchor``
    (the first period when ``at`` is before the anchor). Jumps straight to the period, so it
    stays cheap for long-lived subscriptions."""
    day = utc(anchor).day
    if interval in {"month", "year"}:
        step = interval_count * (12 if interval == "year" else 1)
        a, t = utc(anchor), utc(max(at, anchor))
        n = max(((t.year - a.year) * 12 + t.month - a.month) // step - 1, 0)
    else:
        length = (7 if interval == "week" else 1) * 86400 * interval_count
        n = max((at - anchor) // length - 1, 0)
    start = add_interval(anchor, interval, interval_count, n, anchor_day=day)
    end = add_interval(anchor, interval, interval_count, n + 1, anchor_day=day)
    while end <= at:
        n += 1
        start, end = end, add_interval(anchor, interval, interval_count, n + 1, anchor_day=day)
    return start, end
