"""Breaking one field of one sandbox factory fails the wire contract, with the resource and the
field named: the check in test_wire_responses is not one that passes whatever is served."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox, resources
from billing_tui.sandbox.state import JSON
from tests.contracts.wire_schema import response_problems

Mutation = Callable[[JSON], None]


def _break(monkeypatch: pytest.MonkeyPatch, factory: Callable[..., JSON], mutate: Mutation) -> None:
    """Every sandbox module's reference to ``factory`` builds, then ``mutate``s, its object."""

    def broken(*args: Any, **kwargs: Any) -> JSON:
        obj = factory(*args, **kwargs)
        mutate(obj)
        return obj

    for name, module in list(sys.modules.items()):
        if not name.startswith("billing_tui.sandbox"):
            continue
        for attr, value in list(vars(module).items()):
            if value is factory:
                monkeypatch.setattr(module, attr, broken)


def _served(path: str) -> list[str]:
    sandbox = Sandbox.demo(("all",), now=DEFAULT_TEST_NOW)
    status, body, _ = sandbox.handle(
        "GET", path, {"Authorization": "Bearer sk_test_contract1234"}, None
    )
    assert status == 200, body
    return response_problems("GET", path, status, body)


def _drop(key: str) -> Mutation:
    return lambda obj: obj.pop(key)


def _set(path: str, value: Any) -> Mutation:
    def mutate(obj: JSON) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = value

    return mutate


@pytest.mark.parametrize(
    ("factory", "mutate", "path", "expected"),
    [
        (
            resources.customer,
            _drop("shipping"),
            "/v1/customers/cus_healthy1",
            "customer (cus_healthy1): (top level): missing always-present key: 'shipping'",
        ),
        (
            resources.subscription,
            _set("items.data.0.metadata", ["seats"]),
            "/v1/subscriptions?customer=cus_healthy1",
            "subscription list (/v1/subscriptions): data[0].items.data[0].metadata: "
            "['seats'] is not of type 'object'",
        ),
        (
            resources.charge,
            _set("disputed", None),
            "/v1/charges?customer=cus_healthy1",
            "charge list (/v1/charges): data[0].disputed: None is not of type 'boolean'",
        ),
        (
            resources.invoice,
            _set("colour", "blue"),
            "/v1/invoices?customer=cus_healthy1&limit=1",
            "invoice list (/v1/invoices): data[0]: unknown key(s): 'colour'",
        ),
        (
            resources.dispute,
            _set("intended_submission_method", "carrier_pigeon"),
            "/v1/disputes?limit=1",
            "dispute list (/v1/disputes): data[0].intended_submission_method: 'carrier_pigeon' "
            "is not one of ['manual', 'prefer_manual', 'prefer_smart_disputes', 'smart_disputes']",
        ),
    ],
    ids=["missing-key", "wrong-type", "null-not-nullable", "unknown-key", "closed-enum"],
)
def test_a_broken_factory_is_reported_by_resource_and_field(
    monkeypatch: pytest.MonkeyPatch,
    factory: Callable[..., JSON],
    mutate: Mutation,
    path: str,
    expected: str,
) -> None:
    assert _served(path) == []  # unbroken, the answer passes
    _break(monkeypatch, factory, mutate)
    assert expected in _served(path)


def test_an_open_enum_accepts_a_value_stripe_may_add_later(monkeypatch: pytest.MonkeyPatch) -> None:
    _break(monkeypatch, resources.subscription, _set("collection_method", "pay_by_telepathy"))
    assert _served("/v1/subscriptions?customer=cus_healthy1") == []
