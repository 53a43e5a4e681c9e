"""Money per currency: $19.00 and €7.00 are both shown, never one of them, never a sum."""

from __future__ import annotations

from billing_tui.core.handoff import render
from billing_tui.core.model import Money
from billing_tui.core.plans.impact import by_currency, money_text
from screens.customer_tabs import identity_text, subscription_rows
from tests.truth.truth_scenarios import load_named


def test_amounts_are_listed_per_currency_never_summed() -> None:
    values = [Money(1900, "usd"), Money(700, "eur"), Money(100, "usd")]
    assert by_currency(values) == (Money(700, "eur"), Money(2000, "usd"))
    assert money_text(values) == "€7.00 · $20.00"
    assert money_text([]) == ""


async def test_the_header_and_the_handoff_show_mrr_in_both_currencies() -> None:
    loaded = await load_named("mixed-currency")
    header = identity_text(loaded.snapshot).plain
    assert "MRR €7.00, $19.00" in header
    billing = render(loaded.snapshot, loaded.anomalies, None).section("BILLING STATE")
    assert "2 live subscriptions · MRR €7.00, $19.00 · ARR €84.00, $228.00" in billing


async def test_a_base_plus_addon_row_shows_both_items_not_their_sum() -> None:
    loaded = await load_named("base-plus-addon")
    (row,) = subscription_rows(loaded.snapshot)
    assert "1+4" in row.cells
    billing = render(loaded.snapshot, loaded.anomalies, None).section("BILLING STATE")
    assert "Pro monthly USD × 1 + Team (per seat) monthly USD × 4" in billing
    assert "5 seats" not in billing
