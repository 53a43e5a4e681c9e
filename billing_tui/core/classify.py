"""Classification: one bucket per case, with evidence, before any money moves.

:func:`suggest` turns a snapshot, its anomalies and the operator's answers to the wizard's
questions into a :class:`Classification`: the most likely bucket, a confidence, plain-sentence
evidence for and against every bucket, the questions that tell buckets apart, and — for annual
plans, team plans and prorated states — the contract shape the operator must confirm.

The contract check is :mod:`billing_tui.core.contract`, the monthly → annual detection
:mod:`billing_tui.core.switches`; what the rules ask of the snapshot is
:mod:`billing_tui.core.queries`.

Rules (a weighted vote; every vote is an :class:`Evidence` sentence the operator sees):

========================================  =====================  ======
signal                                    bucket                 weight
========================================  =====================  ======
``duplicate_subscription``                duplicate_personal     3
``cross_customer_duplicate``              duplicate_personal     3
``double_charge`` (no team evidence)      duplicate_personal     2.5
``double_charge`` (with team evidence)    team_intent            2.5
``team_purchase_pattern``                 team_intent            2.5
``payment_failed``                        failed_payment         3
``incomplete_checkout``                   failed_payment         2
``trial_ending_without_payment_method``   failed_payment         2
``no_payment_method``                     failed_payment         2
``card_expired`` (with a live sub)        failed_payment         2
``disputed_charge``                       product_failure        3
plan switch (monthly → annual: a live     missing_self_serve     2
monthly + annual, or a recently canceled
monthly replaced by an annual, or a
prorated price change)
``portal_missing``                        missing_self_serve     1.5
``portal_cancel_disabled``                missing_self_serve     1.5
complaint answer (``q_complaint``)        the bucket it names    1.75
``q_cancel = no``                         missing_self_serve     2
========================================  =====================  ======

* Anomalies decide when they point somewhere: every billing anomaly outweighs the ticket's
  complaint (1.75). Portal findings are account-wide context, so they weigh less than the
  complaint: a customer reporting an outage on an account whose portal cannot cancel is still a
  product failure.
* ``q_team`` / ``q_people`` flip duplicate vs team: a "yes" (the customer meant several seats, the
  subscriptions serve different people) moves the weight of the duplicate signals to
  ``team_intent``; a "no" moves the team signals' weight to ``duplicate_personal``.
* ``q_cancel = yes`` (the customer can reach a cancel button) cancels the portal findings' votes.
* Info-level context (a card expiring before renewal, a charge already refunded on a duplicate)
  is shown as evidence with no weight. ``proration_activity`` alone votes for nothing: it only
  requires the contract-shape check.
* The suggestion is the bucket with the highest total (ties: the order of :class:`Bucket`);
  ``None`` when no bucket has a positive total (a healthy customer whose ticket is not
  answered yet). Confidence = share of the winning total × ``total / (total + 1)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from billing_tui.core import anomalies as an
from billing_tui.core.anomalies import Anomaly
from billing_tui.core.contract import ContractCheck, contract_check
from billing_tui.core.model import CustomerSnapshot, Subscription, SubscriptionStatus
from billing_tui.core.queries import (
    charge_subscriptions,
    default_card,
    duplicate_groups,
    max_quantity,
    subscription_name,
)
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.switches import plan_switches
from billing_tui.core.text import card_label


class Bucket(StrEnum):
    DUPLICATE_PERSONAL = "duplicate_personal"
    TEAM_INTENT = "team_intent"
    FAILED_PAYMENT = "failed_payment"
    MISSING_SELF_SERVE = "missing_self_serve"
    PRODUCT_FAILURE = "product_failure"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Evidence:
    """One plain sentence for (``supports=True``) or against a bucket."""

    bucket: Bucket
    sentence: str
    supports: bool
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """A question that tells buckets apart; the wizard asks it, the answer changes the result."""

    id: str
    text: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    help: str = ""


@dataclass(frozen=True)
class Answers:
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, question_id: str) -> str | None:
        return self.values.get(question_id)

    def with_answer(self, question_id: str, value: str) -> Answers:
        return Answers(MappingProxyType({**self.values, question_id: value}))


@dataclass(frozen=True)
class PreAnswer:
    """An answer a source other than the operator gave (the ticket's words): it stands until the
    operator answers the same question, and is shown as evidence with the words it came from."""

    question_id: str
    value: str
    quote: str  # the words as the customer wrote them
    source: str = "the ticket"


@dataclass(frozen=True)
class Classification:
    """The suggestion, the evidence, and (once the operator confirms) the decided bucket."""

    suggested: Bucket | None  # None: nothing in the evidence points at a billing problem
    confidence: float  # 0..1
    evidence: tuple[Evidence, ...]
    questions: tuple[Question, ...]
    answers: Answers = field(default_factory=Answers)
    contract: ContractCheck | None = None
    bucket: Bucket | None = None  # set by confirm(): the operator's decision
    override_reason: str | None = None
    confirmed: bool = False
    #: Every bucket the billing evidence itself points at (anomalies, plan switches; not the
    #: ticket's answers or account-wide portal context), strongest first: a case can have
    #: more than one problem. See :attr:`secondary`.
    findings: tuple[Bucket, ...] = ()
    #: The pre-answers in force (the operator did not answer their question otherwise).
    pre_answers: tuple[PreAnswer, ...] = ()

    @property
    def secondary(self) -> tuple[Bucket, ...]:
        """The case's other problems next to the one it is worked under: each keeps its own
        plans and its own lines in the handoff. Never the alternative reading of the same
        evidence (a duplicate vs a team purchase)."""
        primary = self.working
        return tuple(
            b
            for b in self.findings
            if b != primary and (primary is None or frozenset({b, primary}) not in _EXCLUSIVE)
        )

    @property
    def final(self) -> Bucket | None:
        return self.bucket if self.confirmed else None

    @property
    def working(self) -> Bucket | None:
        """The bucket the case is worked under: the decided one, else (before the operator
        confirms) the suggestion, so plans and the handoff can be previewed."""
        return self.bucket if self.confirmed else self.suggested

    @property
    def overridden(self) -> bool:
        return self.confirmed and self.bucket != self.suggested

    @property
    def contract_pending(self) -> bool:
        return self.contract is not None and not self.contract.confirmed

    @property
    def ready_for_money(self) -> bool:
        """Money may move only after a confirmed bucket and a confirmed contract shape."""
        return self.confirmed and self.bucket is not None and not self.contract_pending

    def blocked_reason(self) -> str | None:
        if not self.confirmed or self.bucket is None:
            return "classify the case first (the wizard: c)"
        if self.contract_pending:
            return "confirm the contract shape (interval, quantity, price, period) first"
        return None

    def confirm(self, bucket: Bucket | None = None, reason: str | None = None) -> Classification:
        """Confirm the suggestion, or override it with ``bucket`` and a reason (required)."""
        chosen = bucket or self.suggested
        if chosen is None:
            raise ValueError("nothing to confirm: choose a bucket")
        if chosen != self.suggested and not (reason and reason.strip()):
            raise ValueError("overriding the suggested bucket needs a reason")
        return replace(self, bucket=chosen, override_reason=reason, confirmed=True)

    def confirm_contract(self) -> Classification:
        if self.contract is None:
            return self
        return replace(self, contract=replace(self.contract, confirmed=True))

    def evidence_for(self, bucket: Bucket) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.bucket == bucket)


# --------------------------------------------------------------------------- questions

Q_COMPLAINT = "q_complaint"
Q_TEAM = "q_team"
Q_PEOPLE = "q_people"
Q_CANCEL = "q_cancel"

_YES_NO = (("yes", "Yes"), ("no", "No"))

#: Every question the wizard may ask, in the order it asks them.
QUESTIONS: tuple[Question, ...] = (
    Question(
        Q_COMPLAINT,
        "What does the customer report?",
        (
            ("charged_twice", "Charged twice / paying twice for the same thing"),
            ("bought_for_team", "Bought seats or subscriptions for other people"),
            ("payment_failed", "A payment failed or the card was declined"),
            ("cannot_cancel", "Cannot cancel or change the plan themselves"),
            ("product_broken", "The product did not work (outage, missing feature)"),
            ("other", "Something else"),
        ),
        help="From the ticket: decides the bucket when the billing data does not.",
    ),
    Question(
        Q_TEAM,
        "Did the customer mean to buy several seats / for other people?",
        _YES_NO,
        help="Yes turns a duplicate pattern into a team purchase; no does the reverse.",
    ),
    Question(
        Q_PEOPLE,
        "Do the subscriptions serve different people?",
        _YES_NO,
        help="Different people (teammates, family) means the extra subscription is wanted.",
    ),
    Question(
        Q_CANCEL,
        "Can the customer reach a cancel button themselves?",
        _YES_NO,
        help="No means the fix is self-serve (a portal link), not money.",
    ),
)

_BY_ID = {q.id: q for q in QUESTIONS}

_COMPLAINT_BUCKET: Mapping[str, Bucket] = MappingProxyType(
    {
        "charged_twice": Bucket.DUPLICATE_PERSONAL,
        "bought_for_team": Bucket.TEAM_INTENT,
        "payment_failed": Bucket.FAILED_PAYMENT,
        "cannot_cancel": Bucket.MISSING_SELF_SERVE,
        "product_broken": Bucket.PRODUCT_FAILURE,
    }
)

_DUPLICATE_CODES = frozenset(
    {an.DUPLICATE_SUBSCRIPTION, an.CROSS_CUSTOMER_DUPLICATE, an.DOUBLE_CHARGE}
)
_PORTAL_CODES = frozenset(
    {
        an.PORTAL_MISSING,
        an.PORTAL_CANCEL_DISABLED,
        an.PORTAL_PAYMENT_UPDATE_DISABLED,
        an.PORTAL_INVOICE_HISTORY_DISABLED,
    }
)

#: Pairs of buckets that read the same evidence two ways: never both problems of one case.
_EXCLUSIVE = frozenset({frozenset({Bucket.DUPLICATE_PERSONAL, Bucket.TEAM_INTENT})})

W_STRONG = 3.0
W_DOUBLE_CHARGE = 2.5
W_TEAM = 2.5
W_MEDIUM = 2.0
W_PORTAL = 1.5
W_COMPLAINT = 1.75
W_ANSWER = 2.0


def question(question_id: str) -> Question:
    """The question with this id (``KeyError`` names the known ids)."""
    try:
        return _BY_ID[question_id]
    except KeyError:
        raise KeyError(f"unknown question {question_id!r}; known: {', '.join(_BY_ID)}") from None


def validate_answers(answers: Answers) -> None:
    """Raise ``ValueError`` naming the question and the allowed values for a bad answer."""
    for qid, value in answers.values.items():
        q = _BY_ID.get(qid)
        if q is None:
            continue  # the wizard may keep notes of its own next to the answers
        allowed = [v for v, _ in q.options]
        if value not in allowed:
            raise ValueError(f"{qid}: {value!r} is not one of {', '.join(allowed)}")


def questions(snapshot: CustomerSnapshot, anomalies: Sequence[Anomaly]) -> tuple[Question, ...]:
    """The questions that still tell buckets apart for this case."""
    codes = an.codes(anomalies)
    live = snapshot.live_subscriptions
    shared_product = _subs_sharing_a_product(live)
    relevant = {Q_COMPLAINT}
    if (
        codes & (_DUPLICATE_CODES | {an.TEAM_PURCHASE_PATTERN, an.MIXED_INTERVAL})
        or len(live) >= 2
        or any(max_quantity(s) > 1 for s in live)
    ):
        relevant.add(Q_TEAM)
    if shared_product or an.CROSS_CUSTOMER_DUPLICATE in codes:
        relevant.add(Q_PEOPLE)
    if live or codes & _PORTAL_CODES or not snapshot.portal_known:
        relevant.add(Q_CANCEL)
    return tuple(q for q in QUESTIONS if q.id in relevant)


def _subs_sharing_a_product(subs: Sequence[Subscription]) -> bool:
    seen: set[str] = set()
    for sub in subs:
        if seen & sub.product_ids:
            return True
        seen |= sub.product_ids
    return False


# --------------------------------------------------------------------------- the vote


@dataclass(frozen=True)
class _Vote:
    bucket: Bucket
    weight: float
    sentence: str
    refs: tuple[str, ...] = ()
    supports: bool = True
    family: str = ""  # "dup" / "team" / "portal" / "answer": what an answer may move or cancel


def _votes(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    answers: Answers,
    settings: Settings,
    now: datetime,
) -> list[_Vote]:
    codes = an.codes(anomalies)
    votes: list[_Vote] = []
    team_evidence = an.TEAM_PURCHASE_PATTERN in codes
    for anomaly in anomalies:
        code, refs, detail = anomaly.code, anomaly.refs, anomaly.detail
        if code in (an.DUPLICATE_SUBSCRIPTION, an.CROSS_CUSTOMER_DUPLICATE):
            votes.append(_Vote(Bucket.DUPLICATE_PERSONAL, W_STRONG, detail, refs, family="dup"))
            votes.append(
                _Vote(
                    Bucket.TEAM_INTENT,
                    0.0,
                    "The repeated subscriptions name no different people or teams",
                    refs,
                    supports=False,
                )
            )
        elif code == an.DOUBLE_CHARGE:
            if team_evidence:
                votes.append(
                    _Vote(
                        Bucket.TEAM_INTENT,
                        W_DOUBLE_CHARGE,
                        f"{detail}; with seats bought for a team these look like separate "
                        "purchases",
                        refs,
                        family="team",
                    )
                )
            else:
                votes.append(
                    _Vote(Bucket.DUPLICATE_PERSONAL, W_DOUBLE_CHARGE, detail, refs, family="dup")
                )
        elif code == an.TEAM_PURCHASE_PATTERN:
            votes.append(_Vote(Bucket.TEAM_INTENT, W_TEAM, detail, refs, family="team"))
            votes.append(
                _Vote(
                    Bucket.DUPLICATE_PERSONAL,
                    0.0,
                    f"{detail}: that looks deliberate, not like a double checkout",
                    refs,
                    supports=False,
                )
            )
        elif code == an.PAYMENT_FAILED:
            votes.append(_Vote(Bucket.FAILED_PAYMENT, W_STRONG, detail, refs))
        elif code in (
            an.INCOMPLETE_CHECKOUT,
            an.TRIAL_ENDING_WITHOUT_PAYMENT_METHOD,
            an.NO_PAYMENT_METHOD,
        ):
            votes.append(_Vote(Bucket.FAILED_PAYMENT, W_MEDIUM, detail, refs))
        elif code == an.CARD_EXPIRED:
            owners = {
                c.id
                for c in snapshot.customers
                if (d := default_card(snapshot, c)) is not None and d[0] in refs
            }
            if any(s.customer_id in owners for s in snapshot.live_subscriptions):
                votes.append(
                    _Vote(
                        Bucket.FAILED_PAYMENT,
                        W_MEDIUM,
                        f"{detail}, and a live subscription will charge it",
                        refs,
                    )
                )
            else:
                votes.append(
                    _Vote(Bucket.FAILED_PAYMENT, 0.0, f"{detail} (nothing bills it)", refs)
                )
        elif code == an.CARD_EXPIRES_BEFORE_RENEWAL:
            votes.append(_Vote(Bucket.FAILED_PAYMENT, 0.0, f"{detail} (not failed yet)", refs))
        elif code == an.DISPUTED_CHARGE:
            votes.append(_Vote(Bucket.PRODUCT_FAILURE, W_STRONG, detail, refs))
        elif code in (an.PORTAL_MISSING, an.PORTAL_CANCEL_DISABLED):
            votes.append(_Vote(Bucket.MISSING_SELF_SERVE, W_PORTAL, detail, refs, family="portal"))
        elif code == an.REFUNDED_CHARGE:
            votes.extend(_refund_context(snapshot, anomaly, settings))

    for switch in plan_switches(snapshot, settings, now):
        votes.append(_Vote(Bucket.MISSING_SELF_SERVE, W_MEDIUM, switch.sentence, switch.refs))
        votes.append(
            _Vote(
                Bucket.DUPLICATE_PERSONAL,
                0.0,
                f"{switch.sentence}; explain the charges, no refund",
                switch.refs,
                supports=False,
            )
        )

    votes.extend(_answer_votes(snapshot, answers))
    votes.extend(_unknowns(snapshot))
    return _apply_flips(votes, answers)


#: Which buckets lose evidence when a part of the snapshot could not be loaded.
_PART_BUCKETS: Mapping[str, tuple[Bucket, ...]] = MappingProxyType(
    {
        "subscriptions": tuple(Bucket),
        "invoices": (Bucket.FAILED_PAYMENT, Bucket.DUPLICATE_PERSONAL, Bucket.MISSING_SELF_SERVE),
        "charges": (Bucket.DUPLICATE_PERSONAL, Bucket.PRODUCT_FAILURE),
        "invoice_payments": (Bucket.DUPLICATE_PERSONAL, Bucket.FAILED_PAYMENT),
        "refunds": (Bucket.DUPLICATE_PERSONAL,),
        "products": (),  # only names: nothing is judged on them
        "disputes": (Bucket.PRODUCT_FAILURE,),
        "payment_methods": (Bucket.FAILED_PAYMENT,),
        "portal": (Bucket.MISSING_SELF_SERVE,),
    }
)


def _unknowns(snapshot: CustomerSnapshot) -> list[_Vote]:
    """A part that failed to load is said, so "no evidence" is never read as "all clear"."""
    votes: list[_Vote] = []
    for failure in snapshot.failures:
        for bucket in _PART_BUCKETS.get(failure.part, tuple(Bucket)):
            votes.append(
                _Vote(
                    bucket,
                    0.0,
                    f"The {failure.part.replace('_', ' ')} could not be loaded "
                    f"({failure.message}): evidence for this bucket may be missing",
                    (failure.customer_id,) if failure.customer_id else (),
                    supports=False,
                )
            )
    return votes


def _refund_context(
    snapshot: CustomerSnapshot, anomaly: Anomaly, settings: Settings
) -> list[_Vote]:
    duplicated = {sid for g in duplicate_groups(snapshot, settings) for sid in g.ids}
    paid = charge_subscriptions(snapshot)
    charge_id = anomaly.refs[0] if anomaly.refs else ""
    if paid.get(charge_id) in duplicated:
        return [
            _Vote(
                Bucket.DUPLICATE_PERSONAL,
                0.0,
                f"{anomaly.detail} — it paid one of the duplicates: do not refund it again",
                anomaly.refs,
            )
        ]
    return []


def _answer_votes(snapshot: CustomerSnapshot, answers: Answers) -> list[_Vote]:
    votes: list[_Vote] = []
    complaint = answers.get(Q_COMPLAINT)
    bucket = _COMPLAINT_BUCKET.get(complaint or "")
    if complaint and bucket is not None:
        label = dict(_BY_ID[Q_COMPLAINT].options)[complaint]
        votes.append(
            _Vote(bucket, W_COMPLAINT, f"The customer reports: {label.lower()}", family="answer")
        )
        if bucket == Bucket.PRODUCT_FAILURE:
            healthy = [
                s
                for s in snapshot.live_subscriptions
                if s.status == SubscriptionStatus.ACTIVE
                and (
                    (inv := snapshot.invoice(s.latest_invoice_id or "")) is None
                    or inv.status == "paid"
                )
            ]
            if healthy:
                names = ", ".join(f"{subscription_name(s)} ({s.id})" for s in healthy)
                votes.append(
                    _Vote(
                        Bucket.PRODUCT_FAILURE,
                        0.0,
                        f"{names} is active and paid: billing works, the complaint is about "
                        "the product",
                        tuple(s.id for s in healthy),
                    )
                )
    cancel = answers.get(Q_CANCEL)
    if cancel == "no":
        votes.append(
            _Vote(
                Bucket.MISSING_SELF_SERVE,
                W_ANSWER,
                "The customer cannot reach a cancel button themselves",
                family="answer",
            )
        )
    elif cancel == "yes":
        votes.append(
            _Vote(
                Bucket.MISSING_SELF_SERVE,
                0.0,
                "The customer can reach a cancel button, so self-serve is not what blocks them",
                supports=False,
            )
        )
    return votes


def _team_vote(answers: Answers) -> int:
    vote = 0
    for qid in (Q_TEAM, Q_PEOPLE):
        value = answers.get(qid)
        vote += 1 if value == "yes" else -1 if value == "no" else 0
    return vote


def _apply_flips(votes: list[_Vote], answers: Answers) -> list[_Vote]:
    team = _team_vote(answers)
    flipped: list[_Vote] = []
    for vote in votes:
        if team > 0 and vote.family == "dup" and vote.weight > 0:
            flipped.append(replace(vote, weight=0.0, supports=False))
            flipped.append(
                replace(
                    vote,
                    bucket=Bucket.TEAM_INTENT,
                    sentence=f"{vote.sentence} — and the subscriptions are meant for several "
                    "people, so this is the team's purchase",
                    family="team",
                )
            )
        elif team < 0 and vote.family == "team" and vote.weight > 0:
            flipped.append(replace(vote, weight=0.0, supports=False))
            flipped.append(
                replace(
                    vote,
                    bucket=Bucket.DUPLICATE_PERSONAL,
                    sentence=f"{vote.sentence} — but the customer did not mean several seats or "
                    "other people, so the extra ones are a mistake",
                    family="dup",
                )
            )
        elif answers.get(Q_CANCEL) == "yes" and vote.family == "portal":
            flipped.append(replace(vote, weight=0.0, supports=False))
        else:
            flipped.append(vote)
    if answers.get(Q_TEAM) == "yes":
        flipped.append(_Vote(Bucket.TEAM_INTENT, 0.0, "The customer meant to buy several seats"))
    elif answers.get(Q_TEAM) == "no":
        flipped.append(
            _Vote(
                Bucket.TEAM_INTENT,
                0.0,
                "The customer did not mean to buy several seats",
                supports=False,
            )
        )
    if answers.get(Q_PEOPLE) == "yes":
        flipped.append(_Vote(Bucket.TEAM_INTENT, 0.0, "The subscriptions serve different people"))
    elif answers.get(Q_PEOPLE) == "no":
        flipped.append(
            _Vote(Bucket.TEAM_INTENT, 0.0, "The subscriptions serve one person", supports=False)
        )
    return flipped


def _defaults_against(
    snapshot: CustomerSnapshot, anomalies: Sequence[Anomaly], answers: Answers, bucket: Bucket
) -> _Vote:
    """A sentence against ``bucket`` when no other evidence mentions it."""
    if bucket == Bucket.DUPLICATE_PERSONAL:
        text = "No two live subscriptions repeat one plan, and no charge repeats within minutes"
    elif bucket == Bucket.TEAM_INTENT:
        text = "No live subscription has several seats or names its seat holder"
    elif bucket == Bucket.FAILED_PAYMENT:
        text = "No failed, open or incomplete payment"
        cards = [
            c for cust in snapshot.customers if (c := default_card(snapshot, cust)) is not None
        ]
        if cards:
            pm_id, card = cards[0]
            return _Vote(
                bucket,
                0.0,
                f"{text}; the default card {card_label(card)} is valid until {card.expiry}",
                (pm_id,),
                supports=False,
            )
    elif bucket == Bucket.MISSING_SELF_SERVE:
        portal = snapshot.portal
        if not snapshot.portal_known:
            text = "The portal configuration could not be read: ask whether the customer can cancel"
        elif portal is not None and portal.active and portal.cancel_enabled:
            return _Vote(
                bucket,
                0.0,
                f"The billing portal ({portal.id}) lets the customer cancel"
                + (" and change their card" if portal.payment_method_update_enabled else ""),
                (portal.id,),
                supports=False,
            )
        else:
            text = "Nothing shows the customer was blocked from self-serve"
    else:
        text = "No disputed charge"
        text += (
            ", and the ticket does not report a product failure"
            if answers.get(Q_COMPLAINT)
            else "; ask what the customer reports"
        )
    return _Vote(bucket, 0.0, text, supports=False)


# --------------------------------------------------------------------------- suggest


def suggest(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    answers: Answers = Answers(),
    now: datetime | None = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    pre_answers: Sequence[PreAnswer] = (),
) -> Classification:
    """The most likely bucket for the case, with evidence, questions and the contract check.

    ``pre_answers`` (the ticket's words) answer the questions the operator's ``answers`` leave
    open; each one in force is an evidence sentence quoting its words.
    Raises ``ValueError`` when an answer is not one of its question's options.
    """
    answers, in_force = merge_answers(answers, pre_answers)
    validate_answers(answers)
    when = now or snapshot.loaded_at
    ordered = sorted(anomalies, key=an.sort_key)
    votes = _votes(snapshot, ordered, answers, settings, when)
    votes.extend(_pre_answer_votes(in_force))
    scores = {b: 0.0 for b in Bucket}
    for vote in votes:
        scores[vote.bucket] += vote.weight
    for bucket in Bucket:
        if not any(v.bucket == bucket for v in votes):
            votes.append(_defaults_against(snapshot, ordered, answers, bucket))

    order = list(Bucket)
    best = max(order, key=lambda b: (scores[b], -order.index(b)))
    total = sum(s for s in scores.values() if s > 0)
    if scores[best] <= 0:
        suggested: Bucket | None = None
        confidence = 0.0
    else:
        suggested = best
        confidence = round((scores[best] / total) * (scores[best] / (scores[best] + 1)), 2)

    independent: dict[Bucket, float] = {}
    for vote in votes:
        if vote.family not in ("answer", "portal") and vote.refs and vote.weight >= W_MEDIUM:
            independent[vote.bucket] = independent.get(vote.bucket, 0.0) + vote.weight
    findings = tuple(sorted(independent, key=lambda b: (-scores[b], order.index(b))))
    evidence = tuple(
        Evidence(v.bucket, _sentence(v.sentence), v.supports, v.refs)
        for v in sorted(votes, key=lambda v: (order.index(v.bucket), not v.supports, -v.weight))
    )
    return Classification(
        suggested=suggested,
        confidence=confidence,
        evidence=_dedupe(evidence),
        questions=questions(snapshot, ordered),
        answers=answers,
        contract=contract_check(snapshot, ordered, settings, when),
        findings=findings,
        pre_answers=in_force,
    )


def merge_answers(
    answers: Answers, pre_answers: Sequence[PreAnswer]
) -> tuple[Answers, tuple[PreAnswer, ...]]:
    """The operator's answers, plus the first pre-answer of every question they left open."""
    merged = answers
    in_force: list[PreAnswer] = []
    for pre in pre_answers:
        if answers.get(pre.question_id) is not None:
            continue  # the operator's own answer wins
        if merged.get(pre.question_id) is None:
            merged = merged.with_answer(pre.question_id, pre.value)
        if merged.get(pre.question_id) == pre.value:
            in_force.append(pre)
    return merged, tuple(in_force)


#: The bucket an answer speaks for (the evidence line of a pre-answer is filed under it).
_ANSWER_BUCKET: Mapping[tuple[str, str], Bucket] = MappingProxyType(
    {
        **{(Q_COMPLAINT, value): bucket for value, bucket in _COMPLAINT_BUCKET.items()},
        (Q_TEAM, "yes"): Bucket.TEAM_INTENT,
        (Q_TEAM, "no"): Bucket.DUPLICATE_PERSONAL,
        (Q_PEOPLE, "yes"): Bucket.TEAM_INTENT,
        (Q_PEOPLE, "no"): Bucket.DUPLICATE_PERSONAL,
        (Q_CANCEL, "no"): Bucket.MISSING_SELF_SERVE,
        (Q_CANCEL, "yes"): Bucket.MISSING_SELF_SERVE,
    }
)


def pre_answer_line(pre: PreAnswer) -> str:
    """``from the ticket: 'charged twice' → q_complaint = charged twice`` (the option's label)."""
    labels = dict(_BY_ID[pre.question_id].options) if pre.question_id in _BY_ID else {}
    label = labels.get(pre.value, pre.value)
    return f"from {pre.source}: '{pre.quote}' → {pre.question_id} = {label.lower()}"


def _pre_answer_votes(in_force: Sequence[PreAnswer]) -> list[_Vote]:
    """The pre-answers as evidence (no weight of their own: their answer carries it)."""
    votes: list[_Vote] = []
    for pre in in_force:
        bucket = _ANSWER_BUCKET.get((pre.question_id, pre.value))
        if bucket is not None:
            against = (pre.question_id, pre.value) == (Q_CANCEL, "yes")
            votes.append(_Vote(bucket, 0.0, pre_answer_line(pre), supports=not against))
    return votes


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]


def _dedupe(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    seen: set[tuple[Bucket, str, bool]] = set()
    kept: list[Evidence] = []
    for item in evidence:
        key = (item.bucket, item.sentence, item.supports)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return tuple(kept)
