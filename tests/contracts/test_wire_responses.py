"""Every answer the sandbox serves, checked against Stripe's own schema for the API version it
speaks: retrieve, list and search envelopes, every expansion the gateway asks for, error bodies.

The answers are recorded off the in-process transport while the workstation's flows run over
the catalog and a generated population (look up, load, classify, execute, handoff, the account
sweep, the portal review and fix), plus direct requests for what the flows do not reach.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contracts.wire_recording import Exchange, WireRecord
from tests.contracts.wire_schema import (
    OPERATIONS,
    RESOURCES,
    answer_schema,
    operation,
    response_problems,
)

ROOT = Path(__file__).resolve().parents[2]
SHOWN = 40


def _kind(exchange: Exchange) -> str | None:
    found = answer_schema(
        exchange.request.method, exchange.request.path, exchange.status, exchange.body
    )
    if found is None:
        return None
    label = found[0]
    return "error" if label == "error body" else label.split(" ")[0]


@pytest.mark.parametrize("kind", [*RESOURCES, "error"])
def test_every_answer_matches_stripes_schema(kind: str, wire: WireRecord) -> None:
    answers = [e for e in wire.all if _kind(e) == kind]
    assert answers, f"no {kind} answer was recorded: the check would pass on nothing"
    problems = sorted(
        {
            p
            for e in answers
            for p in response_problems(e.request.method, e.request.url, e.status, e.body)
        }
    )
    assert problems == [], f"{len(problems)} problems, first {SHOWN}:\n" + "\n".join(
        problems[:SHOWN]
    )


def test_every_answer_is_of_an_operation_in_the_contract_table(wire: WireRecord) -> None:
    unknown = sorted({f"{e.request.method} {e.request.path}" for e in wire.all if _kind(e) is None})
    assert unknown == []


def test_every_operation_in_the_table_was_answered(wire: WireRecord) -> None:
    answered = {operation(e.request.method, e.request.path) for e in wire.all if e.status == 200}
    missing = [f"{op.method} /v1/{op.pattern}" for op in OPERATIONS if op not in answered]
    assert missing == []


def _gateway_expansions() -> Iterator[str]:
    """Every string in an ``"expand": [...]`` literal of the gateway's source."""
    for path in sorted((ROOT / "billing_tui" / "gateway").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "expand":
                    assert isinstance(value, ast.List), f"{path}: a computed expand list"
                    for item in value.elts:
                        assert isinstance(item, ast.Constant)
                        yield str(item.value)


def test_the_gateway_asks_for_expansions() -> None:
    assert {"customer", "charge.customer", "data.refunds", "data.payments"} <= set(
        _gateway_expansions()
    )


def test_every_expansion_the_gateway_asks_for_was_served(wire: WireRecord) -> None:
    served = {
        path for e in wire.all if e.status == 200 for path in e.request.params().get("expand", [])
    }
    assert sorted(set(_gateway_expansions()) - served) == []


def _served_ids(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and isinstance(value.get("object"), str):
            yield value["id"]
        for item in value.values():
            yield from _served_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _served_ids(item)


def test_every_stored_object_was_served_and_so_checked(wire: WireRecord) -> None:
    """Each object of the catalog and the population went over the wire at least once, as
    itself (not only as an id), so the checks above saw every one of them."""
    served = {i for e in wire.all if e.status == 200 for i in _served_ids(e.body)}
    state = wire.sandbox.state
    unserved = {
        kind: sorted(set(state.objects.get(kind, {})) - served)[:5]
        for kind in RESOURCES
        if kind not in ("account", "billing_portal.session")
    }
    missing = {k: v for k, v in unserved.items() if v}
    assert missing == {}, missing
