"""Money: exact minor-unit arithmetic, zero-decimal currencies, MRR normalisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.core.model import (
    CardDetails,
    CurrencyMismatch,
    Money,
    minor_unit_exponent,
    monthly_amount,
)
from billing_tui.core.text import mask_email

currencies = st.sampled_from(["usd", "eur", "jpy", "krw", "gbp", "cny", "kwd"])


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1999, "usd"), "$19.99"),
        (Money(1200, "jpy"), "¥1,200"),
        (Money(-500, "eur"), "-€5.00"),
        (Money(123456, "usd"), "$1,234.56"),
        (Money(1000, "kwd"), "1.000 KWD"),
        (Money(9900, "cny"), "¥99.00"),
        (Money(5, "xyz"), "0.05 XYZ"),
    ],
)
def test_format_shows_what_a_customer_pays(money: Money, text: str) -> None:
    assert money.format() == text


def test_zero_decimal_currencies_have_no_minor_unit() -> None:
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("usd") == 2
    assert Money(1900, "jpy").format(code=True) == "1,900 JPY"


def test_currencies_never_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, "usd") + Money(1, "eur")


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12), currencies)
def test_addition_and_subtraction_are_exact(a: int, b: int, cur: str) -> None:
    total = Money(a, cur) + Money(b, cur)
    assert total.amount == a + b
    assert (total - Money(b, cur)) == Money(a, cur)


@given(st.integers(0, 10**9), currencies)
def test_twelve_months_of_an_annual_price_is_within_rounding_of_the_price(
    amount: int, cur: str
) -> None:
    monthly = monthly_amount(Money(amount, cur), "year")
    assert abs(monthly.amount * 12 - amount) <= 6  # at most half a minor unit per month


@given(st.integers(0, 10**9), st.integers(1, 12))
def test_interval_count_divides_the_monthly_amount(amount: int, count: int) -> None:
    per_month = monthly_amount(Money(amount, "usd"), "month", count)
    assert abs(per_month.amount * count - amount) <= count


def test_monthly_amount_of_common_intervals() -> None:
    assert monthly_amount(Money(19000, "usd"), "year") == Money(1583, "usd")
    assert monthly_amount(Money(3000, "usd"), "month", 3) == Money(1000, "usd")
    assert monthly_amount(Money(12000, "jpy"), "year") == Money(1000, "jpy")


def test_card_expiry_is_the_end_of_the_expiry_month() -> None:
    card = CardDetails("visa", "4242", 10, 2026)
    assert card.expiry == "10/26"
    assert not card.expires_before(datetime(2026, 10, 31, 23, tzinfo=UTC))
    assert card.expires_before(datetime(2026, 11, 1, tzinfo=UTC))
    assert "4242" in card.label()
    assert "Visa" in card.label()


def test_card_fingerprint_is_never_in_the_repr() -> None:
    card = CardDetails("visa", "4242", 10, 2026, fingerprint="fpSECRET")
    assert "fpSECRET" not in repr(card)


@pytest.mark.parametrize(
    ("email", "masked"),
    [("jane.doe@example.com", "j***@example.com"), (None, "—"), ("odd", "o***")],
)
def test_mask_email(email: str | None, masked: str) -> None:
    assert mask_email(email) == masked
