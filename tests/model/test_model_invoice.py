"""Invoice: which lines are prorations, for which subscription, and what they net to."""

from __future__ import annotations

from datetime import UTC, datetime

from billing_tui.core.model import Invoice, InvoiceLine, Money

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def _line(line_id: str, amount: int, *, proration: bool, sub: str | None = None) -> InvoiceLine:
    return InvoiceLine(line_id, Money(amount, "eur"), None, NOW, NOW, proration, sub)


def test_proration_lines_net_and_the_subscription_a_line_bills() -> None:
    total = Money(1000, "eur")
    invoice = Invoice(
        "in_1",
        "cus_1",
        "paid",
        total,
        total,
        total,
        Money.zero("eur"),
        NOW,
        subscription_id="sub_a",
        lines=(
            _line("il_plan", 3000, proration=False),
            _line("il_credit", -1500, proration=True),
            _line("il_charge", 2500, proration=True, sub="sub_b"),
        ),
    )
    assert [line.id for line in invoice.proration_lines] == ["il_credit", "il_charge"]
    assert invoice.proration_net == Money(1000, "eur")
    assert [line.id for line in invoice.prorations_of("sub_a")] == ["il_credit"]
    assert [line.id for line in invoice.prorations_of("sub_b")] == ["il_charge"]
    assert invoice.prorations_of("sub_c") == ()
