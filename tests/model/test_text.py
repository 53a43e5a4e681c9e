"""The one vocabulary (billing_tui.core.text): key masking of any shape, emails, cards, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.core.text import (
    brand_label,
    card_label,
    date_label,
    mask_key,
    normalise_email,
    redact,
    redact_keys,
    time_label,
)

BODY_CHARS = st.sampled_from("abcdefXYZ0123456789_-.")


def test_a_key_with_underscores_shows_only_its_last_four() -> None:
    assert redact("sk_live_51Abc_DEF0123456789xyzWXYZ") == "sk_live_…WXYZ"
    assert redact_keys("key=rk_test_a_b_c_d_e_f_g_h_1234. Next") == "key=rk_test_…1234. Next"


PREFIXES = ["sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_live_", "whsec_"]


@pytest.mark.parametrize("prefix", PREFIXES)
@given(body=st.text(BODY_CHARS, min_size=8, max_size=60).filter(lambda b: b[-1].isalnum()))
def test_no_key_body_survives_redaction_beyond_its_last_four(prefix: str, body: str) -> None:
    text = f"Stripe said: {prefix}{body} is wrong"
    shown = redact(text)
    assert body not in shown
    assert f"{prefix}…{body[-4:]}" in shown


def test_short_and_already_masked_keys() -> None:
    assert mask_key("sk_test_short") == "sk_test_…"
    assert redact_keys("sk_live_…abcd") == "sk_live_…abcd"
    assert redact_keys("no key here") == "no key here"


def test_emails_and_card_numbers() -> None:
    text = "From Bob.Smith@Example.org, card 4242 4242 4242 4242, order 1234567890123"
    shown = redact(text)
    assert "B***@Example.org" in shown
    assert "4242 4242" not in shown
    assert "1234567890123" in shown  # not Luhn-valid: not a card number


def test_emails_compare_case_folded() -> None:
    assert normalise_email("  Dana@Example.COM ") == normalise_email("dana@example.com")
    assert normalise_email("   ") is None
    assert normalise_email(None) is None


def test_one_brand_table() -> None:
    assert brand_label("amex") == brand_label("american_express") == "American Express"
    assert brand_label("some_new_brand") == "Some New Brand"
    assert card_label(None) == "a card"


def test_dates_are_utc() -> None:
    late = datetime(2026, 11, 23, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert date_label(late) == "2026-11-24"
    assert time_label(datetime(2026, 11, 23, 14, 5, tzinfo=UTC)) == "2026-11-23 14:05"
    assert date_label(None) == "—"
    assert date_label(None, "unknown date") == "unknown date"


@given(st.text(alphabet="0123456789abcdef", min_size=24, max_size=24))
def test_ids_and_idempotency_keys_are_not_card_numbers(digest: str) -> None:
    # the case log scrubs what it stores; an id or key with long digit runs inside it must come
    # back whole, or the executor re-sends a different key and Stripe sees a new intent
    from billing_tui.core.plans import ActionKind, Intent

    for ordinal in (1, 2, 41):
        intent = Intent(ActionKind.REFUND, "ch_pop7n000024", "cus_pop7n000024", (), ordinal)
        assert redact(intent.key) == intent.key
        assert redact(f"{intent.key[:-24]}{digest}") == f"{intent.key[:-24]}{digest}"
    for value in ("ch_4242424242424242", "in_1PaQ4242424242424242x"):
        assert redact(value) == value
    assert "4242" not in redact("card 4242-4242-4242-4242, thanks")
    assert "4242" not in redact("card=4242424242424242key=x")


def test_counts_read_in_the_right_number() -> None:
    from billing_tui.core.text import count_label

    assert count_label(1, "seat") == "1 seat"
    assert count_label(3, "seat") == "3 seats"
    assert count_label("1", "seat") == "1 seat"
    assert count_label(0, "subscription") == "0 subscriptions"
    assert count_label(2, "person", "people") == "2 people"
