"""What every detector shares: :class:`Anomaly`, :class:`Severity`, the codes and their severities.

The codes and their exact rules are the table in ``docs/anomalies.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from billing_tui.core.model import CustomerSnapshot
from billing_tui.core.settings import Settings
from billing_tui.core.text import date_label


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Anomaly:
    code: str
    severity: Severity
    title: str
    detail: str
    refs: tuple[str, ...] = ()


Detector = Callable[[CustomerSnapshot, Settings, datetime], list[Anomaly]]

# --------------------------------------------------------------------------- codes

DUPLICATE_SUBSCRIPTION = "duplicate_subscription"
DUPLICATE_CUSTOMER = "duplicate_customer"
CROSS_CUSTOMER_DUPLICATE = "cross_customer_duplicate"
TEAM_PURCHASE_PATTERN = "team_purchase_pattern"
MIXED_INTERVAL = "mixed_interval"
PAYMENT_FAILED = "payment_failed"
INCOMPLETE_CHECKOUT = "incomplete_checkout"
CARD_EXPIRED = "card_expired"
CARD_EXPIRES_BEFORE_RENEWAL = "card_expires_before_renewal"
NO_PAYMENT_METHOD = "no_payment_method"
TRIAL_ENDING_WITHOUT_PAYMENT_METHOD = "trial_ending_without_payment_method"
DISPUTED_CHARGE = "disputed_charge"
REFUNDED_CHARGE = "refunded_charge"
DOUBLE_CHARGE = "double_charge"
PRORATION_ACTIVITY = "proration_activity"
CANCEL_PENDING = "cancel_pending"
CUSTOMER_BALANCE = "customer_balance"
PORTAL_MISSING = "portal_missing"
PORTAL_CANCEL_DISABLED = "portal_cancel_disabled"
PORTAL_PAYMENT_UPDATE_DISABLED = "portal_payment_update_disabled"
PORTAL_INVOICE_HISTORY_DISABLED = "portal_invoice_history_disabled"

#: Every code a detector can raise, with its severity (the table in docs/anomalies.md).
SEVERITIES: dict[str, Severity] = {
    DUPLICATE_SUBSCRIPTION: Severity.CRITICAL,
    DUPLICATE_CUSTOMER: Severity.WARNING,
    CROSS_CUSTOMER_DUPLICATE: Severity.CRITICAL,
    TEAM_PURCHASE_PATTERN: Severity.INFO,
    MIXED_INTERVAL: Severity.WARNING,
    PAYMENT_FAILED: Severity.CRITICAL,
    INCOMPLETE_CHECKOUT: Severity.WARNING,
    CARD_EXPIRED: Severity.WARNING,
    CARD_EXPIRES_BEFORE_RENEWAL: Severity.INFO,
    NO_PAYMENT_METHOD: Severity.WARNING,
    TRIAL_ENDING_WITHOUT_PAYMENT_METHOD: Severity.WARNING,
    DISPUTED_CHARGE: Severity.CRITICAL,
    REFUNDED_CHARGE: Severity.INFO,
    DOUBLE_CHARGE: Severity.CRITICAL,
    PRORATION_ACTIVITY: Severity.INFO,
    CANCEL_PENDING: Severity.INFO,
    CUSTOMER_BALANCE: Severity.INFO,
    PORTAL_MISSING: Severity.CRITICAL,
    PORTAL_CANCEL_DISABLED: Severity.WARNING,
    PORTAL_PAYMENT_UPDATE_DISABLED: Severity.WARNING,
    PORTAL_INVOICE_HISTORY_DISABLED: Severity.INFO,
}

ALL_CODES: frozenset[str] = frozenset(SEVERITIES)


def anomaly(code: str, title: str, detail: str, refs: Iterable[str] = ()) -> Anomaly:
    """An :class:`Anomaly` of ``code`` at the code's severity."""
    return Anomaly(code, SEVERITIES[code], title, detail, tuple(refs))


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def date_text(value: datetime | None) -> str:
    """A date in a detail sentence (``unknown date`` when missing)."""
    return date_label(value, "unknown date")
