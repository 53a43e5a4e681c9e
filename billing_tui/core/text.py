"""The shared vocabulary: the one home of every rule that turns a value into words or masks it.

- **Secrets.** :data:`KEY_PATTERN` is the only pattern in the project that recognises a Stripe
  key (``sk_``/``rk_``/``pk_`` test or live keys and ``whsec_`` signing secrets, whatever
  characters the body holds, up to a space, a quote or a bracket). :func:`mask_key`
  shows a key as its prefix and last four characters at most; :func:`redact` masks every key,
  every email address and every card-like (13–19 digit, Luhn-valid) number in a text. Screens,
  the CLI, errors, the case log and exports all call these.
- **People.** :func:`normalise_email` (trimmed, case-folded) is how two emails are compared;
  :func:`mask_email` is how one is shown where PII must not be.
- **Cards.** :func:`brand_label` and :func:`card_label`: one brand table.
- **Dates and spans.** :func:`date_label`, :func:`time_label` (UTC), :func:`human_gap`.

Pure: no I/O, no Textual, no stripe.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Protocol

# --------------------------------------------------------------------------- secrets

#: The prefixes a Stripe secret may start with, longest first.
KEY_PREFIXES: tuple[str, ...] = (
    "sk_test_",
    "sk_live_",
    "rk_test_",
    "rk_live_",
    "pk_test_",
    "pk_live_",
    "whsec_",
)

#: Anything shaped like a Stripe key: a known prefix, wherever it starts (glued to a word too),
#: and a body of any characters up to a space, a quote, a bracket, ``,;|`` or ``…`` (the mark of
#: an already masked key), ending on a letter, a digit or ``*`` (so a sentence's full stop is
#: not part of the key). Over-masking a word is the price of never showing a key.
_KEY_CHAR = r"[^\s\"'`<>()\[\]{},;|…]"
KEY_PATTERN = re.compile(
    r"(?P<prefix>" + "|".join(map(re.escape, KEY_PREFIXES)) + ")"
    r"(?P<body>" + _KEY_CHAR + r"*[A-Za-z0-9*])"
)

#: A key body shorter than this shows no characters at all: four of a handful is too many.
_MIN_BODY_FOR_TAIL = 8

#: An e-mail address: RFC 5322's atext in the local part, any labels (punycode too) after ``@``.
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_QUOTES = "'`"
#: A run of digit groups with single spaces or dashes between (``4242 4242 4242 4242``), standing
#: alone: digits inside a word (an id like ``ch_pop7n000024``, a hex digest, an idempotency key)
#: are not a card number, and removing them would corrupt the id.
_DIGIT_RUN = re.compile(r"(?<![\w])\d+(?:[ -]\d+)*(?![0-9])")
_GROUP_SEPARATOR = re.compile(r"([ -])")
_CARD_DIGITS = range(13, 20)
CARD_NUMBER_REMOVED = "[card number removed]"


def mask_key(key: str) -> str:
    """``sk_live_…abcd``: the key's known prefix and its last four characters, nothing more.

    Short bodies show only the prefix (``sk_test_…``); a value with no known prefix shows
    ``…abcd`` (or ``…`` when short).
    """
    key = key.strip()
    prefix = next((p for p in KEY_PREFIXES if key.startswith(p)), "")
    body = key[len(prefix) :]
    tail = body[-4:] if len(body) >= _MIN_BODY_FOR_TAIL else ""
    return f"{prefix}…{tail}"


def redact_keys(text: str) -> str:
    """Every key-shaped token in ``text`` masked by :func:`mask_key`."""
    if "_" not in text:
        return text
    return KEY_PATTERN.sub(lambda m: mask_key(m.group(0)), text)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def redact_card_numbers(text: str) -> str:
    """Card-like numbers (13–19 digits, spaces or dashes allowed, Luhn-valid) removed — also
    when other numbers stand next to them (``order 1234 4242 4242 4242 4242``)."""
    return _DIGIT_RUN.sub(lambda m: _without_cards(m.group(0)), text)


def _without_cards(run: str) -> str:
    """One run of digit groups with every Luhn-valid 13–19 digit stretch of whole groups
    (the longest from each group on) replaced by :data:`CARD_NUMBER_REMOVED`."""
    pieces = _GROUP_SEPARATOR.split(run)  # digits, separator, digits, …
    groups = pieces[0::2]
    out: list[str] = []
    start = 0
    while start < len(groups):
        end = _card_end(groups, start)
        if end is None:
            out.append(groups[start])
            if start + 1 < len(groups):
                out.append(pieces[2 * start + 1])
            start += 1
            continue
        out.append(CARD_NUMBER_REMOVED)
        if end < len(groups):
            out.append(pieces[2 * end - 1])
        start = end
    return "".join(out)


def _card_end(groups: list[str], start: int) -> int | None:
    """Where the longest card number starting at ``groups[start]`` ends (exclusive), if any."""
    found = None
    digits = ""
    for end in range(start + 1, len(groups) + 1):
        digits += groups[end - 1]
        if len(digits) > _CARD_DIGITS[-1]:
            break
        if len(digits) in _CARD_DIGITS and _luhn(digits):
            found = end
    return found


def redact_emails(text: str) -> str:
    """Every e-mail address in ``text`` masked by :func:`mask_email`."""
    if "@" not in text:
        return text
    return _EMAIL.sub(lambda m: _masked_address(m.group(0)), text)


def _masked_address(found: str) -> str:
    """A matched address masked; quotes it starts with (``'dana@…'``) are kept as quotes."""
    address = found.lstrip(_QUOTES)
    return found[: len(found) - len(address)] + mask_email(address)


def redact(text: str) -> str:
    """Keys masked to their last four, emails to ``j***@example.com``, card numbers removed:
    the one rule for every text shown, printed, written to the case log or exported."""
    return redact_card_numbers(redact_emails(redact_keys(text)))


# --------------------------------------------------------------------------- people


def normalise_email(email: str | None) -> str | None:
    """How two emails are compared: trimmed and case-folded; blank is ``None``."""
    if email is None:
        return None
    return email.strip().casefold() or None


def mask_email(email: str | None) -> str:
    """``jane.doe@example.com`` → ``j***@example.com``; the form used in logs and handoffs."""
    if not email:
        return "—"
    local, sep, domain = email.partition("@")
    if not sep:
        return local[:1] + "***"
    return f"{local[:1]}***@{domain}"


# --------------------------------------------------------------------------- cards

_BRANDS = {
    "amex": "American Express",
    "american_express": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def brand_label(brand: str) -> str:
    """Stripe's card brand code as people write it: ``jcb`` → ``JCB``."""
    return _BRANDS.get(brand.lower(), brand.replace("_", " ").title())


