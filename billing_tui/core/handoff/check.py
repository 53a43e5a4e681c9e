"""The handoff checker: rejects a follow-up (or a handoff) that claims what the facts contradict.

:func:`check_follow_up` reads the claims a message makes — in every language that has templates
(each template file lists its phrases under ``claims``) — and holds each one to
:class:`~billing_tui.core.handoff.facts.CaseTruth`:

=====================  ===============================================================
claim                  contradicted when
=====================  ===============================================================
``nothing_needed``     a CRITICAL anomaly or an owed action remains
``refunded``           no refund succeeded, or an amount named is no succeeded refund
                       (nor a per-currency total of them)
``one_active``         the named product (or the case) has other than one live subscription
``cancelled_one``      other than one subscription was cancelled
``cancelled_many``     the number named is not the number cancelled
``not_twice``          a duplicate still renews, or a duplicate charge was refunded
``no_error``           a duplicate still renews, or a duplicate charge was refunded
=====================  ===============================================================

:func:`check_handoff` adds the evidence wording every section may carry (``created within 4
min`` for a 290 s spread). Each problem is one sentence an operator can act on. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from billing_tui.core.handoff.document import Handoff
from billing_tui.core.handoff.facts import CaseTruth
from billing_tui.core.handoff.templates import TemplateSet
from billing_tui.core.text import human_gap

#: A money amount as :meth:`Money.format` writes it (``$19.00``, ``-€5.00``, ``¥2,800``,
#: ``CA$1.00``, ``CHF 3.00``, ``12.00 XYZ``).
MONEY = re.compile(
    r"-?(?:[A-Z]{1,2}\$|CHF |SEK |[$€£¥₩₹])\d[\d,]*(?:\.\d+)?|-?\d[\d,]*(?:\.\d+)? [A-Z]{3}\b"
)

_UNITS = {"s": 1, "min": 60, "h": 3600, "days": 86400}
_WITHIN = re.compile(r"created within (?P<n>\d+) (?P<unit>s|min|h|days)\b")
_APART = re.compile(r"created (?P<gap>\d+ (?:s|min|h|days)) apart\b")


@dataclass(frozen=True)
class _Claim:
    kind: str
    pattern: re.Pattern[str]


def _claims(sets: Iterable[TemplateSet]) -> list[_Claim]:
    found: list[_Claim] = []
    for ts in sets:
        table = ts.raw.get("claims") or {}
        if not isinstance(table, Mapping):
            continue
        for kind, patterns in table.items():
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                found.append(_Claim(str(kind), re.compile(str(pattern), re.IGNORECASE)))
    return found


def _sentences(text: str) -> list[str]:
    """The text cut after ``.``, ``!``, ``?`` before a space, after ``。``, ``！``, ``？``, and at
    line ends (``$19.00`` stays whole)."""
    parts = re.split(r"(?<=[.!?])\s+|(?<=[。！？])|\n+", text)
    return [p.strip() for p in parts if p and p.strip()]


def check_follow_up(
    text: str, truth: CaseTruth, templates: Mapping[str, TemplateSet]
) -> tuple[str, ...]:
    """Why ``text`` may not be sent: each claim the facts contradict, as a sentence."""
    claims = _claims(templates.values())
    problems: list[str] = []
    for sentence in _sentences(text):
        for claim in claims:
            match = claim.pattern.search(sentence)
            if match is None:
                continue
            problem = _judge(claim.kind, match, sentence, truth)
            if problem is not None and problem not in problems:
                problems.append(problem)
    return tuple(problems)


def check_handoff(
    handoff: Handoff, truth: CaseTruth, templates: Mapping[str, TemplateSet]
) -> tuple[str, ...]:
    """:func:`check_follow_up` of the handoff's follow-up, plus the evidence wording of every
    section (how far apart duplicates were created)."""
    problems = list(check_follow_up(handoff.follow_up, truth, templates))
    text = handoff.text()
    for match in _WITHIN.finditer(text):
        bound = int(match["n"]) * _UNITS[match["unit"]]
        if not any(n > 2 and spread <= bound for n, spread in truth.duplicate_shapes):
            spreads = ", ".join(f"{s} s" for n, s in truth.duplicate_shapes if n > 2) or "none"
            problems.append(f"“{match[0]}” does not hold: the duplicates' spread is {spreads}")
    for match in _APART.finditer(text):
        gaps = {human_gap(s) for n, s in truth.duplicate_shapes if n == 2}
        if match["gap"] not in gaps:
            problems.append(
                f"“{match[0]}” does not hold: two duplicates were created "
                f"{' or '.join(sorted(gaps)) or 'never'} apart"
            )
    return tuple(dict.fromkeys(problems))


def _judge(kind: str, match: re.Match[str], sentence: str, truth: CaseTruth) -> str | None:
    quoted = f"The follow-up says “{match[0]}”"
    if kind == "nothing_needed":
        if not truth.open_issues:
            return None
        what = [f"CRITICAL {a.code}" for a in truth.critical] + list(truth.owed)
        return f"{quoted}, but {'; '.join(what)}"
    if kind == "refunded":
        return _judge_refund(quoted, sentence, truth)
    if kind == "one_active":
        plan = match.groupdict().get("plan")
        count = truth.live_count(plan.strip() if plan else None)
        if count == 1:
            return None
        return f"{quoted}, but {count} subscription(s){f' to {plan}' if plan else ''} are live"
    if kind in ("cancelled_one", "cancelled_many"):
        said = 1 if kind == "cancelled_one" else int(match.groupdict().get("n") or 0)
        done = len(truth.cancelled_now) + len(truth.cancelled_at_period_end)
        if said == done:
            return None
        return f"{quoted}, but {done} subscription(s) were cancelled in this case"
    if kind in ("not_twice", "no_error"):
        if truth.open_duplicates:
            return f"{quoted}, but {truth.owed[0]}"
        if truth.duplicate_refunds:
            return f"{quoted}, but {truth.duplicate_refunds} duplicate charge(s) were refunded"
        return None
    return None


def _judge_refund(quoted: str, sentence: str, truth: CaseTruth) -> str | None:
    if not truth.refunds:
        return f"{quoted}, but no refund succeeded in this case"
    allowed = {m.format() for m in (*truth.refunds, *truth.refund_totals)}
    for amount in MONEY.findall(sentence):
        if amount not in allowed:
            refunded = ", ".join(m.format() for m in truth.refund_totals)
            return f"{quoted}, but what was refunded is {refunded}, not {amount}"
    return None
