"""Every request the gateway and the executor send, checked against the parameter schema of the
operation it calls (Stripe's SDK declarations): the path and method name an operation, each form
parameter is one the operation takes, of its type, inside its enum."""

from __future__ import annotations

import pytest

from tests.contracts.wire_recording import WireRecord
from tests.contracts.wire_schema import Request, request_problems

UNDOCUMENTED = "is not one of the documented values"


def test_the_flows_sent_reads_and_writes(wire: WireRecord) -> None:
    methods = {e.request.method for e in wire.flows}
    assert methods == {"GET", "POST", "DELETE"}
    assert len(wire.flows) > 100


def test_every_request_the_project_sends_matches_its_operation(wire: WireRecord) -> None:
    problems = sorted({p for e in wire.flows for p in request_problems(e.request)})
    assert problems == []


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        ("GET", "/v1/customers?colour=blue", None, "unknown key(s): 'colour'"),
        ("GET", "/v1/customers?limit=many", None, "limit: 'many' is not of type 'number'"),
        ("GET", "/v1/subscriptions?status=bogus", None, f"status: 'bogus' {UNDOCUMENTED}"),
        ("POST", "/v1/refunds", "amount=100&reason=because", f"reason: 'because' {UNDOCUMENTED}"),
        (
            "POST",
            "/v1/subscriptions/sub_1",
            "cancel_at_period_end=maybe",
            "cancel_at_period_end: 'maybe' is not of type 'boolean'",
        ),
        ("PUT", "/v1/customers/cus_1", None, "not an operation of the API"),
        ("GET", "/v1/customer/cus_1", None, "not an operation of the API"),
    ],
)
def test_a_request_outside_the_schema_is_named(
    method: str, url: str, body: str | None, expected: str
) -> None:
    problems = request_problems(Request(method, url, body))
    assert any(expected in p for p in problems), problems


def test_typed_form_values_pass() -> None:
    body = (
        "cancel_at_period_end=true&metadata[reason]=duplicate&proration_behavior=none"
        "&items[0][id]=si_1&items[0][quantity]=2&expand[0]=latest_invoice"
    )
    assert request_problems(Request("POST", "/v1/subscriptions/sub_1", body)) == []
    assert request_problems(Request("GET", "/v1/charges?customer=cus_1&limit=100", None)) == []
