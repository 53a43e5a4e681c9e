"""``billing-tui plans [--json] [--refresh]``: plan mix, intervals, seats, churn, duplicates.

Sweeps every customer and subscription of the account (sharded, rate-limited), caches the result
on disk for ``--max-age`` minutes (its age is printed), and prints the same figures the plans
screen shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import SubParsers, add_connection_options
from billing_tui.desk.account import PlansReport, text_bar

if TYPE_CHECKING:
    from billing_tui.core.model import Money
    from billing_tui.core.progress import SweepProgress
    from billing_tui.desk.session import Session


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "plans",
        help="account-wide plan mix, monthly vs annual, seats, churn and the duplicate audit",
        description=(
            "Sweep every customer and subscription of the account and print the plan mix, "
            "monthly vs annual split and conversions, seat distribution, churn and the "
            "account-wide duplicate audit."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--refresh", action="store_true", help="ignore the cached sweep")
    parser.add_argument(
        "--max-age", type=int, default=30, metavar="MINUTES", help="cache lifetime (default 30)"
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="requests per second (default 25 test, 100 live)"
    )
    add_connection_options(parser)
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    from billing_tui.cli.opening import command_session
    from billing_tui.desk.connection import DEMO_POPULATION, ConnectionFailed
    from billing_tui.gateway import GatewayError
    from billing_tui.store.caselog import CaseLogError

    try:
        session = command_session(args, "plans", default_population=DEMO_POPULATION)
    except (ConnectionFailed, CaseLogError) as exc:
        return _failed(args, str(exc), 2)
    try:
        report = asyncio.run(_run(session, args))
    except GatewayError as exc:
        return _failed(args, f"the account sweep stopped, nothing was cached: {exc}", 2)
    except KeyboardInterrupt:
        return _failed(args, "cancelled; nothing was cached", 130)
    print(json.dumps(report_json(report), indent=2) if args.json else render(report))
    return 0


def _failed(args: argparse.Namespace, message: str, code: int) -> int:
    """One sentence on stderr; with ``--json`` a document on stdout as well."""
    print(f"billing-tui plans: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": message, "exit_code": code}, indent=2))
    return code


async def _run(session: Session, args: argparse.Namespace) -> PlansReport:
    interactive = sys.stderr.isatty() and not args.json

    def progress(part: str, p: SweepProgress) -> None:
        if interactive:
            eta = "" if p.eta_seconds is None else f", ~{p.eta_seconds:.0f}s left"
            print(
                f"\rsweeping {part}: {p.items} loaded, {p.requests} requests, "
                f"{p.shards_done}/{p.shards} shards{eta}   ",
                end="",
                file=sys.stderr,
            )

    try:
        report = await session.plans_report(
            refresh=bool(args.refresh),
            max_age=timedelta(minutes=int(args.max_age)),
            rate=args.rate,
            on_progress=progress,
        )
    finally:
        await session.aclose()
    if interactive:
        print(file=sys.stderr)
    return report


def _money(value: Money | None) -> str:
    return str(value.format()) if value is not None else "—"


def report_json(r: PlansReport) -> dict[str, Any]:
    return {
        "generated_at": r.generated_at.isoformat(),
        "customers": r.customers,
        "subscriptions": r.subscriptions,
        "live_subscriptions": r.live_subscriptions,
        "mrr": {m.currency: m.amount for m in r.mrr},
        "plan_mix": [
            {
                "product": p.product_name,
                "price_id": p.price_id,
                "interval": p.interval,
                "currency": p.currency,
                "subscriptions": p.subscriptions,
                "seats": p.seats,
                "mrr": p.mrr.amount,
                "arr": p.arr.amount,
                "share": round(p.share, 4),
            }
            for p in r.plan_mix
        ],
        "interval_mix": [
            {
                "currency": i.currency,
                "interval": i.interval,
                "subscriptions": i.subscriptions,
                "mrr": i.mrr.amount,
            }
            for i in r.interval_mix
        ],
        "conversions_90d": [
            {
                "customer": c.customer_id,
                "monthly": c.monthly_subscription_id,
                "annual": c.annual_subscription_id,
                "at": c.converted_at.isoformat(),
            }
            for c in r.conversions_90d
        ],
        "seats": {
            "histogram": dict(r.seats.histogram),
            "team_single_seat": list(r.seats.team_single_seat),
            "personal_multi_seat": list(r.seats.personal_multi_seat),
        },
        "churn": {
            f"{c.days}d": {
                "canceled": c.canceled,
                "by_reason": dict(c.by_reason),
                "mrr_lost": {m.currency: m.amount for m in c.mrr_lost},
            }
            for c in (r.churn_30d, r.churn_90d)
        },
        "monthly_churn": dict(r.monthly_churn),
        "duplicates": [
            {
                "code": d.code,
                "customers": list(d.customer_ids),
                "subscriptions": list(d.subscription_ids),
                "detail": d.detail,
                "at_stake_mrr": None if d.at_stake is None else d.at_stake.amount,
                "currency": None if d.at_stake is None else d.at_stake.currency,
            }
            for d in r.duplicates
        ],
        "source": asdict(r.source),
    }


def render(r: PlansReport) -> str:
    lines = [
        f"ACCOUNT  {r.customers} customers · {r.subscriptions} subscriptions "
        f"({r.live_subscriptions} live) · MRR {', '.join(m.format() for m in r.mrr) or '—'}",
    ]
    src = r.source
    if src.from_cache:
        lines.append(f"(cached sweep, {src.cache_age_seconds} s old; --refresh to reload)")
    else:
        lines.append(
            f"(swept with {src.requests} requests in {src.shards} shards, {src.seconds} s)"
        )
    lines += ["", "PLAN MIX"]
    for p in r.plan_mix:
        lines.append(
            f"  {p.product_name[:18]:<18} {p.interval:<15} {p.currency.upper()} "
            f"{p.subscriptions:>6} subs {p.seats:>7} seats  MRR {p.mrr.format():>12}  "
            f"{p.share:>6.1%}"
        )
    lines += ["", "MONTHLY VS ANNUAL"]
    for i in r.interval_mix:
        lines.append(
            f"  {i.currency.upper()} {i.interval:<15} {i.subscriptions:>6} subs  "
            f"MRR {i.mrr.format()}"
        )
    lines.append(f"  monthly→annual conversions in the last 90 days: {len(r.conversions_90d)}")
    lines += ["", "SEATS (team prices)"]
    biggest = max((n for _, n in r.seats.histogram), default=0)
    for label, n in r.seats.histogram:
        lines.append(f"  {label:>6} {n:>6}  {text_bar(n, biggest, 24)}")
    lines.append(
        f"  team subscriptions with 1 seat: {len(r.seats.team_single_seat)} · "
        f"personal prices with quantity > 1: {len(r.seats.personal_multi_seat)}"
    )
    lines += ["", "CHURN"]
    for c in (r.churn_30d, r.churn_90d):
        reasons = ", ".join(f"{k} {v}" for k, v in c.by_reason) or "—"
        lost = ", ".join(m.format() for m in c.mrr_lost) or "—"
        lines.append(f"  last {c.days} days: {c.canceled} canceled ({reasons}); MRR lost {lost}")
    biggest = max((n for _, n in r.monthly_churn), default=0)
    for month, n in r.monthly_churn:
        lines.append(f"  {month} {n:>5}  {text_bar(n, biggest, 24)}")
    lines += ["", f"DUPLICATE AUDIT ({len(r.duplicates)})"]
    for d in r.duplicates[:50]:
        lines.append(
            f"  [{d.code}] {', '.join(d.customer_ids)}: {d.detail}"
            + (f" — at stake {_money(d.at_stake)}/month" if d.at_stake else "")
        )
    if len(r.duplicates) > 50:
        lines.append(f"  … and {len(r.duplicates) - 50} more (--json for all)")
    return "\n".join(lines)
