"""The customer follow-up: template values filled from the case, and the message itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from billing_tui.core.classify import Bucket
from billing_tui.core.handoff.document import TakenAction
from billing_tui.core.handoff.facts import CaseTruth, case_truth
from billing_tui.core.handoff.templates import DEFAULT_LOCALE, TemplateSet, load_templates
from billing_tui.core.model import (
    Charge,
    Customer,
    CustomerSnapshot,
    Invoice,
    Money,
    Subscription,
)
from billing_tui.core.plans import ActionKind
from billing_tui.core.plans.impact import money_text, with_quantity
from billing_tui.core.text import brand_label


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


def latest(invoices: Iterable[Invoice]) -> Invoice | None:
    return max(invoices, key=lambda i: (i.created, i.id), default=None)


#: Metadata fields that name the customer's company.
_COMPANY_FIELDS = ("company", "company_name", "business_name", "organization", "organisation")
#: Legal forms that end a company's name ("Acme Inc", "Vogt GmbH").
_LEGAL_FORMS = frozenset(
    {
        "inc", "inc.", "llc", "ltd", "ltd.", "limited", "gmbh", "ag", "corp", "corp.",
        "corporation", "co", "co.", "company", "plc", "bv", "b.v.", "nv", "sa", "s.a.",
        "sarl", "srl", "s.r.l.", "pty", "oy", "ab", "kk", "llp", "lp",
    }
)  # fmt: skip
#: Email local parts that are a role, not a person ("it.quillfeather@", "finance@").
_ROLE_MAILBOXES = frozenset(
    {
        "admin", "accounts", "accounting", "billing", "contact", "finance", "hello", "info",
        "it", "office", "ops", "payments", "procurement", "purchasing", "support", "team",
    }
)  # fmt: skip


def is_business(customer: Customer) -> bool:
    """Whether the customer record is a business, not a person — so the follow-up never greets
    a company by its first word ("Hi Quillfeather," for "Quillfeather Studio"). From evidence in
    the record only:

    - a company field of the metadata (``company``, ``business_name``, …) is the name;
    - the name ends in a legal form (``Inc``, ``GmbH``, ``Ltd``, ``S.A.`` …);
    - the email is a role mailbox (``it.``, ``finance.``, ``admin@`` …) and the rest of its
      local part is a word of the name (``it.quillfeather`` for "Quillfeather Studio").
    """
    name = (customer.name or "").strip()
    if not name:
        return False
    words = name.casefold().split()
    companies = {(customer.metadata.get(f) or "").strip().casefold() for f in _COMPANY_FIELDS}
    if name.casefold() in companies or words[-1] in _LEGAL_FORMS:
        return True
    local = (customer.email or "").split("@", 1)[0].casefold()
    parts = [p for p in local.replace("_", ".").replace("-", ".").split(".") if p]
    if not parts or parts[0] not in _ROLE_MAILBOXES:
        return False
    return any(p in words for p in parts[1:])


def _name(customer: Customer | None, ts: TemplateSet) -> str | None:
    """Whom the greeting names: the first name (``name_style: first``) of a person; the full
    name of a business (:func:`is_business`) or of a family-name-first (CJK) name."""
    if customer is None or not customer.name:
        return None
    cjk = any(ord(ch) >= 0x2E80 for ch in customer.name)  # family name first: keep it whole
    if ts.raw.get("name_style") == "first" and not cjk and not is_business(customer):
        return customer.name.split()[0]
    return customer.name.strip()


def _subscription_values(sub: Subscription | None, ts: TemplateSet) -> dict[str, str]:
    if sub is None:
        return {}
    item = sub.items[0] if sub.items else None
    name = item.price.product_name if item else sub.label
    return {
        "plan": name,
        "product": name,
        "seats": str(sub.quantity),
        "seats_count": ts.count("seat", sub.quantity),
        "renewal_date": ts.date(sub.current_period_end),
        "renewal_amount": sub.period_amount.format(),
        "access_until": ts.date(sub.current_period_end),
    }


def _refund_values(
    snapshot: CustomerSnapshot, done: Sequence[TakenAction], ts: TemplateSet
) -> dict[str, str]:
    """The refunded totals, one per currency (never summed across currencies), and the card
    the first refund went back to."""
    refunds = [a for a in done if a.kind == ActionKind.REFUND and a.amount is not None]
    if not refunds:
        return {}
    joiner = ts.text("list_and") or " and "
    return {
        "amount": money_text((a.amount for a in refunds if a.amount is not None), joiner),
        "card": _card_of(snapshot, refunds[0].params.get("charge"), ts),
    }


def _done_values(
    sub: Subscription | None, done: Sequence[TakenAction], ts: TemplateSet
) -> dict[str, str]:
    """What the portal link and seat changes that went through add (later ones win): the seat
    count in words, and what the subscription renews for at that count (every item)."""
    values: dict[str, str] = {}
    for action in done:
        if action.kind == ActionKind.PORTAL_SESSION and action.url:
            values["portal_url"] = action.url
        qty = action.params.get("quantity") or ""
        if action.kind == ActionKind.UPDATE_QUANTITY and qty.isdigit():
            values["seats"] = qty
            values["seats_count"] = ts.count("seat", int(qty))
            if sub is not None and sub.items:
                values["renewal_amount"] = with_quantity(sub, int(qty)).period_amount.format()
    return values


def _trial_values(snapshot: CustomerSnapshot, ts: TemplateSet) -> dict[str, str]:
    trial = next(
        (s for s in snapshot.subscriptions if s.trial_end and s.status.value == "trialing"), None
    )
    return {} if trial is None else {"trial_end": ts.date(trial.trial_end)}


def _invoice_values(snapshot: CustomerSnapshot, done: Sequence[TakenAction]) -> dict[str, str]:
    """The invoice amount (the retried one, else the open one, else the prorated one) and the
    net proration."""
    values: dict[str, str] = {}
    open_inv = latest(i for i in snapshot.invoices if i.status == "open")
    prorated = latest(i for i in snapshot.invoices if i.has_proration)
    retried = next((a for a in done if a.kind == ActionKind.RETRY_INVOICE_PAYMENT), None)
    paid = snapshot.invoice(retried.params.get("invoice") or "") if retried is not None else None
    if retried is not None and retried.amount is not None:
        values["invoice_amount"] = retried.amount.format()
    elif paid is not None:
        values["invoice_amount"] = paid.amount_paid.format()
    elif open_inv is not None:
        values["invoice_amount"] = open_inv.amount_remaining.format()
    elif prorated is not None:
        values["invoice_amount"] = prorated.total.format()
    if prorated is not None:
        net = prorated.proration_net
        values["proration_amount"] = Money(abs(net.amount), net.currency).format()
    return values


def follow_up_values(
    snapshot: CustomerSnapshot, actions: Sequence[TakenAction], ts: TemplateSet
) -> dict[str, str]:
    """The values a template may use, filled from the case."""
    done = [a for a in actions if a.status == "succeeded"]
    sub = _target_subscription(snapshot, done or actions)
    return {
        "refund_days": ts.text("refund_days"),
        **_subscription_values(sub, ts),
        **_refund_values(snapshot, done, ts),
        **_done_values(sub, done, ts),
        **_trial_values(snapshot, ts),
        **_invoice_values(snapshot, done),
    }


def situations(
    snapshot: CustomerSnapshot, bucket: Bucket | None, truth: CaseTruth | None = None
) -> tuple[str, ...]:
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
    if truth is not None and truth.open_duplicates:
        found.append("duplicated")
    return tuple(found)


def _grouped(actions: Sequence[TakenAction]) -> dict[str, list[TakenAction]]:
    """The succeeded actions that speak to the customer, by template key, in order."""
    grouped: dict[str, list[TakenAction]] = {}
    for action in actions:
        if action.status == "succeeded" and action.kind != ActionKind.NO_OP:
            grouped.setdefault(action.variant, []).append(action)
    return grouped


def _closing(ts: TemplateSet, scope: str, here: Sequence[str], truth: CaseTruth) -> str | None:
    """``closing:open`` while something is still open, ``closing:several`` for a case with
    more than one problem, else the bucket's ``closing``."""
    table = ts.raw.get("buckets", {})
    if truth.open_issues:
        for where in (scope, "_default"):
            value = table.get(where, {}).get("closing:open")
            if isinstance(value, str):
                return value
        return None
    if truth.secondary:
        value = table.get(scope, {}).get("closing:several")
        if isinstance(value, str):
            return value
    return ts.closing(scope, here)


