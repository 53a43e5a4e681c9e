"""Account-wide review: sweep customers and subscriptions, cache them, and report.

The report joins :mod:`billing_tui.core.analysis` (plan mix, intervals, seats, churn, conversions)
with the account-wide duplicate audit, which reuses the per-case anomaly detectors so a
duplicate means the same thing in a ticket and in the audit.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from billing_tui.core import analysis
from billing_tui.core.anomalies import Anomaly, detect
from billing_tui.core.model import (
    Customer,
    CustomerSnapshot,
    Money,
    Price,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing_tui.core.progress import SweepProgress
from billing_tui.core.queries import customers_by_email
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import normalise_email
from billing_tui.gateway.sweep import FetchPage, RateLimiter, SweepResult, sweep
from billing_tui.store.config import cache_dir

#: Codes of the account-wide duplicate audit.
AUDIT_CODES = ("duplicate_subscription", "duplicate_customer", "cross_customer_duplicate")


@dataclass(frozen=True)
class AccountData:
    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...]
    loaded_at: datetime
    requests: int = 0
    shards: int = 0
    seconds: float = 0.0
    from_cache: bool = False
    #: When the cache this came from was written (``None``: swept just now).
    saved_at: datetime | None = None


class SweepSource(Protocol):
    """What the sweep needs from the gateway."""

    def page_fetcher(
        self, resource: Any, params: Mapping[str, Any] | None = None
    ) -> FetchPage[Any]: ...


async def load_account(
    gateway: SweepSource,
    *,
    now: datetime,
    since: datetime | None = None,
    rate: float = 25.0,
    shards: int = 16,
    concurrency: int = 8,
    on_progress: Callable[[str, SweepProgress], None] | None = None,
) -> AccountData:
    """Every customer and every subscription (all statuses) created before ``now``."""
    lo = int((since or datetime(2010, 1, 1, tzinfo=UTC)).timestamp())
    hi = int(now.timestamp()) + 1
    started = time.monotonic()

    def progress(part: str) -> Callable[[SweepProgress], None] | None:
        if on_progress is None:
            return None
        return lambda p: on_progress(part, p)

    # Customers page at the same time as products-then-subscriptions (subscriptions need the
    # product names first), under one shared rate limit.
    limiter = RateLimiter(rate)

    async def products_then_subscriptions() -> tuple[SweepResult[Any], SweepResult[Any]]:
        products = await sweep(
            gateway.page_fetcher("products"),
            since=lo,
            until=hi,
            shards=1,
            concurrency=1,
            rate=rate,
            limiter=limiter,
            on_progress=progress("products"),
        )
        return products, await sharded("subscriptions")

    def sharded(resource: str) -> Awaitable[SweepResult[Any]]:
        """A sweep of ``resource`` in ``shards`` creation-time shards (deduplicated by id)."""
        return sweep(
            gateway.page_fetcher(resource),
            since=lo,
            until=hi,
            shards=shards,
            concurrency=concurrency,
            rate=rate,
            limiter=limiter,
            on_progress=progress(resource),
            created_of=lambda o: int(o.created.timestamp()),
            key_of=lambda o: str(o.id),
        )

    (products, subscriptions), customers = await asyncio.gather(
        products_then_subscriptions(), sharded("customers")
    )
    return AccountData(
        customers=tuple(customers.items),
        subscriptions=tuple(subscriptions.items),
        loaded_at=now,
        requests=products.requests + customers.requests + subscriptions.requests,
        shards=products.shards + customers.shards + subscriptions.shards,
        seconds=time.monotonic() - started,
    )


# --------------------------------------------------------------------------- duplicate audit


@dataclass(frozen=True)
class DuplicateFinding:
    code: str  # one of AUDIT_CODES
    customer_ids: tuple[str, ...]
    subscription_ids: tuple[str, ...]
    title: str
    detail: str
    at_stake: Money | None  # MRR of the extra subscriptions (all but the oldest)


def duplicate_audit(
    data: AccountData, settings: Settings = DEFAULT_SETTINGS
) -> tuple[DuplicateFinding, ...]:
    """Customers with duplicate subscriptions, duplicate customers per email, and both at once.

    Customers are grouped by normalised email (customers without an email stand alone) and each
    group is checked with the same detectors a ticket uses.
    """
    subs_by_customer: dict[str, list[Subscription]] = defaultdict(list)
    for sub in data.subscriptions:
        subs_by_customer[sub.customer_id].append(sub)
    findings: list[DuplicateFinding] = []
    for members in _email_groups(data.customers):
        subs = [s for c in members for s in subs_by_customer.get(c.id, ())]
        if len(members) < 2 and sum(1 for s in subs if s.is_live) < 2:
            continue
        snapshot = CustomerSnapshot(
            customers=tuple(members),
            subscriptions=tuple(subs),
            loaded_at=data.loaded_at,
            portal_known=False,
        )
        for anomaly in detect(snapshot, settings, data.loaded_at):
            if anomaly.code in AUDIT_CODES:
                findings.append(_finding(anomaly, members, {s.id: s for s in subs}))
    findings.sort(key=lambda f: (AUDIT_CODES.index(f.code), f.customer_ids))
    return tuple(findings)


def _email_groups(customers: Sequence[Customer]) -> list[list[Customer]]:
    """The ticket detectors' grouping (normalised email); customers without one stand alone."""
    groups = list(customers_by_email(customers).values())
    groups += [[c] for c in customers if normalise_email(c.email) is None]
    return groups


