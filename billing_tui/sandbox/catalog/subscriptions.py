"""Subscriptions in a scenario, and the billing history their life would have produced.

A subscription entry names its items and status; the builder completes the subscription and,
unless ``"invoices": "none"``, one invoice per elapsed period (``"first"``: only the first),
each paid by a card, the newest optionally open with declined attempts (``latest_invoice``).
Ids derive from the subscription id's body ``X``: ``in_X001``, ``pi_X001``, ``ch_X001``,
``inpay_X001`` …, items ``si_X1`` ….
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.catalog.fields import FieldError, Fields
from billing_tui.sandbox.state import JSON, SandboxState

_ENDED = frozenset({"canceled", "incomplete_expired"})
_SUB_STATUSES = frozenset(
    {"incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid",
     "paused"}
)  # fmt: skip
#: Statuses whose newest invoice is open with a declined attempt unless the entry says otherwise.
_UNPAID = frozenset({"past_due", "unpaid", "incomplete"})
_LATEST_FIELDS = frozenset({"status", "failed_attempts", "failure_code"})


@dataclass(frozen=True)
class _Period:
    """One generated invoice: when it was created, the period it bills, and why."""

    created: int
    start: int
    end: int
    reason: str  # subscription_create / subscription_cycle / trial


def build_subscription(f: Fields, e: Mapping[str, Any]) -> None:
    state = f.state
    sid = e["id"]
    stem = sid.split("_", 1)[1]
    cust_id = f.ref(e, "customer", "customer")
    cust = state.objects["customer"][cust_id]
    status = f.text(e, "status", "active")
    if status not in _SUB_STATUSES:
        raise FieldError("status", f"{status!r} is not a subscription status")
    pairs, item_ids = _items(f, e.get("items"), stem)
    cd = f.mapping(e, "cancellation_details")
    if set(cd) - {"reason", "feedback", "comment"}:
        raise FieldError("cancellation_details", "only reason, feedback and comment")
    pm_default = f.ref(e, "default_payment_method", "payment_method", required=False)
    created = f.time(e, "created", "-30d")
    trial_end = f.time(e, "trial_end", None)
    trial_start = f.time(e, "trial_start", None)
    if trial_end is not None and trial_end <= (trial_start or created):
        raise FieldError("trial_end", "must be after the trial start (or created)")
    _check_end(f, e, status, created)
    sub = resources.subscription(
        state,
        id=sid,
        customer=cust_id,
        items=pairs,
        item_ids=item_ids,
        created=created,
        status=status,
        default_payment_method=pm_default,
        metadata=f.metadata(e),
        description=f.text(e, "description", None),
        trial_start=trial_start,
        trial_end=trial_end,
        cancel_at_period_end=f.flag(e, "cancel_at_period_end", False),
        cancel_at=f.time(e, "cancel_at", None),
        canceled_at=f.time(e, "canceled_at", None),
        ended_at=f.time(e, "ended_at", None),
        cancellation_reason=cd.get("reason"),
        cancellation_feedback=cd.get("feedback"),
        cancellation_comment=cd.get("comment"),
        collection_method=f.text(e, "collection_method", "charge_automatically"),
    )
    mode = f.text(e, "invoices", "first" if status.startswith("incomplete") else "all")
    if mode not in {"all", "first", "none"}:
        raise FieldError("invoices", "must be 'all', 'first' or 'none'")
    payer = f.ref(e, "payment_method", "payment_method", required=False) or pm_default
    payer = payer or cust["invoice_settings"]["default_payment_method"]
    latest = _latest(e.get("latest_invoice"), status)
    if mode != "none":
        _History(f, sub, stem, payer, latest).generate(first_only=mode == "first")


def _items(f: Fields, raw_items: Any, stem: str) -> tuple[list[tuple[str, int]], list[str]]:
    """``items``: (price, quantity) pairs and the item ids (default ``si_<stem><n>``)."""
    if not isinstance(raw_items, list) or not raw_items:
        raise FieldError("items", "must be a non-empty list of {price, quantity}")
    pairs: list[tuple[str, int]] = []
    item_ids: list[str] = []
    for n, item in enumerate(raw_items, start=1):
        if not isinstance(item, dict) or set(item) - {"price", "quantity", "id"}:
            raise FieldError(f"items[{n - 1}]", "must be {price, quantity, id?}")
        pid = f.ref(item, "price", "price")
        qty = f.integer(item, "quantity", 1)
        if qty < 1:
            raise FieldError(f"items[{n - 1}].quantity", "must be ≥ 1")
        pairs.append((pid, qty))
        item_ids.append(f.text(item, "id", f"si_{stem}{n}"))
    return pairs, item_ids


def _check_end(f: Fields, e: Mapping[str, Any], status: str, created: int) -> None:
    for key in ("canceled_at", "ended_at"):
        value = f.time(e, key, None)
        if value is not None and value < created:
            raise FieldError(key, "is before the subscription was created")
        if key == "ended_at" and value is not None and status not in _ENDED:
            raise FieldError(key, f"only a canceled subscription has ended (status {status!r})")


def _latest(latest: Any, status: str) -> Mapping[str, Any] | None:
    """``latest_invoice``: how the newest generated invoice failed (None: it was paid)."""
    if latest is None and status in _UNPAID:
        latest = {"status": "open", "failed_attempts": 1}
    if latest is not None and (not isinstance(latest, dict) or set(latest) - _LATEST_FIELDS):
        raise FieldError("latest_invoice", "must be {status, failed_attempts, failure_code}")
    return latest


def billing_periods(sub: JSON, now: int) -> list[_Period]:
    """The invoices a subscription's life produced up to ``now`` (or until it ended): a trial's
    $0 invoice, then one per started billing period."""
    items = sub["items"]["data"]
    recs = {(i["price"]["recurring"]["interval"], i["price"]["recurring"]["interval_count"])
            for i in items}  # fmt: skip
    if len(recs) != 1:
        raise FieldError("items", "generated invoices need all items on one interval")
    interval, count = recs.pop()
    periods: list[_Period] = []
    if sub["trial_end"] is not None:
        periods.append(_Period(sub["trial_start"], sub["trial_start"], sub["trial_end"], "trial"))
    if sub["status"] == "trialing":
        return periods
    anchor = sub["billing_cycle_anchor"]
    until = now if sub["ended_at"] is None else min(now, sub["ended_at"] - 1)
    if anchor > until:
        return periods
    day = dt.datetime.fromtimestamp(anchor, dt.UTC).day
    for n, start in enumerate(resources.period_starts(anchor, interval, count, until)):
        end = resources.add_interval(anchor, interval, count, n + 1, anchor_day=day)
        reason = "subscription_cycle" if (n or periods) else "subscription_create"
        periods.append(_Period(start, start, end, reason))
    return periods


def _lines(state: SandboxState, items: list[JSON], period: _Period) -> list[JSON]:
    """One line per subscription item for ``period`` (``$0`` "Trial period for …" in a trial)."""
    lines = []
    trial = period.reason == "trial"
    for item in items:
        pr = item["price"]
        prod = state.get("product", pr["product"])
        pname = prod["name"] if prod else pr["product"]
        qty = item["quantity"]
        if trial:
            desc = f"Trial period for {pname}"
            amount = 0
        else:
            unit = resources.format_amount(pr["unit_amount"], pr["currency"])
            desc = f"{qty} × {pname} (at {unit} / {pr['recurring']['interval']})"
            amount = pr["unit_amount"] * qty
        lines.append(
            {
                "amount": amount,
                "description": desc,
                "period_start": period.start,
                "period_end": period.end,
                "price": pr["id"],
                "quantity": qty,
                "subscription_item": item["id"],
            }
        )
    return lines


class _History:
    """Writes a subscription's generated invoices and their payments into the state."""

    def __init__(
        self,
        f: Fields,
        sub: JSON,
        stem: str,
        payer: str | None,
        latest: Mapping[str, Any] | None,
    ) -> None:
        self.f = f
        self.sub = sub
        self.stem = stem
        self.payer = payer
        self.latest = latest

    def generate(self, *, first_only: bool) -> None:
        periods = billing_periods(self.sub, self.f.now)
        if first_only:
            periods = periods[:1]
        if not periods:
            return
        if self.latest is not None and self.latest.get("status", "open") != "open":
            raise FieldError("latest_invoice.status", "only 'open' (failed) is supported")
        previous_start: int | None = None
        for k, period in enumerate(periods, start=1):
            # Stripe: a renewal invoice's period_start/end is the period that just ended.
            if previous_start:
                bounds = (previous_start, period.start)
            else:
                bounds = (period.created, period.created)
            previous_start = period.start
            fail = k == len(periods) and self.latest is not None and period.reason != "trial"
            self._invoice(k, period, bounds, fail=fail)

    def _invoice(self, k: int, period: _Period, bounds: tuple[int, int], *, fail: bool) -> None:
        state, sub = self.f.state, self.sub
        trial = period.reason == "trial"
        inv = resources.invoice(
            state,
            id=f"in_{self.stem}{k:03d}",
            customer=sub["customer"],
            subscription=sub["id"],
            lines=_lines(state, sub["items"]["data"], period),
            created=period.created,
            status="open" if fail else "paid",
            billing_reason="subscription_create" if trial else period.reason,
            period_start=bounds[0],
            period_end=bounds[1],
        )
        if inv["amount_due"] == 0:
            return
        payer = self.payer
        if payer is None:
            raise FieldError(
                "payment_method",
                "invoices need a card: give payment_method/default_payment_method or a "
                "customer default, or set invoices to 'none'",
            )
        at = period.created + (2 if k == 1 else 3600)
        if fail and self.latest is not None:
            self._decline(inv, k, self.latest, payer, first_attempt=at)
        else:
            resources.pay_invoice(
                state,
                invoice=inv["id"],
                payment_method=payer,
                at=at,
                payment_intent_id=f"pi_{self.stem}{k:03d}",
                charge_id=f"ch_{self.stem}{k:03d}",
                invoice_payment_id=f"inpay_{self.stem}{k:03d}",
            )

    def _decline(
        self, inv: JSON, k: int, latest: Mapping[str, Any], payer: str, *, first_attempt: int
    ) -> None:
        """The newest invoice stays open after ``latest["failed_attempts"]`` declines."""
        attempts = self.f.integer(latest, "failed_attempts", 1)
        if attempts < 1:
            raise FieldError("latest_invoice.failed_attempts", "must be ≥ 1")
        status = self.sub["status"]
        resources.fail_invoice(
            self.f.state,
            invoice=inv["id"],
            payment_method=payer,
            attempts=attempts,
            failure_code=self.f.text(latest, "failure_code", "card_declined"),
            first_attempt=first_attempt,
            retry_every=600 if status.startswith("incomplete") else 3 * 86400,
            payment_intent_id=f"pi_{self.stem}{k:03d}",
            charge_ids=[f"ch_{self.stem}{k:03d}f{n}" for n in range(1, attempts + 1)],
            invoice_payment_id=f"inpay_{self.stem}{k:03d}",
            next_retry=status in {"past_due", "unpaid"},
        )
        inv["auto_advance"] = True