def _secondary_sentences(
    ts: TemplateSet, truth: CaseTruth, fill: _Fill, done: Sequence[str]
) -> list[str]:
    """What the case's other problems still ask of the customer (their bucket's ``no_op``)."""
    sentences: list[str] = []
    for other in truth.secondary:
        still_open = (other == Bucket.FAILED_PAYMENT and truth.open_invoices) or (
            other == Bucket.DUPLICATE_PERSONAL and truth.open_duplicates
        )
        if not still_open or (other == Bucket.FAILED_PAYMENT and "portal_session" in done):
            continue
        here = ("duplicated",) if other == Bucket.DUPLICATE_PERSONAL else ()
        template = ts.sentence(other.value, "no_op", here, fallback=False)
        if template:
            sentences.append(template.format_map(fill))
    return sentences


def follow_up(
    snapshot: CustomerSnapshot,
    bucket: Bucket | None,
    actions: Sequence[TakenAction],
    *,
    locale: str = DEFAULT_LOCALE,
    templates: Mapping[str, TemplateSet] | None = None,
    truth: CaseTruth | None = None,
) -> str:
    """A short customer message for what was done, in ``locale``: every count, amount and
    claim from ``truth`` (:func:`~billing_tui.core.handoff.facts.case_truth` of the snapshot
    and the actions when not given)."""
    sets = templates if templates is not None else load_templates()
    ts = sets.get(locale) or sets[DEFAULT_LOCALE]
    facts = truth if truth is not None else case_truth(snapshot, actions)
    scope = bucket.value if bucket is not None else "_none"
    values = follow_up_values(snapshot, actions, ts)
    values.update(_truth_values(facts, values.get("plan")))
    here = situations(snapshot, bucket, facts)
    sentences: list[str] = []
    grouped = _grouped(actions)
    for variant, done in grouped.items():
        count = len(done)
        fill = _Fill(
            {**values, **_count_values(snapshot, done, ts)}, ts.text("missing") or "[{key}]"
        )
        key = variant if count == 1 else f"{variant}:many"
        template = ts.sentence(scope, key, here)
        if template:
            sentences.append(template.format_map(fill))
    fill = _Fill(values, ts.text("missing") or "[{key}]")
    for situation in here:
        explain = ts.sentence(scope, f"explain:{situation}", fallback=False)
        if explain:
            sentences.append(explain.format_map(fill))
    if not sentences or (bucket == Bucket.PRODUCT_FAILURE and "refund" not in grouped):
        template = ts.sentence(scope, "no_op", here)
        if template:
            sentences.append(template.format_map(fill))
    sentences += _secondary_sentences(ts, facts, fill, tuple(grouped))
    closing = _closing(ts, scope, here, facts)
    if closing:
        sentences.append(closing.format_map(fill))
    customer = snapshot.primary if snapshot.customers else None
    name = _name(customer, ts)
    greeting = ts.text("greeting").format(name=name) if name else ts.text("greeting_no_name")
    body = " ".join(sentences) if ts.locale == "en" else "".join(sentences)
    return f"{greeting}\n\n{body}\n\n{ts.text('signoff')}"


def _truth_values(truth: CaseTruth, plan: str | None) -> dict[str, str]:
    """Counts the facts give: live subscriptions (to the plan), members of a duplicate group."""
    groups = truth.duplicate_shapes
    values = {
        "live_count": str(truth.live_count(plan)),
        "members": str(max((n for n, _ in groups), default=1)),
    }
    if truth.open_duplicates:  # the wording about duplicates is about the duplicated plan
        group = truth.open_duplicates[0]
        items = sorted(group.original.items, key=lambda i: i.price.id)
        values["duplicated_plan"] = items[0].price.product_name if items else group.product_name
        values["live_count"] = str(len(group.subscriptions))
    return values


def _count_values(
    snapshot: CustomerSnapshot, done: Sequence[TakenAction], ts: TemplateSet
) -> dict[str, str]:
    """``count`` for one template key's actions, and (refunds) the amount of just those."""
    values = {"count": str(len(done))}
    values.update(_refund_values(snapshot, done, ts))
    return values