def _finding(
    anomaly: Anomaly, members: Sequence[Customer], by_id: Mapping[str, Subscription]
) -> DuplicateFinding:
    sub_ids = tuple(r for r in anomaly.refs if r in by_id)
    extra = sorted((by_id[r] for r in sub_ids), key=lambda s: (s.created, s.id))[1:]
    return DuplicateFinding(
        code=anomaly.code,
        customer_ids=tuple(c.id for c in members),
        subscription_ids=sub_ids,
        title=anomaly.title,
        detail=anomaly.detail,
        at_stake=_at_stake(extra),
    )


def _at_stake(extra: Sequence[Subscription]) -> Money | None:
    """MRR of the extra subscriptions, in the first one's currency (None: no extra)."""
    if not extra:
        return None
    at_stake = Money.zero(extra[0].currency)
    for sub in extra:
        if sub.currency == at_stake.currency:
            at_stake = at_stake + sub.mrr
    return at_stake


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ReportSource:
    """Where a plans report's figures came from: a sweep just now, or the cached one."""

    requests: int = 0
    shards: int = 0
    seconds: float = 0.0
    from_cache: bool = False
    #: How old the cached sweep is (set by :func:`account_report`; ``None`` before).
    cache_age_seconds: int | None = None


@dataclass(frozen=True)
class PlansReport:
    generated_at: datetime
    customers: int
    subscriptions: int
    live_subscriptions: int
    mrr: tuple[Money, ...]  # per currency
    plan_mix: tuple[analysis.PlanMixRow, ...]
    interval_mix: tuple[analysis.IntervalMixRow, ...]
    conversions_90d: tuple[analysis.Conversion, ...]
    seats: analysis.SeatDistribution
    churn_30d: analysis.Churn
    churn_90d: analysis.Churn
    monthly_churn: tuple[tuple[str, int], ...]
    duplicates: tuple[DuplicateFinding, ...]
    source: ReportSource = field(default_factory=ReportSource)


def text_bar(value: int, biggest: int, width: int = 20) -> str:
    """A bar of ``█`` proportional to ``value / biggest`` (for terminal charts)."""
    return "█" * (round(value / biggest * width) if biggest else 0)


