"""Loading scenarios: names, "all", files, malformed files, and times that follow the clock."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from billing_tui.sandbox import catalog
from billing_tui.sandbox.catalog import ScenarioError
from billing_tui.sandbox.state import Clock, SandboxState

DOCS = Path(__file__).resolve().parents[2] / "docs" / "anomalies.md"
NAMES = [info.name for info in catalog.list_scenarios()]


def test_anomaly_codes_match_the_docs_table() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOCS.read_text(), flags=re.M))
    assert documented == set(catalog.ANOMALY_CODES)


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_loads_alone(name: str, state: SandboxState) -> None:
    [info] = catalog.load(state, [name])
    assert info.name == name
    assert state.scenarios[name] == info
    assert info.customer_ids
    for cid in info.customer_ids:
        assert state.get("customer", cid) is not None
    assert info.title
    assert info.ticket
    assert info.identifier
    assert set(info.anomalies) <= catalog.ANOMALY_CODES
    assert info.bucket is None or info.bucket in catalog.BUCKETS
    assert len(set(info.anomalies)) == len(info.anomalies)


def test_all_loads_every_scenario_once_without_id_collisions(loaded_all: SandboxState) -> None:
    in_all = [info.name for info in catalog.list_scenarios() if info.in_all]
    assert sorted(loaded_all.scenarios) == sorted(in_all)
    assert set(NAMES) - set(in_all) == {"restricted-key"}  # it declares API keys
    # Each scenario alone adds exactly the objects it adds inside "all": nothing was replaced.
    total_alone = 0
    for name in in_all:
        st = SandboxState(Clock(loaded_all.clock.current()))
        catalog.load(st, [name])
        total_alone += sum(len(v) for v in st.objects.values())
    base = SandboxState(Clock(loaded_all.clock.current()))
    catalog.load(base, [])
    base_count = sum(len(v) for v in base.objects.values())
    all_count = sum(len(v) for v in loaded_all.objects.values())
    assert all_count == total_alone - base_count * (len(in_all) - 1)


def test_a_key_declaring_scenario_loads_next_to_all(loaded_all: SandboxState) -> None:
    st = SandboxState(Clock(loaded_all.clock.current()))
    catalog.load(st, ["all", "restricted-key"])
    assert "restricted-key" in st.scenarios
    assert st.keys.declared["rk_test_sandboxreadonly01"] is not None
    assert "rak_refund_write" not in (st.keys.declared["rk_test_sandboxreadonly01"] or ())
    assert st.keys.declared["sk_live_sandboxdemo01"] is None
    assert "sk_test_sandboxrevoked01" in st.keys.revoked


def test_real_looking_live_keys_are_refused(tmp_path: Path, state: SandboxState) -> None:
    fake = "sk_live_" + "A1b2C3d4E5f6G7h8"  # 16 alphanumerics: shaped like a real key
    path = _write(tmp_path, [CUSTOMER], keys={fake: None})
    with pytest.raises(ScenarioError, match="obviously fake"):
        catalog.load(state, [str(path)])
    assert fake not in state.keys.declared


def test_loading_twice_is_idempotent(state: SandboxState) -> None:
    catalog.load(state, ["healthy"])
    before = {k: len(v) for k, v in state.objects.items()}
    again = catalog.load(state, ["healthy"])
    assert again == [state.scenarios["healthy"]]
    assert {k: len(v) for k, v in state.objects.items()} == before


def test_unknown_name_lists_the_known_ones(state: SandboxState) -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*healthy"):
        catalog.load(state, ["nope"])


def _write(tmp_path: Path, objects: list[dict[str, Any]], **extra: Any) -> Path:
    path = tmp_path / "custom.json"
    doc = {"name": "custom", "title": "t", "ticket": "t", "identifier": "x@example.com"}
    doc.update(extra)
    doc["objects"] = objects
    path.write_text(json.dumps(doc))
    return path


CUSTOMER = {"object": "customer", "id": "cus_custom1", "email": "x@example.com", "name": "X"}
PM = {"object": "payment_method", "id": "pm_custom1", "customer": "cus_custom1", "default": True}
SUB = {"object": "subscription", "id": "sub_custom1", "customer": "cus_custom1",
       "items": [{"price": "price_promonthly", "quantity": 1}]}  # fmt: skip


def test_a_file_path_loads_like_a_catalog_scenario(tmp_path: Path, state: SandboxState) -> None:
    path = _write(tmp_path, [CUSTOMER], expect={"anomalies": [], "bucket": None})
    [info] = catalog.load(state, [str(path)])
    assert info.name == "custom"
    assert info.customer_ids == ("cus_custom1",)


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        (
            [CUSTOMER, {"object": "subscription", "id": "sub_custom1", "customer": "cus_custom1",
                        "items": [{"price": "price_nosuch", "quantity": 1}]}],
            r"custom\.json: object #1 \(sub_custom1\): field 'price': 'price_nosuch' is not",
        ),
        (
            [{**CUSTOMER, "created": "yesterday"}],
            r"custom\.json: object #0 \(cus_custom1\): field 'created': 'yesterday' is not",
        ),
        (
            [{**CUSTOMER, "emial": "typo@example.com"}],
            r"object #0 \(cus_custom1\): field 'emial': unknown field for a customer",
        ),
        (
            [CUSTOMER, {"object": "payment_method", "id": "pm_custom1", "customer": "cus_custom1",
                        "exp_month": 13, "exp_year": 2030}],
            r"object #1 \(pm_custom1\): field 'exp_month': exp_month must be 1-12",
        ),
        (
            [CUSTOMER, {**CUSTOMER}],
            r"object #1 \(cus_custom1\): field 'id': 'cus_custom1' already exists",
        ),
        (
            [CUSTOMER, PM, {**SUB, "status": "canceled", "ended_at": "-40d", "created": "-10d"}],
            r"object #2 \(sub_custom1\): field 'ended_at': is before the subscription was created",
        ),
        (
            [CUSTOMER, PM, {**SUB, "invoices": "some"}],
            r"object #2 \(sub_custom1\): field 'invoices': must be 'all', 'first' or 'none'",
        ),
        (
            [CUSTOMER, PM, {**SUB, "status": "trialing", "trial_end": "-40d"}],
            r"object #2 \(sub_custom1\): field 'trial_end': must be after the trial start",
        ),
        (
            [CUSTOMER, PM, SUB, {"object": "refund", "id": "re_custom1", "charge": "ch_custom1001",
                                 "amount": 5000}],
            r"object #3 \(re_custom1\): field 'amount': refund amount 5000 must be between 1",
        ),
        (
            [{"object": "coupon", "id": "co_x"}],
            r"object #0 \(co_x\): field 'object': unknown object type 'coupon'",
        ),
        (
            [CUSTOMER, {"object": "subscription", "id": "sub_custom1", "customer": "cus_custom1",
                        "items": [{"price": "price_promonthly", "quantity": 1}]}],
            r"object #1 \(sub_custom1\): field 'payment_method': invoices need a card",
        ),
    ],
)  # fmt: skip
def test_malformed_objects_name_file_object_and_field(
    tmp_path: Path, state: SandboxState, objects: list[dict[str, Any]], expected: str
) -> None:
    path = _write(tmp_path, objects)
    with pytest.raises(ScenarioError, match=expected):
        catalog.load(state, [str(path)])


def test_malformed_expectations_are_rejected(tmp_path: Path, state: SandboxState) -> None:
    path = _write(tmp_path, [CUSTOMER], expect={"anomalies": ["dupe_sub"], "bucket": None})
    with pytest.raises(ScenarioError, match=r"custom\.json: field 'expect.anomalies'.*dupe_sub"):
        catalog.load(state, [str(path)])
    path = _write(tmp_path, [CUSTOMER], expect={"anomalies": [], "bucket": "refund"})
    with pytest.raises(ScenarioError, match=r"field 'expect.bucket': 'refund'"):
        catalog.load(state, [str(path)])


def test_invalid_json_names_the_file(tmp_path: Path, state: SandboxState) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"name": "broken", ')
    with pytest.raises(ScenarioError, match=r"broken\.json: not valid JSON"):
        catalog.load(state, [str(path)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", dt.datetime(2026, 11, 26, 12)),
        ("-90s", dt.datetime(2026, 11, 26, 11, 58, 30)),
        ("-45m", dt.datetime(2026, 11, 26, 11, 15)),
        ("-3h", dt.datetime(2026, 11, 26, 9)),
        ("+2d", dt.datetime(2026, 11, 28, 12)),
        ("-2w", dt.datetime(2026, 11, 12, 12)),
        ("-6mo-8d", dt.datetime(2026, 5, 18, 12)),
        ("-1y", dt.datetime(2025, 11, 26, 12)),
    ],
)
def test_relative_times(text: str, expected: dt.datetime) -> None:
    now = int(dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC).timestamp())
    assert catalog.parse_offset(text, now) == int(expected.replace(tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize("bad", ["", "90d", "-90", "-9x", "-1d+", "--1d"])
def test_bad_relative_times_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="relative time"):
        catalog.parse_offset(bad, 0)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_times_follow_the_clock(name: str) -> None:
    """Loaded at two different "now"s, every timestamp moves with the clock (and card expiries
    given relative to it keep their meaning), so expectations hold whenever the demo runs."""
    first = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    later = dt.datetime(2027, 3, 10, 8, tzinfo=dt.UTC)
    a, b = SandboxState(Clock(first)), SandboxState(Clock(later))
    catalog.load(a, [name])
    catalog.load(b, [name])
    [cid, *_] = a.scenarios[name].customer_ids
    ca, cb = a.get("customer", cid), b.get("customer", cid)
    assert ca is not None
    assert cb is not None
    age_a = a.now() - ca["created"]
    age_b = b.now() - cb["created"]
    assert abs(age_a - age_b) <= 3 * 86400  # calendar months differ by a few days at most
    assert set(a.objects["subscription"]) == set(b.objects["subscription"])
    for sid, sub in a.objects["subscription"].items():
        other = b.objects["subscription"][sid]
        assert sub["status"] == other["status"]
        item_a, item_b = sub["items"]["data"][0], other["items"]["data"][0]
        # Each item's current period contains (or, for ended ones, precedes) its clock's now.
        if sub["status"] not in {"canceled", "incomplete_expired"}:
            assert item_a["current_period_start"] <= a.now() < item_a["current_period_end"]
            assert item_b["current_period_start"] <= b.now() < item_b["current_period_end"]
