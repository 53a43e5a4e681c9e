"""The ticket's words as evidence: phrases that pre-answer the classification wizard's questions.

:func:`read_ticket` matches the customer's text against :data:`PHRASES` — one table, one row
per phrase, per language (English, Chinese, a few Japanese) — and returns a
:class:`TicketReading`: every match with the words as written and where they stand, and the
:class:`~billing_tui.core.classify.PreAnswer` values the classifier takes for the questions the
operator has not answered (``suggest(…, pre_answers=reading.pre_answers)``).

Matching rules (all here, nowhere else):

* case-insensitive; any run of whitespace (or a hyphen) between English words matches; CJK
  phrases match with or without spaces between their characters; curly apostrophes count as
  straight ones ("can’t" = "can't");
* ``…`` in a phrase is a gap of up to six words ("paying … twice" matches "paying for Acme Pro
  twice");
* **negation**: a match is *negated* (shown, never used) when a negating word stands in the three
  words before it in the same clause — ``not``, ``no``, ``never``, ``without``, ``nor``, any
  ``…n't`` — or, in Chinese, one of 没 不 未 无 in the three characters before it; Japanese
  negation follows the verb (…ません, …ない) and is looked for in the eight characters after
  it, in the same sentence. So "I was not charged twice" and "我没有被扣了两次" pre-answer
  nothing. Double negation and negation further away than that are not understood (the
  operator changes the answer);
* **questions**: a match inside a yes/no question ("Did you double charge me?", "Am I going to
  be charged twice?", "…吗？") is *asked*, not stated: shown, never used. "Why am I paying
  twice?" states it;
* when several stated matches answer the same question differently, the first in the text wins
  (the others stay visible as evidence).

Requests ("please refund", "退款", "reduce … seats") answer no question: they are evidence only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from billing_tui.core.classify import Q_CANCEL, Q_COMPLAINT, Q_PEOPLE, Q_TEAM, PreAnswer


class Language(StrEnum):
    EN = "en"
    ZH = "zh"
    JA = "ja"


class Request(StrEnum):
    """What the customer asks for; evidence only (no question answers it)."""

    REFUND = "refund"
    CANCEL = "cancel"
    CHANGE_SEATS = "change_seats"


class MatchStatus(StrEnum):
    STATED = "stated"  # used: it pre-answers its questions
    NEGATED = "negated"  # "not charged twice": shown, not used
    ASKED = "asked"  # "did you double charge me?": shown, not used


@dataclass(frozen=True)
class Answer:
    """A wizard question and the value a phrase gives it."""

    question_id: str
    value: str


@dataclass(frozen=True)
class Phrase:
    text: str  # words separated by spaces; "…" is a gap of up to six words
    language: Language
    answers: tuple[Answer, ...] = ()
    request: Request | None = None


@dataclass(frozen=True)
class TicketEvidence:
    """One phrase found in the ticket: the words as written and where they are."""

    phrase: Phrase
    quote: str
    start: int
    end: int
    status: MatchStatus
    cue: str = ""  # the negating word or the question word, when not stated

    @property
    def used(self) -> bool:
        return self.status == MatchStatus.STATED

    def line(self) -> str:
        """``'charged twice' → q_complaint=charged_twice`` (and why it is not used)."""
        meaning = [f"{a.question_id}={a.value}" for a in self.phrase.answers]
        if self.phrase.request is not None:
            meaning.append(f"asks: {self.phrase.request.value.replace('_', ' ')}")
        text = f"'{self.quote}' → {', '.join(meaning)}"
        if self.status == MatchStatus.NEGATED:
            return f"{text} (negated by '{self.cue}': not used)"
        if self.status == MatchStatus.ASKED:
            return f"{text} (asked, not stated: not used)"
        return text


@dataclass(frozen=True)
class TicketReading:
    text: str
    evidence: tuple[TicketEvidence, ...]

    @property
    def pre_answers(self) -> tuple[PreAnswer, ...]:
        """The first stated value of every question, in the order the ticket says them."""
        chosen: dict[str, PreAnswer] = {}
        for item in self.evidence:
            if not item.used:
                continue
            for answer in item.phrase.answers:
                if answer.question_id not in chosen:
                    chosen[answer.question_id] = PreAnswer(
                        answer.question_id, answer.value, item.quote
                    )
        return tuple(chosen.values())

    @property
    def requests(self) -> tuple[Request, ...]:
        found = (e.phrase.request for e in self.evidence if e.used and e.phrase.request)
        return tuple(dict.fromkeys(r for r in found if r is not None))

    def lines(self) -> tuple[str, ...]:
        return tuple(f"from the ticket: {e.line()}" for e in self.evidence)


# --------------------------------------------------------------------------- the phrase table

_EN, _ZH, _JA = Language.EN, Language.ZH, Language.JA
_TWICE = (Answer(Q_COMPLAINT, "charged_twice"),)
_FAILED = (Answer(Q_COMPLAINT, "payment_failed"),)
_NO_CANCEL = (Answer(Q_COMPLAINT, "cannot_cancel"), Answer(Q_CANCEL, "no"))
_CANCEL_TRY = (Answer(Q_COMPLAINT, "cannot_cancel"),)
_BROKEN = (Answer(Q_COMPLAINT, "product_broken"),)
_TEAM = (Answer(Q_TEAM, "yes"),)
_OTHERS = (Answer(Q_TEAM, "yes"), Answer(Q_PEOPLE, "yes"))
_ONE_PERSON = (Answer(Q_PEOPLE, "no"),)


def _rows(language: Language, answers: tuple[Answer, ...], *texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase(t, language, answers) for t in texts)


def _asks(language: Language, request: Request, *texts: str) -> tuple[Phrase, ...]:
    return tuple(Phrase(t, language, request=request) for t in texts)


#: Every phrase the reader knows (one home: a new phrase is a new row here).
PHRASES: tuple[Phrase, ...] = (
    *_rows(
        _EN,
        _TWICE,
        "charged twice",
        "charged me twice",
        "double charged",
        "double charge",
        "billed twice",
        "billed me twice",
        "paid twice",
        "paying … twice",
        "two charges",
        "duplicate charge",
        "charged two times",
        "subscribed twice",
        "two subscriptions",
    ),
    *_rows(
        _EN,
        _FAILED,
        "payment failed",
        "failed payment",
        "declined",
        "card expired",
        "expired card",
        "payment didn't go through",
        "couldn't pay",
        "can't pay",
    ),
    *_rows(
        _EN,
        _NO_CANCEL,
        "can't cancel",
        "cannot cancel",
        "couldn't cancel",
        "unable to cancel",
        "no cancel button",
        "no way to cancel",
    ),
    *_rows(_EN, _CANCEL_TRY, "trying to cancel", "tried to cancel"),
    *_rows(
        _EN,
        _BROKEN,
        "was down",
        "were down",
        "is down",
        "outage",
        "unusable",
        "didn't work",
        "did not work",
        "doesn't work",
        "does not work",
        "not working",
        "stopped working",
    ),
    *_rows(_EN, _TEAM, "team", "seats", "seat"),
    *_rows(_EN, _OTHERS, "colleagues", "colleague", "teammates", "coworkers", "my family"),
    *_rows(_EN, _ONE_PERSON, "one account", "just me", "only me"),
    *_asks(_EN, Request.REFUND, "refund", "want … refunded", "like … refunded", "money back"),
    *_asks(_EN, Request.CANCEL, "please cancel", "cancel my"),
    *_asks(_EN, Request.CHANGE_SEATS, "reduce … seats", "remove … seats", "add … seats"),
    *_rows(
        _ZH,
        _TWICE,
        "扣了两次",
        "扣款两次",
        "被扣两次",
        "两次扣款",
        "重复扣款",
        "重复收费",
        "扣了两笔",
        "双重扣款",
        "多扣了",
    ),
    *_rows(
        _ZH,
        _FAILED,
        "支付失败",
        "付款失败",
        "扣款失败",
        "卡被拒",
        "卡过期",
        "卡已过期",
    ),
    *_rows(_ZH, _NO_CANCEL, "无法取消", "不能取消", "取消不了", "没有取消按钮", "找不到取消"),
    *_rows(
        _ZH,
        _BROKEN,
        "服务中断",
        "宕机",
        "服务不可用",
        "无法使用",
        "用不了",
        "故障",
        "停机",
    ),
    *_rows(_ZH, _TEAM, "团队", "席位"),
    *_rows(_ZH, _OTHERS, "同事", "家人"),
    *_rows(_ZH, _ONE_PERSON, "只有一个账户", "只有一个账号"),
    *_asks(_ZH, Request.REFUND, "退款", "退还", "退钱"),
    *_rows(_JA, _TWICE, "二重に請求", "二重請求", "二重に課金", "二回請求"),
    *_rows(_JA, _BROKEN, "障害", "使えない"),
    *_asks(_JA, Request.REFUND, "返金"),
)


# --------------------------------------------------------------------------- matching

_GAP = "…"
_GAP_WORDS = 6
_LOOKBACK_WORDS = 3
_LOOKBACK_CHARS = 3
_LOOKAHEAD_CHARS = 8
_EN_NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither"})
_ZH_NEGATORS = frozenset("没不未无")
_JA_NEGATION = re.compile(r"ない|ません|なかった")
_AUXILIARIES = frozenset(
    [
        "am",
        "are",
        "is",
        "was",
        "were",
        "do",
        "does",
        "did",
        "will",
        "would",
        "can",
        "could",
        "shall",
        "should",
        "have",
        "has",
        "had",
    ]
)
_CLAUSE_BREAK = re.compile(r"[.!?;,:()\n。！？；，、：（）]|\bbut\b|\bhowever\b|但是|但")
_SENTENCE_BREAK = re.compile(r"[.!?\n。！？]")
_WORD = re.compile(r"[\w']+")


def _pattern(phrase: Phrase) -> re.Pattern[str]:
    """The phrase as one compiled pattern (the only place a phrase becomes a regex)."""
    if phrase.language != Language.EN:
        return re.compile(r"\s*".join(re.escape(ch) for ch in phrase.text if not ch.isspace()))
    gap = rf"(?:[\s-]+[^\s.!?,;:]+){{0,{_GAP_WORDS}}}?"
    body = ""
    for word in phrase.text.split():
        if word == _GAP:
            body += gap
        else:
            body += (r"[\s-]+" if body else "") + re.escape(word)
    return re.compile(rf"(?<![\w']){body}(?![\w'])", re.IGNORECASE)


_PATTERNS: tuple[tuple[Phrase, re.Pattern[str]], ...] = tuple((p, _pattern(p)) for p in PHRASES)


def _clause_before(text: str, start: int) -> str:
    before = text[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def _negation(text: str, start: int, end: int, language: Language) -> str:
    """The negating word in front of (Japanese: after) the match, or ``""``."""
    if language == Language.JA:
        after = _SENTENCE_BREAK.split(text[end : end + _LOOKAHEAD_CHARS], maxsplit=1)[0]
        found = _JA_NEGATION.search(after)
        return found.group(0) if found else ""
    clause = _clause_before(text, start)
    if language == Language.ZH:
        return next((ch for ch in clause[-_LOOKBACK_CHARS:] if ch in _ZH_NEGATORS), "")
    for word in _WORD.findall(clause)[-_LOOKBACK_WORDS:]:
        lowered = word.lower()
        if lowered in _EN_NEGATORS or lowered.endswith("n't"):
            return str(word)
    return ""


def _question(text: str, start: int, end: int) -> str:
    """The auxiliary opening the yes/no question the match stands in (``""``: not one)."""
    starts = [m.end() for m in _SENTENCE_BREAK.finditer(text[:start])]
    begin = starts[-1] if starts else 0
    after = _SENTENCE_BREAK.search(text, end)
    if after is None or after.group(0) not in "?？":
        return ""
    sentence = text[begin : after.start()]
    if re.search(r"吗\s*$", sentence):
        return "吗"
    words = _WORD.findall(sentence)
    return words[0] if words and words[0].lower() in _AUXILIARIES else ""


def read_ticket(text: str) -> TicketReading:
    """Every phrase of :data:`PHRASES` in ``text``, in the order they appear."""
    normal = text.replace("\u2019", "'").replace("\u2018", "'")
    found: list[TicketEvidence] = []
    for phrase, pattern in _PATTERNS:
        for match in pattern.finditer(normal):
            start, end = match.span()
            cue = _negation(normal, start, end, phrase.language)
            status = MatchStatus.NEGATED if cue else MatchStatus.STATED
            if not cue and (cue := _question(normal, start, end)):
                status = MatchStatus.ASKED
            quote = " ".join(text[start:end].split())  # a line break in the words reads as a space
            found.append(TicketEvidence(phrase, quote, start, end, status, cue))
    found.sort(key=lambda e: (e.start, -e.end))
    return TicketReading(text, _without_overlaps(found))


def _without_overlaps(found: list[TicketEvidence]) -> tuple[TicketEvidence, ...]:
    """Keep the longest of matches that cover the same words with the same meaning ("double
    charge" inside "double charged" is said once)."""
    kept: list[TicketEvidence] = []
    for item in found:
        if any(
            k.start <= item.start
            and item.end <= k.end
            and k.phrase.answers == item.phrase.answers
            and k.phrase.request == item.phrase.request
            for k in kept
        ):
            continue
        kept.append(item)
    return tuple(kept)
