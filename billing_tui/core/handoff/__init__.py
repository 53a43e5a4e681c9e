"""The handoff: the six fixed sections, the customer follow-up, product gaps, and redaction.

The one place a handoff is put together (:func:`assemble`), from a live view of the customers
(:func:`render`) or from what the case log kept (:func:`render_recorded`); :class:`Section`
spells the six titles. Follow-up wording lives in data files (see
:mod:`billing_tui.core.handoff.templates`); nothing here talks to Stripe or to disk except
reading those template files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from billing_tui.core.anomalies import Anomaly
from billing_tui.core.classify import Classification
from billing_tui.core.handoff.check import check_follow_up, check_handoff
from billing_tui.core.handoff.document import (
    SECTION_TITLES,
    Handoff,
    ProductGap,
    Section,
    TakenAction,
)
from billing_tui.core.handoff.facts import CaseTruth, case_truth
from billing_tui.core.handoff.follow_up import follow_up, follow_up_values, latest, situations
from billing_tui.core.handoff.gaps import product_gaps
from billing_tui.core.handoff.templates import (
    DEFAULT_LOCALE,
    TEMPLATE_DIR,
    TEMPLATE_ENV,
    TemplateError,
    TemplateSet,
    available_locales,
    choose_locale,
    load_templates,
    template_dirs,
)
from billing_tui.core.model import CustomerSnapshot, Subscription
from billing_tui.core.plans import ActionKind, ActionOutcome
from billing_tui.core.plans.impact import arr_of, money_text, mrr_by_currency
from billing_tui.core.plans.ledger import NO_REFUND
from billing_tui.core.queries import seats_text
from billing_tui.core.text import date_label, mask_email, redact

__all__ = [
    "DEFAULT_LOCALE",
    "SECTION_TITLES",
    "TEMPLATE_DIR",
    "TEMPLATE_ENV",
    "CaseFacts",
    "CaseTruth",
    "Handoff",
    "ProductGap",
    "Section",
    "TakenAction",
    "TemplateError",
    "TemplateSet",
    "action_text",
    "assemble",
    "available_locales",
    "case_truth",
    "check_follow_up",
    "check_handoff",
    "choose_locale",
    "decision_text",
    "follow_up",
    "follow_up_values",
    "load_templates",
    "product_gaps",
    "render",
    "render_recorded",
    "situations",
    "template_dirs",
]


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
    parts = [sub.id, sub.label, sub.status_label]
    if len(sub.items) > 1 or sub.quantity > 1:
        parts.append(seats_text(sub))
    end = sub.current_period_end
    if sub.status.value == "canceled":
        parts.append(f"ended {date_label(sub.ended_at)}" if sub.ended_at else "ended")
    elif sub.cancel_at_period_end or sub.cancel_at:
        when = sub.cancel_at or end
        parts.append(f"cancels {date_label(when)}" if when else "cancels at period end")
    elif end is not None:
        parts.append(f"renews {date_label(end)} for {sub.period_amount.format()}")
    return " · ".join(parts)


def _billing_section(snapshot: CustomerSnapshot, anomalies: Sequence[Anomaly]) -> str:
    lines: list[str] = []
    live = snapshot.live_subscriptions
    if live:
        count = f"{len(live)} live subscription{'s' if len(live) != 1 else ''}"
        mrr = mrr_by_currency(live)
        arr = ", ".join(arr_of(m).format() for m in mrr)
        lines.append(f"{count} · MRR {money_text(mrr, ', ')} · ARR {arr}:")
    else:
        lines.append("no live subscriptions")
    lines += [f"- {_sub_line(s)}" for s in live]
    ended = [s for s in snapshot.subscriptions if not s.is_live]
    if ended:
        lines.append(f"{len(ended)} other subscription{'s' if len(ended) != 1 else ''}:")
        lines += [f"- {_sub_line(s)}" for s in ended[:5]]
    open_invoices = [i for i in snapshot.invoices if i.status == "open"]
    for inv in open_invoices:
        retry = (
            f", next attempt {date_label(inv.next_payment_attempt)}"
            if inv.next_payment_attempt
            else ""
        )
        lines.append(
            f"open invoice {inv.id}: {inv.amount_remaining.format()} due, "
            f"{inv.attempt_count} attempt(s){retry}"
        )
    paid = latest(i for i in snapshot.invoices if i.status == "paid")
    if paid is not None:
        lines.append(f"last paid invoice {paid.id}: {paid.amount_paid.format()}")
    if anomalies:
        lines.append("anomalies:")
        lines += [f"- [{a.severity.label}] {a.code}: {a.title}" for a in anomalies]
    else:
        lines.append("anomalies: none")
    return "\n".join(lines)


def decision_text(
    classification: Classification | None, actions: Sequence[TakenAction] = ()
) -> str:
    """The DECISION section: the bucket, the evidence for it, and why each fix was chosen."""
    reasons = [
        f"- why {a.kind.label}: {a.rationale}"
        for a in actions
        if a.status == "succeeded" and a.rationale and a.kind != ActionKind.NO_OP
    ]
    declined = [
        f"- not refunding {a.params.get('charge', '')}: {a.params.get('reason', '')}"
        for a in actions
        if a.status == "succeeded"
        and a.kind == ActionKind.NO_OP
        and a.params.get("decision") == NO_REFUND
    ]
    return "\n".join([_classification_text(classification), *reasons, *declined])


def _classification_text(classification: Classification | None) -> str:
    if classification is None:
        return "not classified"
    lines: list[str] = []
    final = classification.final
    if final is None:
        suggested = classification.suggested.value if classification.suggested else "none"
        lines.append(f"not confirmed (suggested: {suggested})")
    else:
        lines.append(f"{final.value} (confirmed)")
        if classification.overridden:
            suggested = classification.suggested.value if classification.suggested else "none"
            lines.append(
                f"override of the suggestion {suggested}: {classification.override_reason}"
            )
    if (bucket := classification.working) is not None:
        why = [e.sentence for e in classification.evidence_for(bucket) if e.supports]
        lines += [f"- {sentence}" for sentence in why[:5]]
    for other in classification.secondary:
        lines.append(f"also: {other.value} (a second problem, with its own plans)")
        why = [e.sentence for e in classification.evidence_for(other) if e.supports]
        lines += [f"- {sentence}" for sentence in why[:3]]
    if classification.contract is not None:
        state = "confirmed" if classification.contract.confirmed else "NOT confirmed"
        lines.append(f"contract shape {state}: {'; '.join(classification.contract.reasons)}")
    return "\n".join(lines)


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


@dataclass(frozen=True)
class CaseFacts:
    """What a handoff is written from, whichever way it was gathered (a live view of the
    customers, or a case-log record): the CUSTOMER and BILLING STATE bodies already worded,
    the rest as values."""

    customer: str
    billing: str
    classification: Classification | None
    actions: tuple[TakenAction, ...]
    #: The customer message; empty when none was saved (a record without a follow-up).
    follow_up: str
    product_gaps: tuple[ProductGap, ...]
    case_id: str | None = None
    locale: str = ""
    #: Why the case was resolved with something still open (empty: it was not).
    resolve_reason: str = ""
    #: What the case still owes, one sentence each (``CaseTruth.owed``; empty: nothing, or
    #: not known — a handoff from the case log alone).
    owed: tuple[str, ...] = ()


def _owed_text(owed: Sequence[str]) -> str:
    """ACTION TAKEN's tail: what the case still owes (a refund, a failed action)."""
    if not owed:
        return ""
    return "\nstill owed by this case:" + "".join(f"\n- {line}" for line in owed)


