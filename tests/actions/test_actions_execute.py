"""desk/execute.py: every gateway error becomes a typed failure (no sentence is parsed)."""

from __future__ import annotations

import pytest

from billing_tui.core.plans import Failure, FailureKind
from billing_tui.desk.execute import failure_of
from billing_tui.gateway import (
    AuthFailed,
    CardDeclined,
    IdempotencyConflict,
    InvalidRequest,
    MalformedId,
    NetworkDown,
    NotFound,
    PermissionDenied,
    RateLimited,
    StripeUnavailable,
)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (NetworkDown(), FailureKind.UNCERTAIN),
        (StripeUnavailable("Stripe is having trouble (HTTP 500)"), FailureKind.UNCERTAIN),
        (RateLimited(), FailureKind.UNAVAILABLE),
        (NotFound("No such charge: ch_1"), FailureKind.NOT_FOUND),
        (MalformedId("ch_ is not an id"), FailureKind.INVALID),
        (AuthFailed(), FailureKind.OTHER),
        (IdempotencyConflict("key reused"), FailureKind.OTHER),
        (ValueError("no_op has no Stripe call"), FailureKind.OTHER),
    ],
)
def test_each_error_has_its_kind(exc: Exception, kind: FailureKind) -> None:
    assert failure_of(exc) == Failure(kind, str(exc))


def test_a_403_names_its_permission_whatever_the_sentence() -> None:
    exc = PermissionDenied("rak_invoice_write", "Forbidden.")
    assert failure_of(exc) == Failure(
        FailureKind.PERMISSION, "Forbidden.", permission="rak_invoice_write"
    )


def test_a_400_and_a_decline_keep_param_and_code() -> None:
    over = InvalidRequest("too much", param="amount", code="amount_too_large")
    assert failure_of(over) == Failure(
        FailureKind.INVALID, "too much", param="amount", code="amount_too_large"
    )
    declined = CardDeclined("Your card was declined.", code="card_declined")
    assert failure_of(declined) == Failure(
        FailureKind.DECLINED, "Your card was declined.", code="card_declined"
    )