def build_report(data: AccountData, settings: Settings = DEFAULT_SETTINGS) -> PlansReport:
    now = data.loaded_at
    subs = data.subscriptions
    return PlansReport(
        generated_at=now,
        customers=len(data.customers),
        subscriptions=len(subs),
        live_subscriptions=sum(1 for s in subs if s.is_live),
        mrr=tuple(analysis.mrr_by_currency(subs).values()),
        plan_mix=analysis.plan_mix(subs),
        interval_mix=analysis.interval_mix(subs),
        conversions_90d=analysis.monthly_to_annual(subs, since=now - timedelta(days=90), until=now),
        seats=analysis.seat_distribution(subs),
        churn_30d=analysis.churn(subs, now=now, days=30),
        churn_90d=analysis.churn(subs, now=now, days=90),
        monthly_churn=analysis.monthly_churn(subs, now=now),
        duplicates=duplicate_audit(data, settings),
        source=ReportSource(
            requests=data.requests,
            shards=data.shards,
            seconds=round(data.seconds, 3),
            from_cache=data.from_cache,
        ),
    )


# --------------------------------------------------------------------------- cache


def _dt(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _from_ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def _customer_json(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "email": c.email,
        "name": c.name,
        "created": _dt(c.created),
        "livemode": c.livemode,
        "metadata": dict(c.metadata),
        "currency": c.currency,
        "balance": c.balance,
        "preferred_locales": list(c.preferred_locales),
        "default_payment_method_id": c.default_payment_method_id,
        "delinquent": c.delinquent,
    }


def _customer_from(d: Mapping[str, Any]) -> Customer:
    return Customer(
        id=d["id"],
        email=d["email"],
        name=d["name"],
        created=datetime.fromtimestamp(d["created"], tz=UTC),
        livemode=d["livemode"],
        metadata=MappingProxyType(dict(d["metadata"])),
        currency=d["currency"],
        balance=d["balance"],
        preferred_locales=tuple(d["preferred_locales"]),
        default_payment_method_id=d["default_payment_method_id"],
        delinquent=d["delinquent"],
    )


def _price_json(p: Price) -> dict[str, Any]:
    return {
        "id": p.id,
        "product_id": p.product_id,
        "product_name": p.product_name,
        "currency": p.currency,
        "unit_amount": p.unit_amount,
        "interval": p.interval,
        "interval_count": p.interval_count,
        "nickname": p.nickname,
        "lookup_key": p.lookup_key,
    }


def _sub_json(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.id,
        "customer_id": s.customer_id,
        "status": s.status.value,
        "created": _dt(s.created),
        "currency": s.currency,
        "livemode": s.livemode,
        "cancel_at_period_end": s.cancel_at_period_end,
        "cancel_at": _dt(s.cancel_at),
        "canceled_at": _dt(s.canceled_at),
        "ended_at": _dt(s.ended_at),
        "cancellation_reason": s.cancellation_reason,
        "start_date": _dt(s.start_date),
        "trial_start": _dt(s.trial_start),
        "trial_end": _dt(s.trial_end),
        "default_payment_method_id": s.default_payment_method_id,
        "latest_invoice_id": s.latest_invoice_id,
        "collection_method": s.collection_method,
        "metadata": dict(s.metadata),
        "items": [
            {
                "id": i.id,
                "price": _price_json(i.price),
                "quantity": i.quantity,
                "start": _dt(i.current_period_start),
                "end": _dt(i.current_period_end),
            }
            for i in s.items
        ],
    }


def _sub_from(d: Mapping[str, Any]) -> Subscription:
    items = tuple(
        SubscriptionItem(
            id=i["id"],
            price=Price(**i["price"]),
            quantity=i["quantity"],
            current_period_start=datetime.fromtimestamp(i["start"], tz=UTC),
            current_period_end=datetime.fromtimestamp(i["end"], tz=UTC),
        )
        for i in d["items"]
    )
    return Subscription(
        id=d["id"],
        customer_id=d["customer_id"],
        status=SubscriptionStatus(d["status"]),
        items=items,
        created=datetime.fromtimestamp(d["created"], tz=UTC),
        currency=d["currency"],
        livemode=d["livemode"],
        cancel_at_period_end=d["cancel_at_period_end"],
        cancel_at=_from_ts(d["cancel_at"]),
        canceled_at=_from_ts(d["canceled_at"]),
        ended_at=_from_ts(d["ended_at"]),
        cancellation_reason=d["cancellation_reason"],
        start_date=_from_ts(d["start_date"]),
        trial_start=_from_ts(d["trial_start"]),
        trial_end=_from_ts(d["trial_end"]),
        default_payment_method_id=d["default_payment_method_id"],
        latest_invoice_id=d["latest_invoice_id"],
        collection_method=d["collection_method"],
        metadata=MappingProxyType(dict(d["metadata"])),
    )


CACHE_VERSION = 2


class SweepCache:
    """The last sweep on disk (0600, written atomically), valid for ``max_age``."""

    def __init__(self, path: Path, max_age: timedelta = timedelta(minutes=30)) -> None:
        self.path = path
        self.max_age = max_age

    def age(self, now: datetime) -> timedelta | None:
        data = self._read()
        if data is None:
            return None
        return now - datetime.fromtimestamp(data["saved_at"], tz=UTC)

    def load(self, now: datetime) -> AccountData | None:
        data = self._read()
        if data is None:
            return None
        saved = datetime.fromtimestamp(data["saved_at"], tz=UTC)
        if now - saved > self.max_age or now < saved:
            return None
        return AccountData(
            customers=tuple(_customer_from(c) for c in data["customers"]),
            subscriptions=tuple(_sub_from(s) for s in data["subscriptions"]),
            loaded_at=datetime.fromtimestamp(data["loaded_at"], tz=UTC),
            requests=0,
            shards=0,
            seconds=0.0,
            from_cache=True,
            saved_at=saved,
        )

    def save(self, account: AccountData, now: datetime) -> None:
        payload = {
            "version": CACHE_VERSION,
            "saved_at": int(now.timestamp()),
            "loaded_at": int(account.loaded_at.timestamp()),
            "customers": [_customer_json(c) for c in account.customers],
            "subscriptions": [_sub_json(s) for s in account.subscriptions],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sweep-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, separators=(",", ":"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return None
        return data


# --------------------------------------------------------------------------- the whole thing


class ConnectionFacts(Protocol):
    """What the cache key needs to know about the connection (never the key itself)."""

    @property
    def mode(self) -> str: ...

    @property
    def api_base(self) -> str | None: ...

    @property
    def profile(self) -> str | None: ...


def cache_for(info: ConnectionFacts, max_age: timedelta = timedelta(minutes=30)) -> SweepCache:
    """One cache per mode, profile and API base."""
    import hashlib

    base = hashlib.sha256((info.api_base or "stripe").encode()).hexdigest()[:12]
    name = f"sweep-{info.mode}-{info.profile or 'default'}-{base}.json"
    return SweepCache(cache_dir() / name, max_age)


def default_rate(mode: str) -> float:
    """Stripe's limits: 25 req/s in test mode, 100 in live; the local sandbox is not held back."""
    return 25.0 if mode == "test" else 100.0


async def account_report(
    gateway: SweepSource,
    info: ConnectionFacts,
    now: datetime,
    *,
    refresh: bool = False,
    max_age: timedelta = timedelta(minutes=30),
    rate: float | None = None,
    on_progress: Callable[[str, SweepProgress], None] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> PlansReport:
    """The plans report, from the cached sweep when it is fresh enough, else a new sweep."""
    cache = cache_for(info, max_age)
    # The cache file can hold a whole account: read and write it off the event loop.
    # Its age is known from the read (a sweep just saved is 0 s old): no second read of it.
    account = None if refresh else await asyncio.to_thread(cache.load, now)
    if account is None:
        account = await load_account(
            gateway, now=now, rate=rate or default_rate(info.mode), on_progress=on_progress
        )
        await asyncio.to_thread(cache.save, account, now)
    saved_at = account.saved_at or now
    report = build_report(account, settings)
    age_seconds = int((now - saved_at).total_seconds())
    return replace(report, source=replace(report.source, cache_age_seconds=age_seconds))
