"""Open enums: Stripe may add values to a ``status`` (or an interval) at any time. A value this
version does not know is kept and shown as ``unknown (<value>)``, and no rule matches it (an
unknown invoice is not "open", an unknown charge did not "succeed"), so nothing acts on it.

The subscription status (an enum with an ``UNKNOWN`` member) and the price interval live with
their dataclasses in :mod:`billing_tui.core.model`; the plain-string statuses are here.
"""

from __future__ import annotations


def unknown_label(value: object) -> str:
    """How a value Stripe sent but the workstation does not know is shown: ``unknown (frozen)``."""
    return f"unknown ({value})"


#: The statuses Stripe documents for the open-enum ``status`` of invoices, charges and disputes.
INVOICE_STATUSES = frozenset({"draft", "open", "paid", "uncollectible", "void"})
CHARGE_STATUSES = frozenset({"failed", "pending", "succeeded"})
DISPUTE_STATUSES = frozenset(
    {
        "appeal_needs_response", "appeal_under_review", "lost", "needs_response", "prevented",
        "under_review", "warning_closed", "warning_needs_response", "warning_under_review", "won",
    }
)  # fmt: skip


def known_or_unknown(value: str, known: frozenset[str]) -> str:
    """``value`` when it is one of ``known``, else its ``unknown (<value>)`` label."""
    return value if value in known else unknown_label(value)
