"""Amounts as text in the sandbox's own descriptions (invoice lines): ``$19.99``, ``¥1,200``.

The strings are the ones the workstation's ``Money.format()`` prints, so generated line
descriptions read like the rest of the app; the sandbox keeps its own copy to stay standalone.
(Stripe's error messages use :func:`billing_tui.sandbox.wire.format_money`, Stripe's form.)
"""

from __future__ import annotations

from decimal import Decimal

from billing_tui.sandbox.wire import ZERO_DECIMAL

_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "¥", "krw": "₩",
    "inr": "₹", "cad": "CA$", "aud": "A$", "chf": "CHF ", "sek": "SEK ", "brl": "R$",
}  # fmt: skip


def _exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """``amount`` minor units as ``$19.99``, ``¥1,200``, ``-€5.00`` or ``1.500 KWD``."""
    cur = currency.lower()
    exp = _exponent(cur)
    sign = "-" if amount < 0 else ""
    number = f"{abs(Decimal(amount).scaleb(-exp)):,.{exp}f}"
    symbol = _SYMBOLS.get(cur)
    if symbol is None:
        return f"{sign}{number} {cur.upper()}"
    return f"{sign}{symbol}{number}"
