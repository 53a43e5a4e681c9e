"""The handoff: the six fixed sections, the customer follow-up, product gaps, and redaction.

Follow-up wording lives in data files (``billing_tui/core/templates/<locale>.json``, plus any
directory named in ``BILLING_TUI_TEMPLATES``), keyed by bucket and action, so a team adds a
language or changes the tone without code. Nothing here talks to Stripe or to disk except
reading those template files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from billing_tui.core.anomalies import Anomaly
from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.model import (
    Charge,
    Customer,
    CustomerSnapshot,
    Invoice,
    Money,
    Subscription,
)
from billing_tui.core.plans import ActionKind, ActionOutcome
from billing_tui.core.text import brand_label, mask_email, redact

SECTION_TITLES = (
    "CUSTOMER",
    "BILLING STATE",
    "DECISION",
    "ACTION TAKEN",
    "FOLLOW-UP",
    "PRODUCT GAP",
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_ENV = "BILLING_TUI_TEMPLATES"
DEFAULT_LOCALE = "en"


class TemplateError(ValueError):
    """A follow-up template file is missing, unreadable or malformed (names the file)."""


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class ProductGap:
    """A ready backlog item: a title and a Markdown body to paste into an issue tracker."""

    title: str
    body: str
    code: str = ""


@dataclass(frozen=True)
class Handoff:
    sections: tuple[tuple[str, str], ...]
    follow_up: str
    product_gaps: tuple[ProductGap, ...]
    locale: str

    def section(self, title: str) -> str:
        for name, body in self.sections:
            if name == title:
                return body
        raise KeyError(title)

    def text(self) -> str:
        return "\n\n".join(f"{name}\n{body}" for name, body in self.sections) + "\n"


@dataclass(frozen=True)
class TakenAction:
    """One action as the handoff reports it: from an :class:`ActionOutcome` or the case log."""

    kind: ActionKind
    status: str  # succeeded | failed | skipped | planned | in_flight
    title: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    amount: Money | None = None
    stripe_ids: tuple[str, ...] = ()
    impact: str = ""
    url: str | None = None
    message: str = ""
    rationale: str = ""

    @classmethod
    def from_outcome(cls, outcome: ActionOutcome) -> TakenAction:
        plan = outcome.plan
        return cls(
            kind=plan.kind,
            status=outcome.status,
            title=plan.title,
            params=MappingProxyType(dict(plan.params)),
            amount=plan.amount,
            stripe_ids=outcome.stripe_ids,
            impact=plan.impact.describe(),
            url=outcome.url,
            message=outcome.message,
            rationale=plan.rationale,
        )

    @property
    def variant(self) -> str:
        """The template key: the kind, or ``kind:variant`` (a cancel at period end)."""
        if (
            self.kind == ActionKind.CANCEL_SUBSCRIPTION
            and self.params.get("mode") == "at_period_end"
        ):
            return f"{self.kind.value}:at_period_end"
        return self.kind.value


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateSet:
    locale: str
    language: str
    match: tuple[str, ...]
    raw: Mapping[str, Any]
    source: Path

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        return value if isinstance(value, str) else ""

    def sentence(
        self, bucket: str, key: str, situations: Sequence[str] = (), *, fallback: bool = True
    ) -> str | None:
        """The template for ``key`` (``kind`` or ``kind:variant``) in ``bucket``.

        Tried in order: ``key:situation`` for each situation, ``key``, the bare kind; first in
        the bucket's table, then (with ``fallback``) in ``_default``.
        """
        buckets = self.raw.get("buckets", {})
        kind = key.split(":", 1)[0]
        candidates = [f"{key}:{s}" for s in situations] + [key, kind]
        for scope in (bucket, "_default") if fallback else (bucket,):
            table = buckets.get(scope, {})
            for candidate in dict.fromkeys(candidates):
                value = table.get(candidate)
                if isinstance(value, str):
                    return value
        return None

    def closing(self, bucket: str, situations: Sequence[str] = ()) -> str | None:
        return self.sentence(bucket, "closing", situations, fallback=False)

    def date(self, when: datetime | None) -> str:
        if when is None:
            return self.text("missing").format(key="date")
        months = self.raw.get("months") or []
        month_name = months[when.month - 1] if len(months) == 12 else str(when.month)
        return self.text("date_format").format(
            year=when.year, month=when.month, day=when.day, month_name=month_name
        )


_REQUIRED = ("locale", "greeting", "greeting_no_name", "signoff", "date_format", "buckets")


def _load_file(path: Path) -> TemplateSet:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateError(f"follow-up templates {path}: cannot be read ({exc})") from exc
    if not isinstance(raw, dict):
        raise TemplateError(f"follow-up templates {path}: expected a JSON object")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise TemplateError(f"follow-up templates {path}: missing {', '.join(missing)}")
    if not isinstance(raw["buckets"], dict) or "_default" not in raw["buckets"]:
        raise TemplateError(f"follow-up templates {path}: 'buckets' needs a '_default' table")
    locale = str(raw["locale"]).lower()
    match = tuple(str(m).lower() for m in raw.get("match") or [locale])
    return TemplateSet(locale, str(raw.get("language", locale)), match, raw, path)


def template_dirs() -> tuple[Path, ...]:
    extra = os.environ.get(TEMPLATE_ENV, "")
    return (TEMPLATE_DIR, *(Path(p) for p in extra.split(os.pathsep) if p))


@lru_cache(maxsize=8)
def _load_cached(dirs: tuple[Path, ...]) -> Mapping[str, TemplateSet]:
    found: dict[str, TemplateSet] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.json")):
            templates = _load_file(path)
            found[templates.locale] = templates  # later directories override
    if DEFAULT_LOCALE not in found:
        raise TemplateError(f"no {DEFAULT_LOCALE}.json follow-up templates in {dirs[0]}")
    return MappingProxyType(found)


def load_templates(dirs: Sequence[Path] | None = None) -> Mapping[str, TemplateSet]:
    """Every template set found, by locale (``en``, ``zh``, …)."""
    return _load_cached(tuple(dirs) if dirs is not None else template_dirs())


def available_locales(dirs: Sequence[Path] | None = None) -> tuple[str, ...]:
    return tuple(sorted(load_templates(dirs)))


def choose_locale(
    preferred: Iterable[str],
    override: str | None = None,
    *,
    templates: Mapping[str, TemplateSet] | None = None,
) -> str:
    """The operator's override if it exists, else the customer's first supported locale."""
    sets = templates if templates is not None else load_templates()

    def find(tag: str) -> str | None:
        tag = tag.strip().lower().replace("_", "-")
        for templates_ in sets.values():
            if tag == templates_.locale or tag in templates_.match:
                return templates_.locale
        base = tag.split("-", 1)[0]
        for templates_ in sets.values():
            if base == templates_.locale or base in templates_.match:
                return templates_.locale
        return None

    if override:
        chosen = find(override)
        if chosen is None:
            raise TemplateError(
                f"no follow-up templates for {override!r}; available: {', '.join(sorted(sets))}"
            )
        return chosen
    for tag in preferred:
        chosen = find(tag)
        if chosen is not None:
            return chosen
    return DEFAULT_LOCALE


# --------------------------------------------------------------------------- follow-up


class _Fill(dict[str, str]):
    """``format_map`` values; a missing value shows as a visible placeholder to fill in."""

    def __init__(self, values: Mapping[str, str], missing: str) -> None:
        super().__init__(values)
        self._missing = missing

    def __missing__(self, key: str) -> str:
        return self._missing.format(key=key)


def _target_subscription(
    snapshot: CustomerSnapshot, actions: Sequence[TakenAction]
) -> Subscription | None:
    for action in actions:
        sub_id = action.params.get("subscription")
        if sub_id and (sub := snapshot.subscription(sub_id)) is not None:
            return sub
    live = sorted(snapshot.live_subscriptions, key=lambda s: (-s.quantity, s.created, s.id))
    if live:
        return live[0]  # the team subscription (most seats) first, else the oldest
    return snapshot.subscriptions[0] if snapshot.subscriptions else None


def _card_of(snapshot: CustomerSnapshot, charge_id: str | None, ts: TemplateSet) -> str:
    charge: Charge | None = snapshot.charge(charge_id) if charge_id else None
    if charge is not None and charge.card is not None:
        return ts.text("card_phrase").format(
            brand=brand_label(charge.card.brand), last4=charge.card.last4
        )
    return ts.text("card_unknown")


def _latest(invoices: Iterable[Invoice]) -> Invoice | None:
    return max(invoices, key=lambda i: (i.created, i.id), default=None)


def _name(customer: Customer | None, ts: TemplateSet) -> str | None:
    if customer is None or not customer.name:
        return None
    cjk = any(ord(ch) >= 0x2E80 for ch in customer.name)  # family name first: keep it whole
    if ts.raw.get("name_style") == "first" and not cjk:
        return customer.name.split()[0]
    return customer.name


def follow_up_values(
    snapshot: CustomerSnapshot, actions: Sequence[TakenAction], ts: TemplateSet
) -> dict[str, str]:
    """The values a template may use, filled from the case."""
    done = [a for a in actions if a.status == "succeeded"]
    sub = _target_subscription(snapshot, done or actions)
    values: dict[str, str] = {"refund_days": ts.text("refund_days")}
    if sub is not None:
        item = sub.items[0] if sub.items else None
        values["plan"] = item.price.product_name if item else sub.label
        values["product"] = item.price.product_name if item else sub.label
        values["seats"] = str(sub.quantity)
        values["renewal_date"] = ts.date(sub.current_period_end)
        values["renewal_amount"] = sub.period_amount.format()
        values["access_until"] = ts.date(sub.current_period_end)
    refunds = [a for a in done if a.kind == ActionKind.REFUND and a.amount is not None]
    if refunds:
        currency = refunds[0].amount.currency if refunds[0].amount else "usd"
        total = Money.zero(currency)
        for action in refunds:
            if action.amount is not None and action.amount.currency == currency:
                total = total + action.amount
        values["amount"] = total.format()
        values["card"] = _card_of(snapshot, refunds[0].params.get("charge"), ts)
    for action in done:
        if action.kind == ActionKind.PORTAL_SESSION and action.url:
            values["portal_url"] = action.url
        if action.kind == ActionKind.UPDATE_QUANTITY and (qty := action.params.get("quantity")):
            values["seats"] = qty
            if sub is not None and sub.items and sub.items[0].price.unit_amount is not None:
                unit = sub.items[0].price.unit_money
                if unit is not None:
                    values["renewal_amount"] = unit.times(int(qty)).format()
    trial = next(
        (s for s in snapshot.subscriptions if s.trial_end and s.status.value == "trialing"), None
    )
    if trial is not None:
        values["trial_end"] = ts.date(trial.trial_end)
    open_inv = _latest(i for i in snapshot.invoices if i.status == "open")
    prorated = _latest(i for i in snapshot.invoices if i.has_proration)
    retried = next((a for a in done if a.kind == ActionKind.RETRY_INVOICE_PAYMENT), None)
    if retried is not None and retried.amount is not None:
        values["invoice_amount"] = retried.amount.format()
    elif open_inv is not None:
        values["invoice_amount"] = open_inv.amount_remaining.format()
    elif prorated is not None:
        values["invoice_amount"] = prorated.total.format()
    if prorated is not None:
        net = sum(line.amount.amount for line in prorated.lines if line.proration)
        values["proration_amount"] = Money(abs(net), prorated.total.currency).format()
    return values


def situations(snapshot: CustomerSnapshot, bucket: Bucket | None) -> tuple[str, ...]:
    """Facts of the case that change the wording (template keys ``kind:situation``)."""
    found: list[str] = []
    if bucket == Bucket.MISSING_SELF_SERVE and any(i.has_proration for i in snapshot.invoices):
        found.append("proration")
    if bucket == Bucket.FAILED_PAYMENT:
        has_open = any(i.status == "open" for i in snapshot.invoices)
        if not has_open and any(s.status.value == "trialing" for s in snapshot.subscriptions):
            found.append("trial")
    if any(d.is_open and not d.is_charge_refundable for d in snapshot.disputes):
        found.append("dispute")
    return tuple(found)


def follow_up(
    snapshot: CustomerSnapshot,
    bucket: Bucket | None,
    actions: Sequence[TakenAction],
    *,
    locale: str = DEFAULT_LOCALE,
    templates: Mapping[str, TemplateSet] | None = None,
) -> str:
    """A short customer message for what was done, in ``locale``."""
    sets = templates if templates is not None else load_templates()
    ts = sets.get(locale) or sets[DEFAULT_LOCALE]
    scope = bucket.value if bucket is not None else "_none"
    fill = _Fill(follow_up_values(snapshot, actions, ts), ts.text("missing") or "[{key}]")
    here = situations(snapshot, bucket)
    sentences: list[str] = []
    seen: set[str] = set()
    for action in actions:
        if action.status != "succeeded" or action.kind == ActionKind.NO_OP:
            continue
        if action.variant in seen:
            continue
        seen.add(action.variant)
        template = ts.sentence(scope, action.variant, here)
        if template:
            sentences.append(template.format_map(fill))
    for situation in here:
        explain = ts.sentence(scope, f"explain:{situation}", fallback=False)
        if explain:
            sentences.append(explain.format_map(fill))
    if not sentences or (bucket == Bucket.PRODUCT_FAILURE and "refund" not in seen):
        template = ts.sentence(scope, "no_op", here)
        if template:
            sentences.append(template.format_map(fill))
    closing = ts.closing(scope, here)
    if closing:
        sentences.append(closing.format_map(fill))
    customer = snapshot.primary if snapshot.customers else None
    name = _name(customer, ts)
    greeting = ts.text("greeting").format(name=name) if name else ts.text("greeting_no_name")
    body = " ".join(sentences) if ts.locale == "en" else "".join(sentences)
    return f"{greeting}\n\n{body}\n\n{ts.text('signoff')}"


# --------------------------------------------------------------------------- product gaps


def _gap_body(problem: str, evidence: Sequence[str], proposal: str, done: str) -> str:
    lines = ["## Problem", problem, "", "## Evidence"]
    lines += [f"- {item}" for item in evidence] or ["- (none recorded)"]
    lines += ["", "## Proposal", proposal, "", "## Done when", done]
    return "\n".join(lines)


def product_gaps(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    bucket: Bucket | None,
    *,
    case_id: str | None = None,
) -> tuple[ProductGap, ...]:
    """What the product or website should fix, as ready backlog items (no customer PII)."""
    codes = {a.code for a in anomalies}
    ref = f"case {case_id}" if case_id else "a support case"
    gaps: list[ProductGap] = []
    portal = snapshot.portal
    no_portal = "portal_missing" in codes or (snapshot.portal_known and portal is None)
    if no_portal:
        gaps.append(
            ProductGap(
                "Customers have no billing portal",
                _gap_body(
                    "No active Stripe customer-portal configuration applies, so customers cannot "
                    "update a card, download invoices or cancel without writing to support.",
                    [f"{ref}: anomaly `portal_missing`"],
                    "Save a customer-portal configuration (payment method update, invoice "
                    "history, cancel at period end) and link it from the account page.",
                    "A customer can open the portal from the account page and update their card.",
                ),
                "no_billing_portal",
            )
        )
    cancel_blocked = "portal_cancel_disabled" in codes or (
        portal is not None and not portal.cancel_enabled
    )
    if not no_portal and (
        cancel_blocked
        and (bucket == Bucket.MISSING_SELF_SERVE or "portal_cancel_disabled" in codes)
    ):
        gaps.append(
            ProductGap(
                "Customers cannot cancel their subscription themselves",
                _gap_body(
                    "The customer portal has cancellation turned off, so every cancellation is "
                    "a support ticket (and online cancellation is expected by law in places).",
                    [
                        f"{ref}: bucket `{bucket.value if bucket else 'none'}`",
                        f"portal configuration {portal.id if portal else '—'}: "
                        "`features.subscription_cancel.enabled = false`",
                    ],
                    "Enable `subscription_cancel` (mode `at_period_end`) with cancellation "
                    "reasons, or add a cancel button to the account page.",
                    "A customer can cancel at period end without contacting support.",
                ),
                "no_cancellation_flow",
            )
        )
    if bucket == Bucket.DUPLICATE_PERSONAL or codes & {
        "duplicate_subscription",
        "cross_customer_duplicate",
    }:
        dup_codes = codes & {
            "duplicate_subscription",
            "cross_customer_duplicate",
            "duplicate_customer",
        }
        evidence = [f"{ref}: anomalies {', '.join(sorted(dup_codes)) or 'none'}"]
        gaps.append(
            ProductGap(
                "Checkout lets a customer buy the same subscription twice",
                _gap_body(
                    "A second checkout (double click, retry after a spinner, or a second "
                    "customer record for the same email) created a duplicate subscription.",
                    evidence,
                    "Before creating a subscription, look up live subscriptions to the same "
                    "product for the customer and for every customer sharing the normalised "
                    "email; reuse one idempotency key per checkout attempt; enable Checkout's "
                    "'limit customers to one subscription'.",
                    "Double-submitting checkout leaves exactly one subscription and one charge.",
                ),
                "no_duplicate_guard",
            )
        )
    if bucket == Bucket.TEAM_INTENT or (
        bucket == Bucket.MISSING_SELF_SERVE and codes & {"proration_activity", "mixed_interval"}
    ):
        gaps.append(
            ProductGap(
                "The plan and seat billing is not explained where customers pay",
                _gap_body(
                    "The customer did not understand what they were billed for (seats, "
                    "proration on an upgrade, or monthly and annual plans side by side).",
                    [
                        f"{ref}: bucket `{bucket.value if bucket else 'none'}`",
                        *(
                            f"anomaly `{c}`"
                            for c in sorted(
                                codes
                                & {"team_purchase_pattern", "proration_activity", "mixed_interval"}
                            )
                        ),
                    ],
                    "Show seats × unit price, the next invoice and any proration preview on "
                    "the billing page and in the checkout/upgrade confirmation.",
                    "The billing page states the seat count, the unit price and the next "
                    "invoice amount and date.",
                ),
                "no_plan_seat_explanation",
            )
        )
    if bucket == Bucket.PRODUCT_FAILURE:
        gaps.append(
            ProductGap(
                "Customers cannot see their usage or rate limits",
                _gap_body(
                    "The customer paid but the product did not deliver what they expected, and "
                    "they had no way to see usage or limits before asking for a refund.",
                    [f"{ref}: bucket `product_failure`"],
                    "Show current usage, limits and recent errors in the account, and link the "
                    "status page from the billing page.",
                    "A customer can see usage against limits without contacting support.",
                ),
                "no_usage_visibility",
            )
        )
    return tuple(gaps)


# --------------------------------------------------------------------------- sections


def _customer_section(snapshot: CustomerSnapshot, actions: Sequence[TakenAction]) -> str:
    lines: list[str] = []
    for customer in snapshot.customers:
        name = customer.name or "(no name)"
        extra = " · deleted" if customer.deleted else ""
        locales = (
            f" · locale {', '.join(customer.preferred_locales)}"
            if customer.preferred_locales
            else ""
        )
        lines.append(f"{name} / {mask_email(customer.email)} · {customer.id}{extra}{locales}")
    ids: list[str] = []
    for action in actions:
        for key in ("subscription", "charge", "invoice"):
            value = action.params.get(key)
            if value and value not in ids:
                ids.append(value)
    if ids:
        lines.append(f"ids: {', '.join(ids)}")
    return "\n".join(lines) or "(no customer)"


def _sub_line(sub: Subscription) -> str:
    parts = [sub.id, sub.label, sub.status.value]
    if sub.quantity > 1:
        parts.append(f"{sub.quantity} seats")
    end = sub.current_period_end
    if sub.status.value == "canceled":
        parts.append(f"ended {sub.ended_at:%Y-%m-%d}" if sub.ended_at else "ended")
    elif sub.cancel_at_period_end or sub.cancel_at:
        when = sub.cancel_at or end
        parts.append(f"cancels {when:%Y-%m-%d}" if when else "cancels at period end")
    elif end is not None:
        parts.append(f"renews {end:%Y-%m-%d} for {sub.period_amount.format()}")
    return " · ".join(parts)


def _billing_section(snapshot: CustomerSnapshot, anomalies: Sequence[Anomaly]) -> str:
    lines: list[str] = []
    live = snapshot.live_subscriptions
    lines.append(f"{len(live)} live subscription(s):" if live else "no live subscriptions")
    lines += [f"- {_sub_line(s)}" for s in live]
    ended = [s for s in snapshot.subscriptions if not s.is_live]
    if ended:
        lines.append(f"{len(ended)} other subscription(s):")
        lines += [f"- {_sub_line(s)}" for s in ended[:5]]
    open_invoices = [i for i in snapshot.invoices if i.status == "open"]
    for inv in open_invoices:
        retry = (
            f", next attempt {inv.next_payment_attempt:%Y-%m-%d}"
            if inv.next_payment_attempt
            else ""
        )
        lines.append(
            f"open invoice {inv.id}: {inv.amount_remaining.format()} due, "
            f"{inv.attempt_count} attempt(s){retry}"
        )
    latest = _latest(i for i in snapshot.invoices if i.status == "paid")
    if latest is not None:
        lines.append(f"last paid invoice {latest.id}: {latest.amount_paid.format()}")
    if anomalies:
        lines.append("anomalies:")
        lines += [f"- [{a.severity.label}] {a.code}: {a.title}" for a in anomalies]
    else:
        lines.append("anomalies: none")
    return "\n".join(lines)


def decision_text(
    classification: Classification | None, actions: Sequence[TakenAction] = ()
) -> tuple[Bucket | None, str]:
    """The DECISION section: the bucket, the evidence for it, and why each fix was chosen."""
    reasons = [
        f"- why {a.kind.label}: {a.rationale}"
        for a in actions
        if a.status == "succeeded" and a.rationale and a.kind != ActionKind.NO_OP
    ]
    bucket, text = _classification_text(classification)
    return bucket, "\n".join([text, *reasons])


def _classification_text(classification: Classification | None) -> tuple[Bucket | None, str]:
    if classification is None:
        return None, "not classified"
    bucket = classification.final
    lines: list[str] = []
    if bucket is None:
        suggested = classification.suggested.value if classification.suggested else "none"
        lines.append(f"not confirmed (suggested: {suggested})")
        bucket = classification.suggested
    else:
        lines.append(f"{bucket.value} (confirmed)")
        if classification.overridden:
            suggested = classification.suggested.value if classification.suggested else "none"
            lines.append(
                f"override of the suggestion {suggested}: {classification.override_reason}"
            )
    if bucket is not None:
        why = [e.sentence for e in classification.evidence_for(bucket) if e.supports]
        lines += [f"- {sentence}" for sentence in why[:5]]
    if classification.contract is not None:
        state = "confirmed" if classification.contract.confirmed else "NOT confirmed"
        lines.append(f"contract shape {state}: {'; '.join(classification.contract.reasons)}")
    return bucket, "\n".join(lines)


def action_text(actions: Sequence[TakenAction]) -> str:
    if not actions:
        return "no action: documented only"
    lines: list[str] = []
    for action in actions:
        status = action.status.upper() if action.status != "succeeded" else "done"
        ids = f" ({', '.join(action.stripe_ids)})" if action.stripe_ids else ""
        line = f"- {action.kind.label}: {action.title} — {status}{ids}"
        if action.impact and action.impact != "no revenue change":
            line += f"; {action.impact}"
        if action.status == "failed" and action.message:
            line += f"; error: {action.message}"
        lines.append(line)
    return "\n".join(lines)


def render(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    classification: Classification | None,
    actions: Sequence[TakenAction | ActionOutcome] = (),
    *,
    case_id: str | None = None,
    locale: str | None = None,
    follow_up_text: str | None = None,
    templates: Mapping[str, TemplateSet] | None = None,
) -> Handoff:
    """The handoff for a case: six sections, the follow-up, product gaps; redacted.

    ``locale`` is the operator's override; otherwise the customer's ``preferred_locales``
    decide. ``follow_up_text`` is the operator's edited message, used as is (redacted).
    """
    sets = templates if templates is not None else load_templates()
    taken = [a if isinstance(a, TakenAction) else TakenAction.from_outcome(a) for a in actions]
    customer = snapshot.primary if snapshot.customers else None
    chosen = choose_locale(customer.preferred_locales if customer else (), locale, templates=sets)
    bucket, decision = decision_text(classification, taken)
    message = follow_up_text or follow_up(snapshot, bucket, taken, locale=chosen, templates=sets)
    gaps = product_gaps(snapshot, anomalies, bucket, case_id=case_id)
    gap_text = "\n".join(f"- {gap.title}" for gap in gaps) or "none"
    customer_text = _customer_section(snapshot, taken)
    if case_id:
        customer_text = f"case {case_id}\n{customer_text}"
    sections = (
        ("CUSTOMER", customer_text),
        ("BILLING STATE", _billing_section(snapshot, anomalies)),
        ("DECISION", decision),
        ("ACTION TAKEN", action_text(taken)),
        ("FOLLOW-UP", message),
        ("PRODUCT GAP", gap_text),
    )
    return Handoff(
        sections=tuple((name, redact(body)) for name, body in sections),
        follow_up=redact(message),
        product_gaps=tuple(ProductGap(redact(g.title), redact(g.body), g.code) for g in gaps),
        locale=chosen,
    )
