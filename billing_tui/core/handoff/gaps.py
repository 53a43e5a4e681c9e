"""Product gaps: what the product or website should fix, as ready backlog items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing_tui.core.anomalies import Anomaly
from billing_tui.core.classify import Bucket
from billing_tui.core.handoff.document import ProductGap
from billing_tui.core.model import CustomerSnapshot


def _gap_body(problem: str, evidence: Sequence[str], proposal: str, done: str) -> str:
    lines = ["## Problem", problem, "", "## Evidence"]
    lines += [f"- {item}" for item in evidence] or ["- (none recorded)"]
    lines += ["", "## Proposal", proposal, "", "## Done when", done]
    return "\n".join(lines)


@dataclass(frozen=True)
class _GapCase:
    """What the product-gap rules look at: the anomaly codes, the bucket, the portal."""

    snapshot: CustomerSnapshot
    codes: frozenset[str]
    bucket: Bucket | None
    ref: str

    @property
    def bucket_name(self) -> str:
        return self.bucket.value if self.bucket else "none"

    @property
    def no_portal(self) -> bool:
        return "portal_missing" in self.codes or (
            self.snapshot.portal_known and self.snapshot.portal is None
        )


def _gap_no_portal(case: _GapCase) -> ProductGap | None:
    if not case.no_portal:
        return None
    return ProductGap(
        "Customers have no billing portal",
        _gap_body(
            "No active Stripe customer-portal configuration applies, so customers cannot "
            "update a card, download invoices or cancel without writing to support.",
            [f"{case.ref}: anomaly `portal_missing`"],
            "Save a customer-portal configuration (payment method update, invoice "
            "history, cancel at period end) and link it from the account page.",
            "A customer can open the portal from the account page and update their card.",
        ),
        "no_billing_portal",
    )


def _gap_no_cancellation(case: _GapCase) -> ProductGap | None:
    portal = case.snapshot.portal
    flagged = "portal_cancel_disabled" in case.codes
    cancel_blocked = flagged or (portal is not None and not portal.cancel_enabled)
    if case.no_portal or not cancel_blocked:
        return None
    if not (case.bucket == Bucket.MISSING_SELF_SERVE or flagged):
        return None
    return ProductGap(
        "Customers cannot cancel their subscription themselves",
        _gap_body(
            "The customer portal has cancellation turned off, so every cancellation is "
            "a support ticket (and online cancellation is expected by law in places).",
            [
                f"{case.ref}: bucket `{case.bucket_name}`",
                f"portal configuration {portal.id if portal else '—'}: "
                "`features.subscription_cancel.enabled = false`",
            ],
            "Enable `subscription_cancel` (mode `at_period_end`) with cancellation "
            "reasons, or add a cancel button to the account page.",
            "A customer can cancel at period end without contacting support.",
        ),
        "no_cancellation_flow",
    )


def _gap_duplicate_checkout(case: _GapCase) -> ProductGap | None:
    duplicate = {"duplicate_subscription", "cross_customer_duplicate"}
    if not (case.bucket == Bucket.DUPLICATE_PERSONAL or case.codes & duplicate):
        return None
    dup_codes = case.codes & (duplicate | {"duplicate_customer"})
    return ProductGap(
        "Checkout lets a customer buy the same subscription twice",
        _gap_body(
            "A second checkout (double click, retry after a spinner, or a second "
            "customer record for the same email) created a duplicate subscription.",
            [f"{case.ref}: anomalies {', '.join(sorted(dup_codes)) or 'none'}"],
            "Before creating a subscription, look up live subscriptions to the same "
            "product for the customer and for every customer sharing the normalised "
            "email; reuse one idempotency key per checkout attempt; enable Checkout's "
            "'limit customers to one subscription'.",
            "Double-submitting checkout leaves exactly one subscription and one charge.",
        ),
        "no_duplicate_guard",
    )


def _gap_plan_explanation(case: _GapCase) -> ProductGap | None:
    confusing = case.codes & {"proration_activity", "mixed_interval"}
    if not (
        case.bucket == Bucket.TEAM_INTENT
        or (case.bucket == Bucket.MISSING_SELF_SERVE and confusing)
    ):
        return None
    shown = case.codes & {"team_purchase_pattern", "proration_activity", "mixed_interval"}
    return ProductGap(
        "The plan and seat billing is not explained where customers pay",
        _gap_body(
            "The customer did not understand what they were billed for (seats, "
            "proration on an upgrade, or monthly and annual plans side by side).",
            [
                f"{case.ref}: bucket `{case.bucket_name}`",
                *(f"anomaly `{c}`" for c in sorted(shown)),
            ],
            "Show seats × unit price, the next invoice and any proration preview on "
            "the billing page and in the checkout/upgrade confirmation.",
            "The billing page states the seat count, the unit price and the next "
            "invoice amount and date.",
        ),
        "no_plan_seat_explanation",
    )


def _gap_usage_visibility(case: _GapCase) -> ProductGap | None:
    if case.bucket != Bucket.PRODUCT_FAILURE:
        return None
    return ProductGap(
        "Customers cannot see their usage or rate limits",
        _gap_body(
            "The customer paid but the product did not deliver what they expected, and "
            "they had no way to see usage or limits before asking for a refund.",
            [f"{case.ref}: bucket `product_failure`"],
            "Show current usage, limits and recent errors in the account, and link the "
            "status page from the billing page.",
            "A customer can see usage against limits without contacting support.",
        ),
        "no_usage_visibility",
    )


#: The product-gap rules, in the order the gaps are listed.
_GAP_RULES = (
    _gap_no_portal,
    _gap_no_cancellation,
    _gap_duplicate_checkout,
    _gap_plan_explanation,
    _gap_usage_visibility,
)


def product_gaps(
    snapshot: CustomerSnapshot,
    anomalies: Sequence[Anomaly],
    bucket: Bucket | None,
    *,
    case_id: str | None = None,
) -> tuple[ProductGap, ...]:
    """What the product or website should fix, as ready backlog items (no customer PII)."""
    ref = f"case {case_id}" if case_id else "a support case"
    case = _GapCase(snapshot, frozenset(a.code for a in anomalies), bucket, ref)
    found = (rule(case) for rule in _GAP_RULES)
    return tuple(gap for gap in found if gap is not None)
