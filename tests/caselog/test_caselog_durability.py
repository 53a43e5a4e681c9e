"""Crash safety, concurrency and damage handling of the case log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from billing_tui.store.caselog import CaseLog, CaseLogError, CaseNotFound
from billing_tui.store.caselog.storage import file_signature, signature_token

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _open(log: CaseLog, customer: str = "cus_A") -> str:
    return log.open_case(
        operator="ana", query="q", customer_ids=[customer], masked_email="", livemode=False
    ).id


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash harness forks writers")
def test_sigkill_mid_write_200_times_loses_no_acknowledged_write(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HERE / "caselog_crash_zygote.py"), str(tmp_path / "log"), "200", "7"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["kills"] == 200
    # The kills really landed inside writes, and writes were acknowledged between them.
    assert summary["mid_write"] >= 50
    assert summary["acked_ops"] >= 100
    log = CaseLog(tmp_path / "log")
    assert len(log.list()) >= 60 + summary["cases"]
    assert log.problems == []
    assert not [p for p in (tmp_path / "log").iterdir() if p.name.endswith(".tmp")]


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from billing_tui.store.caselog import CaseLog

    log = CaseLog(Path(sys.argv[1]))
    shared, name = sys.argv[2], sys.argv[3]
    for i in range(40):
        log.open_case(operator=name, query=f"{name}-{i}", customer_ids=[f"cus_{name}_{i}"],
                      masked_email="", livemode=False)
        log.plan_action(shared, kind="no_op", params={"n": str(i)},
                        idempotency_key=f"{name}-{i}", operator=name)
        log.update(shared, follow_up=f"{name} {i}")
    """
)


def test_two_processes_writing_at_once_lose_no_update(tmp_path: Path) -> None:
    log = CaseLog(tmp_path / "log")
    shared = _open(log, "cus_shared")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "log"), shared, name], env=_env()
        )
        for name in ("p1", "p2")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    cases = log.list()
    assert len(cases) == 81
    assert {c.operator for c in cases} == {"ana", "p1", "p2"}
    keys = sorted(a.idempotency_key for a in log.get(shared).actions)
    assert keys == sorted([f"p1-{i}" for i in range(40)] + [f"p2-{i}" for i in range(40)])
    assert log.problems == []