def assemble(facts: CaseFacts) -> Handoff:
    """The six sections from ``facts``, redacted: the only place a handoff is put together."""
    customer = f"case {facts.case_id}\n{facts.customer}" if facts.case_id else facts.customer
    bodies = {
        Section.CUSTOMER: customer,
        Section.BILLING_STATE: facts.billing,
        Section.DECISION: decision_text(facts.classification, facts.actions)
        + (
            f"\nresolved with findings still open; the operator's reason: {facts.resolve_reason}"
            if facts.resolve_reason
            else ""
        ),
        Section.ACTION_TAKEN: action_text(facts.actions) + _owed_text(facts.owed),
        Section.FOLLOW_UP: facts.follow_up or "(no follow-up saved)",
        Section.PRODUCT_GAP: "\n".join(f"- {gap.title}" for gap in facts.product_gaps) or "none",
    }
    return Handoff(
        sections=tuple((section, redact(bodies[section])) for section in Section),
        follow_up=redact(facts.follow_up),
        product_gaps=tuple(
            ProductGap(redact(g.title), redact(g.body), g.code) for g in facts.product_gaps
        ),
        locale=facts.locale,
    )


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
    resolve_reason: str = "",
) -> Handoff:
    """The handoff for a case from a live view of its customers: six sections, the follow-up,
    product gaps; redacted.

    ``locale`` is the operator's override; otherwise the customer's ``preferred_locales``
    decide. ``follow_up_text`` is the operator's edited message, used as is (redacted).
    """
    sets = templates if templates is not None else load_templates()
    taken = tuple(a if isinstance(a, TakenAction) else TakenAction.from_outcome(a) for a in actions)
    customer = snapshot.primary if snapshot.customers else None
    chosen = choose_locale(customer.preferred_locales if customer else (), locale, templates=sets)
    bucket = classification.working if classification is not None else None
    truth = case_truth(snapshot, taken, classification)
    message = follow_up_text or follow_up(
        snapshot, bucket, taken, locale=chosen, templates=sets, truth=truth
    )
    gaps: dict[str, ProductGap] = {}
    for each in (bucket, *truth.secondary):
        for gap in product_gaps(snapshot, anomalies, each, case_id=case_id):
            gaps.setdefault(gap.title, gap)
    facts = CaseFacts(
        customer=_customer_section(snapshot, taken),
        billing=_billing_section(snapshot, anomalies),
        classification=classification,
        actions=taken,
        follow_up=message,
        product_gaps=tuple(gaps.values()),
        case_id=case_id,
        locale=chosen,
        resolve_reason=resolve_reason,
        owed=truth.owed,
    )
    return assemble(facts)


def render_recorded(
    *,
    case_id: str,
    masked_email: str,
    customer_ids: Sequence[str],
    anomaly_codes: Sequence[str],
    livemode: bool,
    classification: Classification | None,
    actions: Sequence[TakenAction],
    follow_up: str,
    gap_titles: Sequence[str],
) -> Handoff:
    """The handoff from what the case log kept (no Stripe): for ``cases handoff`` and audits.

    BILLING STATE is what was recorded when the case was worked (anomaly codes), not a fresh
    read; the follow-up and product gaps are the ones saved with the case.
    """
    billing = "recorded anomalies: " + (", ".join(anomaly_codes) or "none")
    if livemode:
        billing += "\nLIVE mode"
    facts = CaseFacts(
        customer=f"{masked_email} · {', '.join(customer_ids)}",
        billing=billing,
        classification=classification,
        actions=tuple(actions),
        follow_up=follow_up,
        product_gaps=tuple(ProductGap(title, "") for title in gap_titles),
        case_id=case_id,
    )
    return assemble(facts)
