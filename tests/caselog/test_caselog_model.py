"""Stateful property test: the case log behaves like a plain in-memory model.

Random sequences of opens, updates, resolves, action steps, new processes (a fresh CaseLog on
the same directory) and a lost index cache; after every step list(), get(), find_open() and
in_flight() must agree with the model. Tiny parts (2 cases) and a clock that crosses months
exercise the file layout.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from billing_tui.store.caselog import CaseLog

CUSTOMERS = ("cus_A", "cus_B", "cus_C")


class CaseLogMachine(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="caselog-model-"))
        self.now = datetime(2026, 10, 30, tzinfo=UTC)
        self.log = self._new_log()
        # model: case id -> {"customers", "status", "opened", "follow_up", "actions": {id: status}}
        self.model: dict[str, dict] = {}  # type: ignore[type-arg]

    def _clock(self) -> datetime:
        self.now += timedelta(hours=20)
        return self.now

    def _new_log(self) -> CaseLog:
        return CaseLog(self.dir, clock=self._clock, part_capacity=2)

    def teardown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(target=cases, customers=st.sets(st.sampled_from(CUSTOMERS), min_size=1, max_size=2))
    def open_case(self, customers: set[str]) -> str:
        ordered = sorted(customers)
        case = self.log.open_case(
            operator="op", query="q", customer_ids=ordered, masked_email="", livemode=False
        )
        self.model[case.id] = {
            "customers": set(ordered),
            "status": "open",
            "opened": case.opened_at,
            "follow_up": "",
            "actions": {},
        }
        return case.id

    # Digits are left out: 13-19 digit Luhn-valid runs are scrubbed by design (tested elsewhere).
    @rule(case_id=cases, text=st.text(alphabet="abcdefghij XYZ.,é中", max_size=30))
    def write_follow_up(self, case_id: str, text: str) -> None:
        self.log.update(case_id, follow_up=text)
        self.model[case_id]["follow_up"] = text

    @rule(case_id=cases, status=st.sampled_from(["open", "resolved"]))
    def set_status(self, case_id: str, status: str) -> None:
        self.log.update(case_id, status=status)
        self.model[case_id]["status"] = status

    @rule(case_id=cases, key=st.sampled_from(["k1", "k2", "k3"]))
    def plan(self, case_id: str, key: str) -> None:
        action = self.log.plan_action(
            case_id, kind="refund", params={"amount": "1"}, idempotency_key=key, operator="op"
        )
        self.model[case_id]["actions"].setdefault(action.id, "planned")
        self.model[case_id].setdefault("keys", {})[key] = action.id

    @rule(case_id=cases, data=st.data())
    def advance_action(self, case_id: str, data: st.DataObject) -> None:
        actions = self.model[case_id]["actions"]
        movable = sorted(a for a, s in actions.items() if s != "succeeded")
        if not movable:
            return
        action_id = data.draw(st.sampled_from(movable))
        if actions[action_id] == "planned":
            self.log.mark_in_flight(case_id, action_id)
            actions[action_id] = "in_flight"
        else:
            status = data.draw(st.sampled_from(["succeeded", "failed"]))
            self.log.finish_action(case_id, action_id, status=status, result={"id": "re_1"})
            actions[action_id] = status

    @rule()
    def another_process(self) -> None:
        self.log = self._new_log()

    @rule()
    def lose_the_index(self) -> None:
        (self.dir / "open-cases.json").unlink(missing_ok=True)

    @invariant()
    def agrees_with_model(self) -> None:
        listed = self.log.list()
        assert {c.id for c in listed} == set(self.model)
        statuses = [c.status for c in listed]
        assert statuses == sorted(statuses, key=lambda s: s != "open")  # open first
        for case in listed:
            expected = self.model[case.id]
            assert case.status == expected["status"]
            assert case.follow_up == expected["follow_up"]
            assert {a.id: a.status for a in case.actions} == expected["actions"]
        pending = {
            (cid, aid)
            for cid, m in self.model.items()
            for aid, s in m["actions"].items()
            if s in ("planned", "in_flight")
        }
        got = {(c.id, a.id) for c, a in self.log.in_flight(include_planned=True)}
        assert got == pending
        for customer in CUSTOMERS:
            wanted = {customer}
            candidates = [
                (m["customers"] == wanted, m["opened"], cid)
                for cid, m in self.model.items()
                if m["status"] == "open" and m["customers"] & wanted
            ]
            found = self.log.find_open([customer])
            expected_id = max(candidates)[2] if candidates else None
            assert (found.id if found else None) == expected_id
        assert self.log.problems == []


CaseLogMachine.TestCase.settings = settings(max_examples=8, stateful_step_count=20, deadline=None)
test_case_log_matches_model = CaseLogMachine.TestCase
