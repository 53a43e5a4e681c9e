"""Case-log write cost with 10,000 cases of history (issue #4 §3: target p50 ≤ 20 ms).

Seeds a temporary case log with N realistic cases (classification with evidence, two actions,
follow-up text: ~1.5 KB each) in two layouts — spread over the last 12 months, and all in the
current month (the worst case for a month-based layout) — then times each kind of write the
workstation makes: open a case, record a classification, plan an action (write-ahead), mark it
in flight, finish it, resolve the case. Every write is atomic and fsynced, as in production.
The "disk floor" line and the CPU column separate the disk's fsync latency (which a loaded
machine inflates) from the log's own work.

    python benchmarks/caselog.py [--history 10000] [--writes 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing_tui.store.caselog import ActionRecord, CaseLog, CaseRecord
from billing_tui.store.config import atomic_write_bytes

CLASSIFICATION = {
    "suggested": "duplicate_personal",
    "bucket": "duplicate_personal",
    "confidence": 0.92,
    "evidence": [
        "2 subscriptions to Pro Monthly created 94 s apart, paid by the same card, quantity 1 each",
        "No metadata names a second seat holder; the customer has one login",
        "The second invoice was paid 2 minutes after the first",
    ],
    "answers": {"meant_several_seats": False, "different_people": False},
    "override_reason": None,
    "contract_confirmed": True,
}


def history_record(i: int, when: datetime, part: int) -> CaseRecord:
    action_time = when + timedelta(minutes=5)
    actions = tuple(
        ActionRecord(
            id=f"act-{i:06x}{n:02x}",
            kind=kind,
            params={"subscription": f"sub_{i:012d}", "amount": "1500", "currency": "usd"},
            idempotency_key=f"bt-{i:08x}-{n}-{kind}",
            status="succeeded",
            created_at=action_time,
            updated_at=action_time,
            result={"id": f"re_{i:014d}", "request_id": f"req_{i:014d}"},
            operator="benchmark",
        )
        for n, kind in enumerate(("cancel_subscription", "refund"))
    )
    return CaseRecord(
        id=f"case-{when:%Y%m}-{part:02d}-h{i:07x}",
        opened_at=when,
        updated_at=action_time,
        operator="benchmark",
        status="resolved",
        queries=(f"customer{i}@example.com",),
        customer_ids=(f"cus_{i:014d}",),
        masked_email="c***@example.com",
        anomaly_codes=("duplicate_subscription",),
        classification=CLASSIFICATION,
        actions=actions,
        follow_up="Hi, we cancelled the duplicate subscription and refunded its charge. " * 3,
        product_gaps=("Checkout does not warn about an existing active subscription",),
    )


def seed(log: CaseLog, count: int, months: int, now: datetime) -> None:
    per_month = -(-count // months)
    records = []
    for i in range(count):
        month_back = i // per_month
        year, month = now.year, now.month - month_back
        while month < 1:
            year, month = year - 1, month + 12
        when = datetime(year, month, 1, 12, tzinfo=UTC) + timedelta(minutes=i % per_month)
        part = (i % per_month) // 100 + 1
        records.append(history_record(i, when, part))
    log.import_cases(records)


CPU: dict[str, list[float]] = {}


def timed(samples: dict[str, list[float]], name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Wall time into ``samples``; this process's CPU time into ``CPU`` (excludes disk waits)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    samples.setdefault(name, []).append((time.perf_counter() - start) * 1000)
    CPU.setdefault(name, []).append((time.process_time() - cpu) * 1000)
    return result


def run(history: int, writes: int, months: int) -> dict[str, list[float]]:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        log = CaseLog(Path(tmp) / "cases")
        start = time.perf_counter()
        seed(log, history, months, now)
        seeded = time.perf_counter() - start
        files = len(list((Path(tmp) / "cases").glob("cases-*.json")))
        size = sum(p.stat().st_size for p in (Path(tmp) / "cases").glob("*.json"))
        print(
            f"  seeded {history} cases over {months} month(s) in {seeded:.1f} s: "
            f"{files} files, {size / 1e6:.1f} MB"
        )
        samples: dict[str, list[float]] = {}
        for i in range(writes):
            case = timed(
                samples,
                "open_case",
                log.open_case,
                operator="bench",
                query=f"new{i}@example.com",
                customer_ids=[f"cus_new{i}"],
                masked_email="n***@example.com",
                livemode=False,
                anomaly_codes=["duplicate_subscription"],
            )
            timed(
                samples,
                "update (classification)",
                log.update,
                case.id,
                classification=CLASSIFICATION,
            )
            action = timed(
                samples,
                "plan_action",
                log.plan_action,
                case.id,
                kind="refund",
                params={"charge": f"ch_{i}", "amount": "1500"},
                idempotency_key=f"k{i}",
                operator="bench",
            )
            timed(samples, "mark_in_flight", log.mark_in_flight, case.id, action.id)
            timed(
                samples,
                "finish_action",
                log.finish_action,
                case.id,
                action.id,
                status="succeeded",
                result={"id": f"re_{i}", "request_id": f"req_{i}"},
            )
            timed(
                samples,
                "update (resolve)",
                log.update,
                case.id,
                status="resolved",
                follow_up="Refunded.",
            )
        timed(samples, "list() all", log.list)
        fresh = CaseLog(Path(tmp) / "cases")
        (Path(tmp) / "cases" / "open-cases.json").unlink(missing_ok=True)
        timed(samples, "find_open (index rebuilt)", fresh.find_open, ["cus_new0"])
        timed(samples, "find_open (new process)", CaseLog(Path(tmp) / "cases").find_open, ["x"])
        timed(samples, "find_open (warm)", fresh.find_open, ["cus_new1"])
        return samples


def report(samples: dict[str, list[float]]) -> float:
    print(f"  {'operation':<26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'CPU p50':>9}")
    writes: list[float] = []
    for name, values in samples.items():
        values = sorted(values)
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        cpu = statistics.median(CPU[name])
        print(f"  {name:<26}{p50:>9.1f}{p95:>9.1f}{values[-1]:>9.1f}{cpu:>9.1f}")
        if not name.startswith(("list", "find")):
            writes.extend(values)
    writes.sort()
    p50 = statistics.median(writes)
    p95 = writes[int(len(writes) * 0.95)]
    print(f"  {'ALL case writes':<26}{p50:>9.1f}{p95:>9.1f}{writes[-1]:>9.1f}")
    return p50


def disk_baseline() -> float:
    """p50 of an atomic, fsynced write of 100 bytes: the floor under every case write."""
    values = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(30):
            start = time.perf_counter()
            atomic_write_bytes(Path(tmp) / "probe.json", b"x" * 100)
            values.append((time.perf_counter() - start) * 1000)
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    floor = disk_baseline()
    print(f"disk floor: an atomic 100-byte write (file + directory fsync) p50 {floor:.1f} ms")
    worst = 0.0
    for months, label in ((12, "history spread over 12 months"), (1, "all history this month")):
        print(f"{label}:")
        CPU.clear()
        worst = max(worst, report(run(args.history, args.writes, months)))
    verdict = "OK" if worst <= 20 else "OVER TARGET"
    print(f"target: case write p50 ≤ 20 ms → worst p50 {worst:.1f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
