"""Pure anomaly detectors over a :class:`~billing_tui.core.model.CustomerSnapshot`.

Each detector is a small pure function ``(snapshot, settings, now) -> list[Anomaly]``; ``refs``
are the ids of the rows an anomaly concerns, so the TUI can highlight them. The codes, their
severities and their exact rules are the table in ``docs/anomalies.md``; every threshold comes
from :class:`~billing_tui.core.settings.Settings`. :func:`detect` runs them all.

Detectors never depend on the order of the snapshot's tuples: every one sorts what it reads
(oldest first, then by id), so the same billing state always gives the same anomalies.
Titles are short; details are one specific sentence an operator can read aloud. Neither ever
contains a card fingerprint or a full email address (emails go through
:func:`~billing_tui.core.text.mask_email`).

The package: :mod:`.base` (the type, the codes, the severities), one module per family of
detectors (:mod:`.subscriptions`, :mod:`.payments`, :mod:`.charges`, :mod:`.account`), and here
the registry (:data:`DETECTORS`) and :func:`detect`. What the detectors ask of a snapshot (plan
names, paying cards, duplicate groups, …) is :mod:`billing_tui.core.queries`, shared with the
classifier and the planner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from billing_tui.core.anomalies.account import (
    detect_customer_balance,
    detect_portal,
    detect_proration_activity,
)
from billing_tui.core.anomalies.base import (
    ALL_CODES,
    CANCEL_PENDING,
    CARD_EXPIRED,
    CARD_EXPIRES_BEFORE_RENEWAL,
    CROSS_CUSTOMER_DUPLICATE,
    CUSTOMER_BALANCE,
    DISPUTED_CHARGE,
    DOUBLE_CHARGE,
    DUPLICATE_CUSTOMER,
    DUPLICATE_SUBSCRIPTION,
    INCOMPLETE_CHECKOUT,
    MIXED_INTERVAL,
    NO_PAYMENT_METHOD,
    PAYMENT_FAILED,
    PORTAL_CANCEL_DISABLED,
    PORTAL_INVOICE_HISTORY_DISABLED,
    PORTAL_MISSING,
    PORTAL_PAYMENT_UPDATE_DISABLED,
    PRORATION_ACTIVITY,
    REFUNDED_CHARGE,
    SEVERITIES,
    TEAM_PURCHASE_PATTERN,
    TRIAL_ENDING_WITHOUT_PAYMENT_METHOD,
    Anomaly,
    Detector,
    Severity,
)
from billing_tui.core.anomalies.charges import (
    detect_disputed_charge,
    detect_double_charge,
    detect_refunded_charge,
)
from billing_tui.core.anomalies.payments import (
    detect_card_expired,
    detect_card_expires_before_renewal,
    detect_incomplete_checkout,
    detect_no_payment_method,
    detect_payment_failed,
    detect_trial_ending_without_payment_method,
)
from billing_tui.core.anomalies.subscriptions import (
    detect_cancel_pending,
    detect_cross_customer_duplicate,
    detect_duplicate_customer,
    detect_duplicate_subscription,
    detect_mixed_interval,
    detect_team_purchase_pattern,
)
from billing_tui.core.model import CustomerSnapshot
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "ALL_CODES",
    "CANCEL_PENDING",
    "CARD_EXPIRED",
    "CARD_EXPIRES_BEFORE_RENEWAL",
    "CROSS_CUSTOMER_DUPLICATE",
    "CUSTOMER_BALANCE",
    "DETECTORS",
    "DISPUTED_CHARGE",
    "DOUBLE_CHARGE",
    "DUPLICATE_CUSTOMER",
    "DUPLICATE_SUBSCRIPTION",
    "INCOMPLETE_CHECKOUT",
    "MIXED_INTERVAL",
    "NO_PAYMENT_METHOD",
    "PAYMENT_FAILED",
    "PORTAL_CANCEL_DISABLED",
    "PORTAL_INVOICE_HISTORY_DISABLED",
    "PORTAL_MISSING",
    "PORTAL_PAYMENT_UPDATE_DISABLED",
    "PRORATION_ACTIVITY",
    "REFUNDED_CHARGE",
    "SEVERITIES",
    "TEAM_PURCHASE_PATTERN",
    "TRIAL_ENDING_WITHOUT_PAYMENT_METHOD",
    "Anomaly",
    "Detector",
    "Severity",
    "codes",
    "detect",
    "sort_key",
]

#: Every detector, in the order of the table in docs/anomalies.md.
DETECTORS: tuple[Detector, ...] = (
    detect_duplicate_subscription,
    detect_duplicate_customer,
    detect_cross_customer_duplicate,
    detect_team_purchase_pattern,
    detect_mixed_interval,
    detect_payment_failed,
    detect_incomplete_checkout,
    detect_card_expired,
    detect_card_expires_before_renewal,
    detect_no_payment_method,
    detect_trial_ending_without_payment_method,
    detect_disputed_charge,
    detect_refunded_charge,
    detect_double_charge,
    detect_proration_activity,
    detect_cancel_pending,
    detect_customer_balance,
    detect_portal,
)


def sort_key(anomaly: Anomaly) -> tuple[int, str, tuple[str, ...]]:
    return (-anomaly.severity, anomaly.code, anomaly.refs)


def detect(
    snapshot: CustomerSnapshot,
    settings: Settings = DEFAULT_SETTINGS,
    now: datetime | None = None,
) -> tuple[Anomaly, ...]:
    """Every anomaly in ``snapshot``, most severe first (then by code and refs).

    ``now`` defaults to the snapshot's own clock (``loaded_at``), so a snapshot taken from the
    sandbox is judged at the sandbox's time.
    """
    when = now or snapshot.loaded_at
    found: list[Anomaly] = []
    for detector in DETECTORS:
        found.extend(detector(snapshot, settings, when))
    return tuple(sorted(found, key=sort_key))


def codes(anomalies: Iterable[Anomaly]) -> frozenset[str]:
    """The set of codes among ``anomalies``."""
    return frozenset(a.code for a in anomalies)
