"""The secret-leak scanner shared by the audits: the canary key, any Stripe secret, and any
13–19 digit Luhn-valid (card-like) number."""

from __future__ import annotations

import re

SECRET = re.compile(r"(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]{6,}")
DIGITS = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def leaks(text: str) -> list[str]:
    found = []
    if "LEAKCANARY" in text:
        found.append("the canary key")
    found += [f"secret {m}" for m in SECRET.findall(text)]
    for match in DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn(digits):
            found.append(f"card-like number {match.group(0)}")
    return found
