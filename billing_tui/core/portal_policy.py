"""Billing-portal validation: check the account's portal configurations against a visible policy.

Each check says what customers run into when it fails, which product gap it is, and (where a
configuration change fixes it) the exact change as form parameters for
``POST /v1/billing_portal/configurations/{id}`` plus a before → after diff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from billing_tui.core.model import PortalConfiguration, Price


@dataclass(frozen=True)
class PortalFix:
    configuration_id: str
    params: tuple[tuple[str, str], ...]  # form-encoded parameters of the update call
    diff: tuple[tuple[str, str, str], ...]  # (field, before, after)

    @property
    def api_call(self) -> str:
        args = " ".join(f"{k}={v}" for k, v in self.params)
        return f"POST /v1/billing_portal/configurations/{self.configuration_id} {args}"


@dataclass(frozen=True)
class PortalFinding:
    check: str  # stable id, e.g. "cancel_enabled"
    ok: bool
    title: str
    detail: str  # what customers hit when this fails
    product_gap: str | None = None  # e.g. "no cancellation flow"
    fix: PortalFix | None = None


@dataclass(frozen=True)
class PortalPolicy:
    """What the account expects of its portal. Shown to the operator beside the findings."""

    require_login_page: bool = True
    require_payment_method_update: bool = True
    require_invoice_history: bool = True
    require_cancel: bool = True
    cancel_mode: str = "at_period_end"
    require_cancel_reasons: bool = True
    require_annual_switch: bool = True
    require_downgrade_at_period_end: bool = True

    def describe(self) -> tuple[str, ...]:
        lines = []
        if self.require_login_page:
            lines.append("customers can log in to the portal from a link")
        if self.require_payment_method_update:
            lines.append("customers can replace their card")
        if self.require_invoice_history:
            lines.append("customers can download their invoices")
        if self.require_cancel:
            lines.append(f"customers can cancel themselves ({self.cancel_mode.replace('_', ' ')})")
        if self.require_cancel_reasons:
            lines.append("cancellation asks for a reason")
        if self.require_annual_switch:
            lines.append("monthly plans can switch to the annual price of the same product")
        if self.require_downgrade_at_period_end:
            lines.append("downgrades take effect at the end of the period")
        return tuple(lines)


DEFAULT_POLICY = PortalPolicy()


def _flag(value: bool) -> str:
    return "on" if value else "off"


_NO_PORTAL = PortalFinding(
    check="portal_exists",
    ok=False,
    title="No active default billing-portal configuration",
    detail=(
        "Customers have no self-serve page: every card change, invoice download "
        "and cancellation becomes a support ticket."
    ),
    product_gap="no billing portal",
)


def check_portal(
    configurations: Sequence[PortalConfiguration],
    prices: Sequence[Price],
    policy: PortalPolicy = DEFAULT_POLICY,
) -> tuple[PortalFinding, ...]:
    """Validate the account's default configuration (the one Checkout and support links use)."""
    c = next((c for c in configurations if c.is_default and c.active), None)
    if c is None:
        return (_NO_PORTAL,)
    exists = PortalFinding(
        "portal_exists", True, "An active default portal configuration exists", c.id
    )
    checks: tuple[tuple[bool, Callable[[], PortalFinding]], ...] = (
        (policy.require_login_page, lambda: _login_page(c)),
        (policy.require_payment_method_update, lambda: _payment_method_update(c)),
        (policy.require_invoice_history, lambda: _invoice_history(c)),
        (policy.require_cancel, lambda: _cancel(c, policy)),
        (policy.require_cancel and policy.require_cancel_reasons, lambda: _cancel_reasons(c)),
        (policy.require_annual_switch, lambda: _annual_switch(c, prices)),
        (policy.require_downgrade_at_period_end, lambda: _downgrade_at_period_end(c)),
    )
    return (exists, *(check() for wanted, check in checks if wanted))


def _toggle(
    c: PortalConfiguration,
    check: str,
    ok: bool,
    text: tuple[str, str, str],
    param: str,
    field: str,
) -> PortalFinding:
    """A finding fixed by turning one flag on; ``text`` is (title, detail, product gap)."""
    title, detail, gap = text
    fix = None if ok else PortalFix(c.id, ((param, "true"),), ((field, "off", "on"),))
    return PortalFinding(check, ok, title, detail, None if ok else gap, fix)


def _login_page(c: PortalConfiguration) -> PortalFinding:
    return _toggle(
        c,
        "login_page",
        c.login_page_enabled,
        (
            f"Portal login link is {_flag(c.login_page_enabled)}",
            "Without the login link customers cannot reach the portal on their own, and "
            "Checkout's 'limit customers to one subscription' cannot redirect them to it.",
            "no portal login link",
        ),
        "login_page[enabled]",
        "login_page.enabled",
    )


def _payment_method_update(c: PortalConfiguration) -> PortalFinding:
    return _toggle(
        c,
        "payment_method_update",
        c.payment_method_update_enabled,
        (
            f"Card update is {_flag(c.payment_method_update_enabled)}",
            "Customers with an expired or declined card cannot fix it themselves; their "
            "subscription goes past due and they write to support.",
            "no self-serve card update",
        ),
        "features[payment_method_update][enabled]",
        "features.payment_method_update.enabled",
    )


def _invoice_history(c: PortalConfiguration) -> PortalFinding:
    return _toggle(
        c,
        "invoice_history",
        c.invoice_history_enabled,
        (
            f"Invoice history is {_flag(c.invoice_history_enabled)}",
            "Customers cannot download receipts and invoices; finance teams ask support.",
            "no invoice downloads",
        ),
        "features[invoice_history][enabled]",
        "features.invoice_history.enabled",
    )