def test_corrupt_file_is_moved_aside_reported_and_the_rest_works(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    months = iter([datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)])
    log = CaseLog(tmp_path / "log", clock=lambda: next(months, datetime(2026, 11, 4, tzinfo=UTC)))
    october = _open(log, "cus_oct")
    november = _open(log, "cus_nov")
    bad = tmp_path / "log" / "cases-2026-10-01.json"
    damaged = bad.read_bytes()[:-40] + b"garbage"
    bad.write_bytes(damaged)

    fresh = CaseLog(tmp_path / "log")
    assert [c.id for c in fresh.list()] == [november]
    assert len(fresh.problems) == 1
    assert "cases-2026-10-01.json could not be read" in fresh.problems[0]
    assert "moved aside" in fresh.problems[0]
    aside = list((tmp_path / "log").glob("cases-2026-10-01.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == damaged  # kept exactly, never overwritten
    assert not bad.exists()
    with pytest.raises(CaseNotFound):
        fresh.get(october)
    # The rest keeps working, including writing to the month that lost its file.
    assert fresh.update(november, follow_up="still fine").follow_up == "still fine"
    assert fresh.find_open(["cus_nov"]) is not None
    assert fresh.find_open(["cus_oct"]) is None


def test_corrupt_file_found_during_a_write_is_not_overwritten(tmp_path: Path) -> None:
    log = CaseLog(tmp_path / "log")
    case_id = _open(log)
    (path,) = (tmp_path / "log").glob("cases-*.json")
    path.write_text("{not json")
    with pytest.raises(CaseNotFound, match="moved aside"):
        log.update(case_id, follow_up="x")
    (aside,) = (tmp_path / "log").glob("cases-*.corrupt-*")
    assert aside.read_text() == "{not json"
    assert any("moved aside" in p for p in log.problems)
    new_id = _open(log, "cus_B")  # opening a case in that month starts the part afresh
    assert log.get(new_id).customer_ids == ("cus_B",)


def test_corrupt_or_missing_index_is_rebuilt_from_the_cases(tmp_path: Path) -> None:
    log = CaseLog(tmp_path / "log")
    open_id = _open(log, "cus_A")
    resolved = _open(log, "cus_B")
    log.update(resolved, status="resolved")
    action = log.plan_action(open_id, kind="refund", params={}, idempotency_key="k", operator="a")
    log.mark_in_flight(open_id, action.id)
    index = tmp_path / "log" / "open-cases.json"
    index.write_text("\x00\x00")
    fresh = CaseLog(tmp_path / "log")
    found = fresh.find_open(["cus_A"])
    assert found is not None
    assert found.id == open_id
    assert [a.id for _, a in fresh.in_flight()] == [action.id]
    assert fresh.problems == []  # the index is a cache: rebuilt, nothing lost, nothing to report
    index.unlink()
    assert [a.id for _, a in CaseLog(tmp_path / "log").in_flight()] == [action.id]
    cached = json.loads(index.read_text())["files"]
    assert [set(item["open"]) for item in cached.values()] == [{open_id}]


def test_an_index_of_the_wrong_shape_is_rebuilt_too(tmp_path: Path) -> None:
    """Valid JSON, current signatures, damaged entries: still a cache that never hides a case."""
    log = CaseLog(tmp_path / "log")
    open_id = _open(log, "cus_A")
    index = tmp_path / "log" / "open-cases.json"
    data = json.loads(index.read_text())
    (name,) = data["files"]
    # The entry is current (opening the case wrote it), so a reader trusts it without a rescan.
    assert data["files"][name]["sig"] == signature_token(file_signature(tmp_path / "log" / name))
    data["files"][name]["open"][open_id] = {"customer_ids": "cus_A"}  # no list, no "pending"
    data["files"]["cases-2026-01-01.json"] = "not an entry"
    index.write_text(json.dumps(data))
    fresh = CaseLog(tmp_path / "log")
    found = fresh.find_open(["cus_A"])
    assert found is not None
    assert found.id == open_id
    assert fresh.problems == []
    repaired = json.loads(index.read_text())["files"]
    assert list(repaired) == [name]
    assert repaired[name]["open"][open_id] == {"customer_ids": ["cus_A"], "pending": False}


def test_a_file_from_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    log = CaseLog(tmp_path / "log")
    case_id = _open(log)
    (path,) = (tmp_path / "log").glob("cases-*.json")
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(CaseLogError, match="newer billing-tui"):
        log.update(case_id, follow_up="x")
    assert log.list() == []
    assert any("newer billing-tui" in p for p in log.problems)
    assert path.read_bytes() == before


def test_leftover_temp_files_are_removed_at_start(tmp_path: Path) -> None:
    log = CaseLog(tmp_path / "log")
    case_id = _open(log)
    leftovers = [
        tmp_path / "log" / ".cases-2026-11-01.json.k2j3h4.tmp",
        tmp_path / "log" / ".open-cases.json.abc123.tmp",
    ]
    for path in leftovers:
        path.write_text('{"half": ')
    keep = tmp_path / "log" / "notes.txt"
    keep.write_text("mine")
    fresh = CaseLog(tmp_path / "log")
    assert not any(p.exists() for p in leftovers)
    assert keep.exists()
    assert fresh.get(case_id).id == case_id


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    import filelock

    log = CaseLog(tmp_path / "log", lock_timeout=0.2)
    holder = filelock.FileLock(str(tmp_path / "log" / ".caselog.lock"), thread_local=False)
    script = textwrap.dedent(
        """
        import sys, filelock, time
        lock = filelock.FileLock(sys.argv[1]); lock.acquire(); print("held", flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, holder.lock_file], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(CaseLogError, match="busy: another billing-tui process"):
            _open(log)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert _open(log)  # the kernel released the dead holder's lock
