"""The operator's parameters for a plan (core): parsing refuses with the field named, and a
rebuilt plan carries the entered values into its call, diff, impact and intent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing_tui.core.plans import (
    ActionKind,
    CancelWhen,
    InputError,
    InputField,
    parse_cancel_date,
    parse_seats,
)
from billing_tui.core.plans.ledger import CancelIntent, intent_of

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "not a number of seats"),
        ("3.5", "not a number of seats"),
        ("-2", "not a number of seats"),
        ("0", "at least 1 seat"),
        ("10000", "more than 9,999"),
        ("10", "already has 10 seats"),
    ],
)
def test_seat_counts_that_cannot_be_used_name_the_seats_field(typed: str, said: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_seats(typed, 10)
    assert refused.value.field == InputField.SEATS
    assert said in refused.value.message


def test_a_seat_count_is_a_whole_number_other_than_the_current() -> None:
    assert parse_seats(" 3 ", 10) == 3
    assert parse_seats("9999", 10) == 9999


def test_a_cancel_date_is_the_start_of_a_future_utc_day() -> None:
    assert parse_cancel_date("2026-12-06", NOW) == datetime(2026, 12, 6, tzinfo=UTC)
    for typed, said in (
        ("2026-11-26", "must be in the future"),
        ("2026-11-01", "must be in the future"),
        ("06/12/2026", "is not a date"),
        ("", "type the cancel date"),
    ):
        with pytest.raises(InputError) as refused:
            parse_cancel_date(typed, NOW)
        assert refused.value.field == InputField.CANCEL_DATE
        assert said in refused.value.message, typed


def test_a_dated_cancel_is_a_scheduled_cancel_in_the_ledger() -> None:
    on = NOW + timedelta(days=10)
    params = {
        "subscription": "sub_1",
        "mode": CancelWhen.ON_DATE.value,
        "cancel_at": str(int(on.timestamp())),
    }
    assert intent_of(ActionKind.CANCEL_SUBSCRIPTION, params) == CancelIntent("sub_1", True)
    assert ActionKind.CANCEL_SUBSCRIPTION.describe(params) == "Cancel sub_1 on 2026-12-06"
