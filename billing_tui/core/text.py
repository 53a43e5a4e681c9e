"""The shared vocabulary: the one home of every rule that turns a value into words or masks it.

- **Secrets.** :data:`KEY_PATTERN` is the only pattern in the project that recognises a Stripe
  key (``sk_``/``rk_``/``pk_`` test or live keys and ``whsec_`` signing secrets, whatever
  characters the body holds — letters, digits, underscores, dashes, dots). :func:`mask_key`
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

#: Anything shaped like a Stripe key. The body runs over letters, digits and ``_ - . *`` and
#: ends on a letter, digit or ``*`` (so a sentence's full stop is not part of the key).
KEY_PATTERN = re.compile(
    r"(?<![A-Za-z0-9])(?P<prefix>" + "|".join(map(re.escape, KEY_PREFIXES)) + ")"
    r"(?P<body>[A-Za-z0-9_.*\-]*[A-Za-z0-9*])"
)

#: A key body shorter than this shows no characters at all: four of a handful is too many.
_MIN_BODY_FOR_TAIL = 8

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_DIGIT_RUN = re.compile(r"(?<![A-Za-z0-9])\d(?:[ -]?\d){12,18}(?![A-Za-z0-9])")
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
    """Card-like numbers (13–19 digits, spaces or dashes allowed, Luhn-valid) removed."""

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return CARD_NUMBER_REMOVED if _luhn(digits) else match.group(0)

    return _DIGIT_RUN.sub(card, text)


def redact(text: str, *, emails: bool = True) -> str:
    """Keys masked to their last four, emails to ``j***@example.com``, card numbers removed.

    ``emails=False`` keeps email addresses (the case log keeps the one the operator searched).
    """
    text = redact_keys(text)
    if emails:
        text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return redact_card_numbers(text)


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
    s = abs(int(seconds))
    if s < 120:
        return f"{s} s"
    if s < 2 * 3600:
        return f"{-(-s // 60)} min"
    if s < 2 * 86400:
        return f"{-(-s // 3600)} h"
    return f"{-(-s // 86400)} days"


def human_gap(seconds: float) -> str:
    """``92 s``, ``14 min``, ``3 h``, ``2 days``: how far apart two events were."""
    s = abs(int(seconds))
    if s < 120:
        return f"{s} s"
    if s < 2 * 3600:
        return f"{s // 60} min"
    if s < 2 * 86400:
        return f"{s // 3600} h"
    return f"{s // 86400} days"