def _cancel(c: PortalConfiguration, policy: PortalPolicy) -> PortalFinding:
    ok = c.cancel_enabled and c.cancel_mode == policy.cancel_mode
    fix = None
    if not ok:
        fix = PortalFix(
            c.id,
            (
                ("features[subscription_cancel][enabled]", "true"),
                ("features[subscription_cancel][mode]", policy.cancel_mode),
            ),
            (
                ("features.subscription_cancel.enabled", _flag(c.cancel_enabled), "on"),
                (
                    "features.subscription_cancel.mode",
                    c.cancel_mode or "—",
                    policy.cancel_mode,
                ),
            ),
        )
    state = f"{_flag(c.cancel_enabled)}, mode {c.cancel_mode or '—'}"
    return PortalFinding(
        "cancel_enabled",
        ok,
        f"Self-serve cancellation: {state}",
        "Customers who cannot cancel themselves open support tickets, dispute charges, and "
        "in some jurisdictions the business must offer online cancellation.",
        None if ok else "no cancellation flow",
        fix,
    )


def _cancel_reasons(c: PortalConfiguration) -> PortalFinding:
    return _toggle(
        c,
        "cancel_reasons",
        (not c.cancel_enabled) or c.cancel_reasons_enabled,
        (
            f"Cancellation reasons are {_flag(c.cancel_reasons_enabled)}",
            "Without a reason at cancel time, churn cannot be explained or acted on.",
            "no cancellation reasons",
        ),
        "features[subscription_cancel][cancellation_reason][enabled]",
        "features.subscription_cancel.cancellation_reason.enabled",
    )


def _downgrade_at_period_end(c: PortalConfiguration) -> PortalFinding:
    ok = not c.update_enabled or c.update_proration_behavior in {"none", None}
    fix = None
    if not ok:
        fix = PortalFix(
            c.id,
            (
                ("features[subscription_update][proration_behavior]", "none"),
                (
                    "features[subscription_update][schedule_at_period_end][conditions][0][type]",
                    "decreasing_item_amount",
                ),
            ),
            (
                (
                    "features.subscription_update.proration_behavior",
                    c.update_proration_behavior or "—",
                    "none",
                ),
                ("features.subscription_update.schedule_at_period_end", "—", "downgrades"),
            ),
        )
    state = (
        f"on, proration {c.update_proration_behavior or 'default'}" if c.update_enabled else "off"
    )
    return PortalFinding(
        "downgrade_at_period_end",
        ok,
        "Plan changes: " + state,
        "Immediate prorated downgrades produce credits customers read as missing "
        "refunds; period-end downgrades are what customers expect.",
        None if ok else "plan change prorates immediately",
        fix,
    )


def _missing_annual_prices(c: PortalConfiguration, prices: Sequence[Price]) -> list[str]:
    """Annual prices (of products with a monthly price) that plan switching does not offer."""
    monthly_products = {p.product_id for p in prices if p.interval == "month"}
    annual_by_product = {
        p.product_id: p for p in prices if p.interval == "year" and p.interval_count == 1
    }
    offered = set(c.update_prices)
    return sorted(
        annual_by_product[pid].id
        for pid in monthly_products
        if pid in annual_by_product and annual_by_product[pid].id not in offered
    )


def _annual_switch_fix(
    c: PortalConfiguration, prices: Sequence[Price], missing: Sequence[str]
) -> PortalFix:
    """Turn plan switching on and offer, per product, what was offered plus the missing
    annual prices and their products' monthly ones."""
    offered = set(c.update_prices)
    product_of = {p.id: p.product_id for p in prices}
    fixed_products = {product_of[pid] for pid in missing}
    monthly = {p.id for p in prices if p.interval == "month" and p.product_id in fixed_products}
    wanted = sorted((offered & product_of.keys()) | set(missing) | monthly)
    by_product: dict[str, list[str]] = {}
    for price_id in wanted:
        by_product.setdefault(product_of[price_id], []).append(price_id)
    params = [
        ("features[subscription_update][enabled]", "true"),
        ("features[subscription_update][default_allowed_updates][0]", "price"),
    ]
    for i, (product_id, price_ids) in enumerate(sorted(by_product.items())):
        base = f"features[subscription_update][products][{i}]"
        params.append((f"{base}[product]", product_id))
        params.extend((f"{base}[prices][{j}]", pid) for j, pid in enumerate(price_ids))
    before = ", ".join(sorted(offered)) or "—"
    return PortalFix(
        c.id, tuple(params), (("features.subscription_update.prices", before, ", ".join(wanted)),)
    )


def _annual_switch(c: PortalConfiguration, prices: Sequence[Price]) -> PortalFinding:
    """Each product with a monthly price must offer its annual price in plan switching."""
    missing = _missing_annual_prices(c, prices)
    if c.update_enabled and "price" in c.update_allowed and not missing:
        return PortalFinding(
            "annual_switch", True, "Monthly plans can switch to annual", "all annual prices offered"
        )
    return PortalFinding(
        "annual_switch",
        False,
        "Monthly plans cannot switch to annual in the portal",
        "Customers who want annual billing buy a second subscription and ask for the monthly "
        "one to be refunded — the duplicate/proration tickets this tool handles. Missing: "
        + (", ".join(missing) or "plan switching is off"),
        "no monthly→annual switch",
        _annual_switch_fix(c, prices, missing) if missing else None,
    )
