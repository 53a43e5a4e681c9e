"""Kill -9 case-log writers mid-write, many times, and check the log after each kill.

Run as ``python caselog_crash_zygote.py DIR KILLS SEED``. This process imports everything once
and then forks one writer per round, so a round costs milliseconds instead of an interpreter
start. Each writer loops over case-log writes (open a case, update one, plan / mark / finish an
action), printing ``B`` before each write and an acknowledgement after it returns. The parent
SIGKILLs it after a random delay, then opens the log afresh and checks: it opens; no problems
are reported; every acknowledged case is there with at least its acknowledged version; the
open-case index finds every acknowledged open case; every pending action is reported by
``in_flight``. Prints a JSON summary on stdout; exits 1 at the first violation.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from billing_tui.store.caselog import CaseLog, CaseRecord


def writer(log_dir: Path, seed: int, out: int) -> None:
    rnd = random.Random(seed)
    log = CaseLog(log_dir)
    mine: list[str] = []
    versions: dict[str, int] = {}

    def say(line: str) -> None:
        os.write(out, (line + "\n").encode())

    while True:
        op = rnd.random()
        say("B")
        if op < 0.4 or not mine:
            case = log.open_case(
                operator="crash",
                query=f"q{seed}",
                customer_ids=[f"cus_{seed}_{len(mine)}"],
                masked_email="c***@example.com",
                livemode=False,
            )
            mine.append(case.id)
            say(f"open {case.id} {case.customer_ids[0]}")
        elif op < 0.7:
            case_id = rnd.choice(mine)
            versions[case_id] = versions.get(case_id, 0) + 1
            # Random length: the file shrinks and grows, shifting every byte after the case.
            text = f"v{versions[case_id]} " + "x" * rnd.randrange(0, 2000)
            log.update(case_id, follow_up=text)
            say(f"upd {case_id} {versions[case_id]}")
        else:
            case_id = rnd.choice(mine)
            action = log.plan_action(
                case_id,
                kind="refund",
                params={"amount": "100"},
                idempotency_key=f"k{rnd.random()}",
                operator="crash",
            )
            say(f"plan {case_id} {action.id}")
            log.mark_in_flight(case_id, action.id)
            say(f"flight {case_id} {action.id}")
            log.finish_action(case_id, action.id, status="succeeded", result={"refund": "re_1"})
            say(f"done {case_id} {action.id}")


def seed_history(log: CaseLog, count: int) -> None:
    """Resolved cases in this month's first part, so writes rewrite a realistically big file."""
    now = datetime.now(UTC)
    records = [
        CaseRecord(
            id=f"case-{now:%Y%m}-01-h{i:07x}",
            opened_at=now,
            updated_at=now,
            operator="history",
            status="resolved",
            queries=(f"old{i}@example.com",),
            customer_ids=(f"cus_old{i}",),
            masked_email="o***@example.com",
            follow_up="Hello, " + "we refunded the duplicate charge. " * 40,
        )
        for i in range(count)
    ]
    log.import_cases(records)


def check(log_dir: Path, acked: dict[str, str], versions: dict[str, int]) -> str | None:
    log = CaseLog(log_dir)
    if log.problems:
        return f"problems reported: {log.problems}"
    cases = {c.id: c for c in log.list()}
    if log.problems:
        return f"problems reported: {log.problems}"
    for case_id in acked:
        if case_id not in cases:
            return f"acknowledged case {case_id} lost"
    for case_id, version in versions.items():
        stored = int(cases[case_id].follow_up.split(" ", 1)[0][1:] or 0)
        if stored < version:
            return f"acknowledged update v{version} of {case_id} lost (found v{stored})"
    for case_id, customer in list(acked.items())[-5:]:
        found = log.find_open([customer])
        if found is None or found.id != case_id:
            return f"find_open({customer}) did not find open case {case_id}"
    pending = {(c.id, a.id) for c in cases.values() for a in c.actions if a.pending}
    reported = {(c.id, a.id) for c, a in log.in_flight(include_planned=True)}
    if pending != reported:
        return f"in_flight() {sorted(reported)} != pending actions {sorted(pending)}"
    return None


def main() -> int:
    log_dir, kills, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(seed)
    seed_history(CaseLog(log_dir), 60)
    acked: dict[str, str] = {}
    versions: dict[str, int] = {}
    summary = {"kills": 0, "mid_write": 0, "acked_ops": 0, "orphan_temps": 0}
    for round_no in range(kills):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                writer(log_dir, seed * 100_000 + round_no, write_end)
            finally:
                os._exit(0)
        os.close(write_end)
        # Let the writer get 0-3 writes acknowledged, then kill it a few ms later: most kills
        # land inside a write, whatever the disk's fsync latency is today.
        target, chunks = rnd.randrange(0, 4), []
        deadline = time.monotonic() + 5
        while sum(c.count(b"\n") - c.count(b"B\n") for c in chunks) < target:
            if time.monotonic() > deadline or not select.select([read_end], [], [], 0.5)[0]:
                break
            chunks.append(os.read(read_end, 65536))
        time.sleep(rnd.uniform(0, 0.015))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        os.close(read_end)
        lines = b"".join(chunks).decode().splitlines()
        summary["kills"] += 1
        if lines and lines[-1] == "B":
            summary["mid_write"] += 1
        for line in lines:
            parts = line.split()
            if parts[0] == "open":
                acked[parts[1]] = parts[2]
                summary["acked_ops"] += 1
            elif parts[0] == "upd":
                versions[parts[1]] = max(versions.get(parts[1], 0), int(parts[2]))
                summary["acked_ops"] += 1
            elif parts[0] != "B":
                summary["acked_ops"] += 1
        summary["orphan_temps"] += sum(1 for p in log_dir.iterdir() if p.name.endswith(".tmp"))
        problem = check(log_dir, acked, versions)
        if problem:
            print(json.dumps({**summary, "round": round_no, "error": problem}))
            return 1
        leftovers = [p.name for p in log_dir.iterdir() if p.name.endswith(".tmp")]
        if leftovers:
            print(json.dumps({**summary, "error": f"temp files not cleaned: {leftovers}"}))
            return 1
    summary["cases"] = len(acked)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