class ShownCard(Protocol):
    """What may be shown of a card: its brand code and last four digits (never more)."""

    @property
    def brand(self) -> str: ...

    @property
    def last4(self) -> str: ...


def card_label(card: ShownCard | None) -> str:
    """``Visa ····4242``: what may be shown of a card (never the fingerprint)."""
    if card is None:
        return "a card"
    return f"{brand_label(card.brand)} ····{card.last4}"


# --------------------------------------------------------------------------- dates and spans

DASH = "—"


def date_label(value: datetime | None, missing: str = DASH) -> str:
    """``2026-11-23`` (the UTC date), or ``missing``."""
    if value is None:
        return missing
    return _utc(value).strftime("%Y-%m-%d")


def time_label(value: datetime | None, missing: str = DASH) -> str:
    """``2026-11-23 14:05`` (UTC), or ``missing``."""
    if value is None:
        return missing
    return _utc(value).strftime("%Y-%m-%d %H:%M")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def human_span(seconds: float) -> str:
    """A bound that holds for a spread of ``seconds``: rounded UP (290 s is "within 5 min",
    never "within 4 min"); below two minutes, the seconds themselves."""
    return _duration(seconds, up=True)


def human_gap(seconds: float) -> str:
    """``92 s``, ``14 min``, ``3 h``, ``2 days``: how far apart two events were."""
    return _duration(seconds, up=False)


def _duration(seconds: float, *, up: bool) -> str:
    """``seconds`` in the largest unit that keeps it at two or more, rounded up or down."""
    s = abs(int(seconds))
    if s < 120:
        return f"{s} s"
    unit, size = next(
        ((u, n) for u, n, below in (("min", 60, 2 * 3600), ("h", 3600, 2 * 86400)) if s < below),
        ("days", 86400),
    )
    return f"{-(-s // size) if up else s // size} {unit}"


def count_label(count: int | str, one: str, many: str | None = None) -> str:
    """``1 seat`` / ``3 seats`` (``many`` defaults to ``one + "s"``): a count with its noun in
    the right number, for the operator's English text (the follow-up has its own templates)."""
    try:
        singular = int(count) == 1
    except ValueError:
        singular = False
    return f"{count} {one if singular else (many or one + 's')}"
