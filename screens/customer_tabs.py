"""What the customer screen's tabs and identity line show: rows built from a snapshot.

Pure formatting (no Textual widgets, no I/O): one row builder per tab, the coloured status
words, the identity line and the per-tab load-failure notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text

from billing_tui.core.model import (
    Charge,
    CustomerSnapshot,
    Money,
)
from billing_tui.core.plans.impact import money_text, mrr_by_currency
from billing_tui.core.text import mask_email
from widgets.tables import Row, fmt_date

# ----------------------------------------------------------------------------- tabs


@dataclass(frozen=True)
class Tab:
    id: str
    title: str
    columns: tuple[str, ...]
    #: ``snapshot.failures`` parts shown in this tab.
    parts: tuple[str, ...]


TABS = (
    Tab(
        "subscriptions",
        "Subscriptions",
        ("Subscription", "Status", "Plan", "Qty", "MRR", "Renews/ends", "Created"),
        ("subscriptions", "subscription_items", "prices"),
    ),
    Tab(
        "invoices",
        "Invoices",
        ("Invoice", "Status", "Total", "Paid", "Created", "Tries", "Number", "Subscription"),
        ("invoices", "invoice_payments", "invoice_lines"),
    ),
    Tab(
        "payments",
        "Payments",
        ("Payment", "Status", "Amount", "Refunded", "Created", "Card", "Note"),
        ("charges", "refunds", "disputes", "payment_intents"),
    ),
    Tab(
        "methods",
        "Payment methods",
        ("Payment method", "Brand", "Last 4", "Expires", "Default", "Added"),
        ("payment_methods",),
    ),
)


def subscription_rows(snapshot: CustomerSnapshot) -> list[Row]:
    many = len(snapshot.customers) > 1
    rows: list[Row] = []
    for sub in sorted(snapshot.subscriptions, key=lambda s: (not s.is_live, s.created)):
        ends = sub.cancel_at or sub.ended_at or sub.current_period_end
        renew = fmt_date(ends)
        if sub.cancel_at_period_end or sub.cancel_at:
            renew += " (cancels)"
        plan = sub.label
        if many:
            plan = f"{plan} · {sub.customer_id}"
        rows.append(
            Row(
                sub.id,
                (
                    sub.id,
                    _status(sub.status_label),
                    plan,
                    # one subscription with two items shows both: "1+4", never "5"
                    "+".join(str(i.quantity or 1) for i in sub.items) or "0",
                    sub.mrr.format(),
                    renew,
                    fmt_date(sub.created),
                ),
            )
        )
    return rows


def invoice_rows(snapshot: CustomerSnapshot) -> list[Row]:
    rows: list[Row] = []
    for inv in sorted(snapshot.invoices, key=lambda i: i.created, reverse=True):
        rows.append(
            Row(
                inv.id,
                (
                    inv.id,
                    _status(inv.status),
                    inv.total.format(),
                    inv.amount_paid.format(),
                    fmt_date(inv.created),
                    str(inv.attempt_count),
                    inv.number or "—",
                    inv.subscription_id or "—",
                ),
            )
        )
    return rows


def _charge_note(charge: Charge, snapshot: CustomerSnapshot) -> str:
    if charge.failure_message or charge.failure_code:
        return charge.failure_message or charge.failure_code or ""
    disputes = snapshot.disputes_of(charge.id)
    if disputes:
        return f"disputed ({disputes[0].status})"
    if charge.refunded:
        return "fully refunded"
    return charge.description or ""


def payment_rows(snapshot: CustomerSnapshot) -> list[Row]:
    """Charges newest first, each followed by its refunds and disputes (indented)."""
    rows: list[Row] = []
    for charge in sorted(snapshot.charges, key=lambda c: c.created, reverse=True):
        card = charge.card.label() if charge.card else "—"
        rows.append(
            Row(
                charge.id,
                (
                    charge.id,
                    _status(charge.status),
                    charge.amount.format(),
                    charge.amount_refunded.format() if charge.amount_refunded else "—",
                    fmt_date(charge.created),
                    card,
                    _charge_note(charge, snapshot),
                ),
            )
        )
        for refund in charge.refunds:
            rows.append(
                Row(
                    refund.id,
                    (
                        f" ↳ {refund.id}",
                        _status(refund.status),
                        (-refund.amount).format(),
                        "",
                        fmt_date(refund.created),
                        "",
                        f"refund: {refund.reason}" if refund.reason else "refund",
                    ),
                )
            )
        for dispute in snapshot.disputes_of(charge.id):
            due = f", evidence due {fmt_date(dispute.evidence_due_by)}" if dispute.is_open else ""
            rows.append(
                Row(
                    dispute.id,
                    (
                        f" ↳ {dispute.id}",
                        _status(dispute.status),
                        dispute.amount.format(),
                        "",
                        fmt_date(dispute.created),
                        "",
                        f"dispute: {dispute.reason}{due}",
                    ),
                )
            )
    shown = {row.id for row in rows}
    for dispute in snapshot.disputes:
        if dispute.id not in shown:
            rows.append(
                Row(
                    dispute.id,
                    (
                        dispute.id,
                        _status(dispute.status),
                        dispute.amount.format(),
                        "",
                        fmt_date(dispute.created),
                        "",
                        f"dispute on {dispute.charge_id}: {dispute.reason}",
                    ),
                )
            )
    return rows


def payment_method_rows(snapshot: CustomerSnapshot) -> list[Row]:
    defaults = {c.default_payment_method_id for c in snapshot.customers} | {
        s.default_payment_method_id for s in snapshot.subscriptions
    }
    rows: list[Row] = []
    for pm in sorted(snapshot.payment_methods, key=lambda p: p.created, reverse=True):
        card = pm.card
        rows.append(
            Row(
                pm.id,
                (
                    pm.id,
                    card.brand.title() if card else pm.type,
                    card.last4 if card else "—",
                    card.expiry if card else "—",
                    "yes" if pm.id in defaults else "",
                    fmt_date(pm.created),
                ),
            )
        )
    return rows


def _status(status: str) -> Text:
    style = {
        "active": "green",
        "succeeded": "green",
        "paid": "green",
        "won": "green",
        "past_due": "bold red",
        "unpaid": "bold red",
        "failed": "bold red",
        "open": "yellow",
        "incomplete": "yellow",
        "needs_response": "bold red",
        "lost": "red",
        "canceled": "dim",
        "void": "dim",
    }.get(status, "")
    return Text(status.replace("_", " "), style=style)


ROWS = {
    "subscriptions": subscription_rows,
    "invoices": invoice_rows,
    "payments": payment_rows,
    "methods": payment_method_rows,
}


# ----------------------------------------------------------------------------- summary


def identity_text(snapshot: CustomerSnapshot) -> Text:
    """One line per customer: name, id, masked email, since, live subscriptions, MRR."""
    text = Text()
    for index, customer in enumerate(snapshot.customers):
        if index:
            text.append("\n")
        subs = [s for s in snapshot.live_subscriptions if s.customer_id == customer.id]
        # one figure per currency, never summed (and never one currency dropped)
        mrr = (
            money_text(mrr_by_currency(subs), ", ")
            or Money.zero(customer.currency or "usd").format()
        )
        text.append(customer.name or "(no name)", style="bold")
        text.append(f" · {customer.id} · {mask_email(customer.email)}")
        text.append(f" · {len(subs)} live sub{'s' if len(subs) != 1 else ''}")
        text.append(f" · MRR {mrr}")
        balance = customer.balance_money
        if balance:
            text.append(f" · balance {balance.format()}", style="yellow")
        if customer.delinquent:
            text.append(" · delinquent", style="bold red")
        if customer.deleted:
            text.append(" · deleted", style="bold red")
        text.append(f" · since {fmt_date(customer.created)}", style="dim")
    return text


def failure_text(snapshot: CustomerSnapshot, parts: Iterable[str]) -> str:
    wanted = set(parts)
    lines = [
        f"Could not load {f.part.replace('_', ' ')}"
        + (f" for {f.customer_id}" if f.customer_id else "")
        + f": {f.message}"
        for f in snapshot.failures
        if f.part in wanted
    ]
    return "\n".join(lines)
