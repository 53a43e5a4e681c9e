"""``billing-tui inspect IDENTIFIER [--json]``: resolve, snapshot, detect, print.

Exit status: 0 found, 1 not found, 2 usage, authentication or connection error (the message
goes to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import SubParsers, add_connection_options
from billing_tui.core.text import mask_email

if TYPE_CHECKING:
    from billing_tui.core.model import (
        Charge,
        CustomerSnapshot,
        Invoice,
        Money,
        RequestStats,
        Subscription,
    )
    from billing_tui.desk.session import Session
    from billing_tui.gateway import Resolution

EXIT_FOUND = 0
EXIT_NOT_FOUND = 1
EXIT_ERROR = 2


def register(subparsers: SubParsers) -> None:
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
    from billing_tui.cli.opening import command_session
    from billing_tui.desk.connection import ConnectionFailed
    from billing_tui.store.caselog import CaseLogError

    try:
        session = command_session(args, "inspect")
    except (ConnectionFailed, CaseLogError) as exc:
        print(f"billing-tui inspect: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return asyncio.run(_inspect(session, str(args.identifier), as_json=bool(args.json)))


async def _inspect(session: Session, identifier: str, *, as_json: bool) -> int:
    from billing_tui.core.anomalies import detect
    from billing_tui.gateway import GatewayError, NotFound

    try:
        try:
            found = await session.inspect(identifier)
        except NotFound as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_NOT_FOUND
        except GatewayError as exc:
            print(f"billing-tui inspect: {exc}", file=sys.stderr)
            return EXIT_ERROR
    finally:
        await session.aclose()
    now = session.now()
    mode = session.info.mode
    if found.snapshot is None:
        report = build_choice_report(mode, found.resolution, found.stats, now)
        print(
            json.dumps(report, indent=2, ensure_ascii=False) if as_json else render_choice(report)
        )
        return EXIT_FOUND
    anomalies = detect(found.snapshot, now=now)
    report = build_report(mode, found.resolution, found.snapshot, anomalies, found.stats, now)
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_text(report))
    return EXIT_FOUND


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
    mode: str,
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
        "mode": mode,
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
    mode: str, resolution: Resolution, stats: RequestStats, now: datetime
) -> dict[str, Any]:
    """Several unrelated customers matched (a name search): list them, load none."""
    return {
        "query": resolution.query,
        "kind": str(resolution.kind),
        "mode": mode,
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
    lines = [f"{report['query']}  ({report['kind']}, {report['mode']})"]
    for section in (
        _customer_lines,
        _subscription_lines,
        _invoice_lines,
        _payment_lines,
        _anomaly_lines,
        _portal_lines,
    ):
        lines += section(report)
    lines += [f"! could not load {f['part']}: {f['message']}" for f in report["failures"]]
    lines += [f"note: {note}" for note in report["notes"]]
    r = report["requests"]
    lines.append(f"({r['requests']} requests in {r['rounds']} rounds, {r['seconds']:.2f} s)")
    return "\n".join(lines)


def _customer_lines(report: dict[str, Any]) -> list[str]:
    customers = report["customers"]
    lines = ["", f"CUSTOMERS ({len(customers)})"]
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
    return lines


def _subscription_line(s: dict[str, Any]) -> str:
    when = (
        f"renews {s['current_period_end'][:10]}"
        if s["status"] != "canceled" and s["current_period_end"]
        else f"canceled {(s['canceled_at'] or '')[:10]}"
    )
    flag = "  cancels at period end" if s["cancel_at_period_end"] else ""
    return f"  {s['id']}  {s['status']:<10} {s['label']}  qty {s['quantity']}  {when}{flag}"


def _subscription_lines(report: dict[str, Any]) -> list[str]:
    live = [s for s in report["subscriptions"] if s["status"] != "canceled"]
    ended = [s for s in report["subscriptions"] if s["status"] == "canceled"]
    lines: list[str] = []
    for title, subs in (("ACTIVE SUBSCRIPTIONS", live), ("CANCELED SUBSCRIPTIONS", ended)):
        lines += ["", f"{title} ({len(subs)})"]
        lines += [_subscription_line(s) for s in subs]
    return lines


#: Invoices and payments listed before "… N more".
LISTED = 15


def _more(items: Sequence[Any]) -> list[str]:
    return [f"  … {len(items) - LISTED} more"] if len(items) > LISTED else []


def _invoice_lines(report: dict[str, Any]) -> list[str]:
    invoices = report["invoices"]
    lines = ["", f"INVOICES ({len(invoices)})"]
    lines += [
        f"  {i['id']}  {i['status']:<13} {_amount(i['total']):>12}  {i['created'][:10]}"
        f"  {i['billing_reason'] or ''}"
        for i in invoices[:LISTED]
    ]
    return lines + _more(invoices)


def _payment_line(p: dict[str, Any]) -> str:
    refunded = p["amount_refunded"]
    extra = f"  refunded {refunded['display']}" if refunded and refunded["amount"] else ""
    extra += "  DISPUTED" if p["disputed"] else ""
    return (
        f"  {p['id']}  {p['status']:<10} {_amount(p['amount']):>12}  {p['created'][:10]}"
        f"  {p['card'] or ''}{extra}"
    )


def _payment_lines(report: dict[str, Any]) -> list[str]:
    payments = report["payments"]
    lines = ["", f"PAYMENTS ({len(payments)})"]
    lines += [_payment_line(p) for p in payments[:LISTED]]
    return lines + _more(payments)


def _anomaly_lines(report: dict[str, Any]) -> list[str]:
    lines = ["", f"ANOMALIES ({len(report['anomalies'])})"]
    for a in report["anomalies"]:
        refs = ", ".join(a["refs"])
        lines.append(
            f"  [{a['severity']}] {a['code']}: {a['title']}" + (f"  ({refs})" if refs else "")
        )
        if a["detail"]:
            lines.append(f"      {a['detail']}")
    return lines


def _on_off(value: object) -> str:
    return "on" if value else "off"


def _portal_lines(report: dict[str, Any]) -> list[str]:
    portal = report["portal"]
    if not report["portal_known"]:
        return ["", "PORTAL  unknown (could not be read)"]
    if portal is None:
        return ["", "PORTAL  no active configuration applies"]
    return [
        "",
        f"PORTAL  {portal['id']}  cancel {_on_off(portal['cancel_enabled'])}, "
        f"payment update {_on_off(portal['payment_method_update_enabled'])}",
    ]
