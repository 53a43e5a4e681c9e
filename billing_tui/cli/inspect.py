"""``billing-tui inspect IDENTIFIER [--json]``: resolve, snapshot, detect, print.

Exit status: 0 found, 1 not found, 2 usage, authentication or connection error (the message
goes to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from billing_tui.cli.options import add_connection_options, announce
from billing_tui.core.model import (
    Charge,
    CustomerSnapshot,
    Invoice,
    Money,
    RequestStats,
    Subscription,
)
from billing_tui.core.text import mask_email
from billing_tui.desk.connection import Connection, ConnectionFailed, ConnectionOptions, connect
from billing_tui.gateway import Gateway, GatewayError, NotFound, Resolution

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_ERROR = 2


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inspect",
        help="look up a customer and print their billing state and anomalies",
        description=(
            "Resolve an identifier (email, cus_/sub_/in_/ch_/pi_/re_/dp_ id, GitHub user or "
            "name), load every customer record behind it in parallel, and print the billing "
            "state and anomalies. Exit status: 0 found, 1 not found, 2 usage/auth/connection "
            "error."
        ),
    )
    parser.add_argument("identifier", help="what the ticket gives: email, Stripe id, GitHub user…")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    add_connection_options(parser)
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    try:
        options = ConnectionOptions.from_args(args)
        connection = connect(options)
        announce(connection.info, "inspect")
    except ConnectionFailed as exc:
        print(f"billing-tui inspect: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return asyncio.run(_inspect(connection, str(args.identifier), as_json=bool(args.json)))


async def _inspect(connection: Connection, identifier: str, *, as_json: bool) -> int:
    gateway = Gateway(connection.client)
    try:
        try:
            found = await gateway.lookup(identifier)
        except NotFound as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
        except GatewayError as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_ERROR
    finally:
        await connection.aclose()
    now = connection.now()
    if found.snapshot is None:
        report = build_choice_report(connection, found.resolution, found.stats, now)
        print(
            json.dumps(report, indent=2, ensure_ascii=False) if as_json else render_choice(report)
        )
        return EXIT_FOUND
    anomalies, detect_note = _detect(found.snapshot, now)
    report = build_report(connection, found.resolution, found.snapshot, anomalies, found.stats, now)
    if detect_note:
        report["notes"].append(detect_note)
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return EXIT_FOUND


def _detect(snapshot: CustomerSnapshot, now: datetime) -> tuple[list[Any], str | None]:
    try:
        module: Any = importlib.import_module("billing_tui.core.anomalies")
    except ImportError:  # pragma: no cover - the module always exists
        return [], "Anomaly detection is not available in this build."
    detect = getattr(module, "detect", None)
    if detect is None:
        return [], "Anomaly detection is not available in this build."
    return list(detect(snapshot, now=now)), None


# --------------------------------------------------------------------------- report


def _money(value: Money | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"amount": value.amount, "currency": value.currency, "display": value.format()}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _subscription(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "customer": sub.customer_id,
        "status": str(sub.status),
        "label": sub.label,
        "created": _iso(sub.created),
        "current_period_end": _iso(sub.current_period_end),
        "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": _iso(sub.canceled_at),
        "quantity": sub.quantity,
        "period_amount": _money(sub.period_amount),
        "mrr": _money(sub.mrr),
        "items": [
            {
                "id": item.id,
                "price": item.price.id,
                "product": item.price.product_id,
                "product_name": item.price.product_name,
                "interval": item.price.interval,
                "interval_count": item.price.interval_count,
                "quantity": item.quantity,
                "unit_amount": _money(item.price.unit_money),
            }
            for item in sub.items
        ],
        "metadata": dict(sub.metadata),
    }


def _invoice(inv: Invoice) -> dict[str, Any]:
    return {
        "id": inv.id,
        "customer": inv.customer_id,
        "number": inv.number,
        "status": inv.status,
        "subscription": inv.subscription_id,
        "billing_reason": inv.billing_reason,
        "total": _money(inv.total),
        "amount_due": _money(inv.amount_due),
        "amount_paid": _money(inv.amount_paid),
        "attempt_count": inv.attempt_count,
        "created": _iso(inv.created),
        "has_proration": inv.has_proration,
        "payments": [
            {
                "id": p.id,
                "status": p.status,
                "amount_paid": _money(p.amount_paid),
                "charge": p.charge_id,
                "payment_intent": p.payment_intent_id,
            }
            for p in inv.payments
        ],
    }


def _charge(ch: Charge) -> dict[str, Any]:
    return {
        "id": ch.id,
        "customer": ch.customer_id,
        "status": ch.status,
        "amount": _money(ch.amount),
        "amount_refunded": _money(ch.amount_refunded),
        "disputed": ch.disputed,
        "created": _iso(ch.created),
        "card": ch.card.label() if ch.card else None,
        "payment_intent": ch.payment_intent_id,
        "refunds": [
            {"id": r.id, "amount": _money(r.amount), "status": r.status, "reason": r.reason}
            for r in ch.refunds
        ],
    }


def build_report(
    connection: Connection,
    resolution: Resolution,
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Any],
    stats: RequestStats,
    now: datetime,
) -> dict[str, Any]:
    """The JSON document ``inspect --json`` prints (emails masked, cards as brand/last4)."""
    matched = {c.customer.id: c.matched_by for c in resolution.candidates}
    portal = snapshot.portal
    return {
        "query": resolution.query,
        "kind": str(resolution.kind),
        "mode": connection.info.mode,
        "now": _iso(now),
        "email_collision": resolution.email_collision,
        "customers": [
            {
                "id": c.id,
                "email": mask_email(c.email),
                "name": c.name,
                "created": _iso(c.created),
                "matched_by": matched.get(c.id),
                "balance": _money(c.balance_money),
                "deleted": c.deleted,
            }
            for c in snapshot.customers
        ],
        "subscriptions": [_subscription(s) for s in snapshot.subscriptions],
        "invoices": [_invoice(i) for i in snapshot.invoices],
        "payments": [_charge(c) for c in snapshot.charges],
        "disputes": [
            {
                "id": d.id,
                "charge": d.charge_id,
                "status": d.status,
                "reason": d.reason,
                "amount": _money(d.amount),
                "evidence_due_by": _iso(d.evidence_due_by),
            }
            for d in snapshot.disputes
        ],
        "payment_methods": [
            {
                "id": p.id,
                "type": p.type,
                "brand": p.card.brand if p.card else None,
                "last4": p.card.last4 if p.card else None,
                "expiry": p.card.expiry if p.card else None,
            }
            for p in snapshot.payment_methods
        ],
        "anomalies": [
            {
                "code": a.code,
                "severity": a.severity.label,
                "title": a.title,
                "detail": a.detail,
                "refs": list(a.refs),
            }
            for a in anomalies
        ],
        "portal": None
        if portal is None
        else {
            "id": portal.id,
            "is_default": portal.is_default,
            "cancel_enabled": portal.cancel_enabled,
            "payment_method_update_enabled": portal.payment_method_update_enabled,
            "invoice_history_enabled": portal.invoice_history_enabled,
            "update_enabled": portal.update_enabled,
        },
        "portal_known": snapshot.portal_known,
        "failures": [
            {"part": f.part, "message": f.message, "customer": f.customer_id}
            for f in snapshot.failures
        ],
        "notes": list(resolution.notes),
        "ambiguous": False,
        "requests": _stats(stats),
    }


def _stats(stats: RequestStats) -> dict[str, Any]:
    return {"requests": stats.requests, "rounds": stats.rounds, "seconds": stats.seconds}


def build_choice_report(
    connection: Connection, resolution: Resolution, stats: RequestStats, now: datetime
) -> dict[str, Any]:
    """Several unrelated customers matched (a name search): list them, load none."""
    return {
        "query": resolution.query,
        "kind": str(resolution.kind),
        "mode": connection.info.mode,
        "now": _iso(now),
        "ambiguous": True,
        "email_collision": resolution.email_collision,
        "customers": [
            {
                "id": c.customer.id,
                "email": mask_email(c.customer.email),
                "name": c.customer.name,
                "created": _iso(c.customer.created),
                "matched_by": c.matched_by,
            }
            for c in resolution.candidates
        ],
        "subscriptions": [],
        "invoices": [],
        "anomalies": [],
        "portal": None,
        "failures": [],
        "notes": [*resolution.notes, "Several customers match: inspect one of them by id."],
        "requests": _stats(stats),
    }


def render_choice(report: dict[str, Any]) -> str:
    lines = [f"{report['query']}  ({report['kind']}): {len(report['customers'])} customers match"]
    for c in report["customers"]:
        lines.append(f"  {c['id']}  {c['email']}  {c['name'] or '—'}  ({c['matched_by']})")
    lines.extend(f"note: {note}" for note in report["notes"])
    return "\n".join(lines)


def _amount(value: dict[str, Any] | None) -> str:
    return str(value["display"]) if value else "—"


def render_text(report: dict[str, Any]) -> str:
    """The readable identity summary."""
    lines: list[str] = []
    customers = report["customers"]
    lines.append(f"{report['query']}  ({report['kind']}, {report['mode']})")
    lines.append("")
    lines.append(f"CUSTOMERS ({len(customers)})")
    for c in customers:
        extra = "  [deleted]" if c["deleted"] else ""
        balance = c["balance"]
        if balance and balance["amount"]:
            extra += f"  balance {balance['display']}"
        lines.append(
            f"  {c['id']}  {c['email']}  {c['name'] or '—'}  created {c['created'][:10]}"
            f"  ({c['matched_by']}){extra}"
        )
    if report["email_collision"]:
        lines.append("  ! several customers share this email")
    live = [s for s in report["subscriptions"] if s["status"] != "canceled"]
    ended = [s for s in report["subscriptions"] if s["status"] == "canceled"]
    for title, subs in (("ACTIVE SUBSCRIPTIONS", live), ("CANCELED SUBSCRIPTIONS", ended)):
        lines.append("")
        lines.append(f"{title} ({len(subs)})")
        for s in subs:
            when = (
                f"renews {s['current_period_end'][:10]}"
                if s["status"] != "canceled" and s["current_period_end"]
                else f"canceled {(s['canceled_at'] or '')[:10]}"
            )
            flag = "  cancels at period end" if s["cancel_at_period_end"] else ""
            lines.append(
                f"  {s['id']}  {s['status']:<10} {s['label']}  qty {s['quantity']}  {when}{flag}"
            )
    lines.append("")
    lines.append(f"INVOICES ({len(report['invoices'])})")
    for i in report["invoices"][:15]:
        lines.append(
            f"  {i['id']}  {i['status']:<13} {_amount(i['total']):>12}  {i['created'][:10]}"
            f"  {i['billing_reason'] or ''}"
        )
    if len(report["invoices"]) > 15:
        lines.append(f"  … {len(report['invoices']) - 15} more")
    lines.append("")
    lines.append(f"PAYMENTS ({len(report['payments'])})")
    for p in report["payments"][:15]:
        refunded = p["amount_refunded"]
        extra = f"  refunded {refunded['display']}" if refunded and refunded["amount"] else ""
        extra += "  DISPUTED" if p["disputed"] else ""
        lines.append(
            f"  {p['id']}  {p['status']:<10} {_amount(p['amount']):>12}  {p['created'][:10]}"
            f"  {p['card'] or ''}{extra}"
        )
    if len(report["payments"]) > 15:
        lines.append(f"  … {len(report['payments']) - 15} more")
    lines.append("")
    lines.append(f"ANOMALIES ({len(report['anomalies'])})")
    for a in report["anomalies"]:
        refs = ", ".join(a["refs"])
        lines.append(
            f"  [{a['severity']}] {a['code']}: {a['title']}" + (f"  ({refs})" if refs else "")
        )
        if a["detail"]:
            lines.append(f"      {a['detail']}")
    portal = report["portal"]
    lines.append("")
    if not report["portal_known"]:
        lines.append("PORTAL  unknown (could not be read)")
    elif portal is None:
        lines.append("PORTAL  no active configuration applies")
    else:
        lines.append(
            f"PORTAL  {portal['id']}  cancel {'on' if portal['cancel_enabled'] else 'off'}, "
            f"payment update {'on' if portal['payment_method_update_enabled'] else 'off'}"
        )
    for f in report["failures"]:
        lines.append(f"! could not load {f['part']}: {f['message']}")
    for note in report["notes"]:
        lines.append(f"note: {note}")
    r = report["requests"]
    lines.append(f"({r['requests']} requests in {r['rounds']} rounds, {r['seconds']:.2f} s)")
    return "\n".join(lines)
