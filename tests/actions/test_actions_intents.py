"""Money never moves twice for one operator intent (issue 11, items 1 and 2), end to end: the
issue's reproduction over the loopback sandbox — `triage … --action refund --refund-amount
5.00` re-run, after a lost case log, from two processes at once, and with `--new-intent`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import filelock
import pytest

from billing_tui.cli.main import main
from billing_tui.core.model import Money
from billing_tui.core.plans import ActionKind, Plan, PriorIntent
from billing_tui.desk.session import CaseView, Session
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.server import SandboxServer
from billing_tui.store.caselog import LOCK_FILE, CaseLog, CustomerBusy, CustomerLocks
from tests.demo import demo_session

DANA = "dana.whitfield@example.com"
CUSTOMER = "cus_dupcheckout1"
CHARGE = "ch_dupcheckoutB001"
KEY = "sk_test_" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
PARTIAL = ("--yes", "--action", "refund", "--refund-amount", "5.00")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """`billing-tui sandbox serve` with the duplicate-checkout ticket, and a test key."""
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    with SandboxServer(sandbox) as running:
        yield running


def refunds(server: SandboxServer) -> list[int]:
    """The amounts refunded on the duplicate's charge, as the sandbox holds them."""
    return [r["amount"] for r in server.sandbox.state.all("refund") if r["charge"] == CHARGE]


def triage(
    capsys: pytest.CaptureFixture[str], server: SandboxServer, *extra: str
) -> tuple[int, dict[str, object], str]:
    code = main(["triage", DANA, "--api-base", server.url, *extra, "--json"])
    out, err = capsys.readouterr()  # (stderr also holds the test server thread's complaints)
    return code, (json.loads(out) if out.strip() else {}), err


def command(server: SandboxServer, *extra: str) -> list[str]:
    return [sys.executable, "-m", "billing_tui", "triage", DANA, "--api-base", server.url, *extra]


def only_action(result: dict[str, object]) -> dict[str, object]:
    actions = result["actions"]
    assert isinstance(actions, list)
    (action,) = actions
    assert isinstance(action, dict)
    return action


def test_three_reruns_of_a_partial_refund_refund_once(
    capsys: pytest.CaptureFixture[str], server: SandboxServer
) -> None:
    keys = []
    for run in range(3):
        code, result, _ = triage(capsys, server, *PARTIAL)
        assert code == 0
        action = only_action(result)
        assert action["status"] == "succeeded"
        keys.append(action["idempotency_key"])
        if run:
            assert "nothing was sent again" in str(action["message"])
    assert refunds(server) == [500]
    assert len(set(keys)) == 1
    # the refund carries its intent in Stripe: who, which case, which intent
    (refund,) = [r for r in server.sandbox.state.all("refund") if r["charge"] == CHARGE]
    assert refund["metadata"]["btui_intent"] == f"refund/{CHARGE}/1"
    assert refund["metadata"]["btui_key"] == keys[0]
    assert refund["metadata"]["case_id"].startswith("case-")


def test_a_quarantined_or_deleted_case_log_still_refunds_once(
    capsys: pytest.CaptureFixture[str], server: SandboxServer
) -> None:
    code, first, _ = triage(capsys, server, *PARTIAL)
    assert code == 0
    directory = CaseLog().directory
    (case_file,) = directory.glob("cases-*.json")
    case_file.write_bytes(b'{"schema_version": 1, "cases": {"1": ')  # torn: quarantined
    code, second, _ = triage(capsys, server, *PARTIAL)
    assert code == 0
    assert second["case_id"] != first["case_id"]  # a new case: it cannot know the first
    assert "found in Stripe" in str(only_action(second)["message"])
    assert list(directory.glob("cases-*.json.corrupt-*"))
    for path in directory.glob("cases-*.json*"):
        path.unlink()
    code, third, _ = triage(capsys, server, *PARTIAL)
    assert code == 0
    assert "found in Stripe" in str(only_action(third)["message"])
    assert refunds(server) == [500]


def test_a_second_partial_refund_is_an_explicit_new_intent(
    capsys: pytest.CaptureFixture[str], server: SandboxServer
) -> None:
    assert triage(capsys, server, *PARTIAL)[0] == 0
    code, result, _ = triage(capsys, server, *PARTIAL, "--new-intent")
    assert code == 0
    assert only_action(result)["status"] == "succeeded"
    # it showed what was already refunded before refunding again
    (done,) = result["already_done"]  # type: ignore[misc]
    assert "intent #1" in done
    assert "$5.00" in done
    assert refunds(server) == [500, 500]
    # and the second one is itself re-run safe
    assert triage(capsys, server, *PARTIAL)[0] == 0
    assert refunds(server) == [500, 500]
    (refund2,) = [
        r for r in server.sandbox.state.all("refund") if r["metadata"]["btui_intent"].endswith("/2")
    ]
    assert refund2["metadata"]["btui_intent"] == f"refund/{CHARGE}/2"
    code, _, err = triage(capsys, server, "--new-intent", "--yes")
    assert code == 2
    assert "--new-intent: say which action" in err


def test_another_amount_without_new_intent_is_refused_and_says_what_was_done(
    capsys: pytest.CaptureFixture[str], server: SandboxServer
) -> None:
    assert triage(capsys, server, *PARTIAL)[0] == 0
    _, result, _ = triage(capsys, server, "--yes", "--action", "refund", "--refund-amount", "7.00")
    action = only_action(result)
    assert action["status"] == "skipped"
    assert "intent #1" in str(action["message"])
    assert "$5.00" in str(action["message"])
    assert "--new-intent" in str(action["message"])
    assert refunds(server) == [500]


# --------------------------------------------------------------------------- two processes


def lock_file() -> Path:
    return CaseLog().directory / "locks" / f"{CUSTOMER}.json"


def start_and_freeze(server: SandboxServer) -> subprocess.Popen[str]:
    """A `triage` process that has taken the customer and is then stopped (SIGSTOP)."""
    lease = lock_file()
    # the file locks of the case log and of the lease, held for a moment around each write
    short = [
        filelock.FileLock(str(lease.parent.parent / LOCK_FILE), timeout=0),
        filelock.FileLock(f"{lease}.lock", timeout=0),
    ]
    proc = subprocess.Popen(
        command(server, *PARTIAL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    deadline = time.monotonic() + 60
    while not lease.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first triage never took the customer"
        time.sleep(0.002)
    _stop(proc)
    # frozen between two writes: a process stopped inside one would make every other one
    # wait for that file lock, which is not what is tested here
    while not all(_free(lock) for lock in short):
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.005)
        _stop(proc)
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGSTOP, and wait until the process has really stopped (delivery is asynchronous)."""
    os.kill(proc.pid, signal.SIGSTOP)
    os.waitpid(proc.pid, os.WUNTRACED)


def _free(lock: filelock.FileLock) -> bool:
    try:
        with lock:
            return True
    except filelock.Timeout:
        return False


@pytest.fixture
def slow(server: SandboxServer) -> SandboxServer:
    """Each request takes 150 ms: a run is still at work when it is frozen."""
    server.set_faults(latency_ms=150)
    return server


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")
def test_a_second_terminal_is_told_who_holds_the_customer(
    capsys: pytest.CaptureFixture[str], slow: SandboxServer
) -> None:
    first = start_and_freeze(slow)
    try:
        code, result, err = triage(capsys, slow, *PARTIAL)
        assert code == 2
        assert "is being worked on by" in str(result["error"])  # --json: still a document
        assert f"{CUSTOMER} is being worked on by" in err
        assert f"(pid {first.pid} on " in err
        assert " since " in err
        assert "--take-over" in err
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert refunds(slow) == [500]
    assert not lock_file().exists()  # released at the end of the run


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")
def test_taking_over_is_deliberate_and_the_first_terminal_then_stops(
    capsys: pytest.CaptureFixture[str], slow: SandboxServer
) -> None:
    first = start_and_freeze(slow)
    try:
        code, result, err = triage(capsys, slow, *PARTIAL, "--take-over")
        assert code == 0, err
        assert "took over from" in err
        assert f"pid {first.pid}" in err
        assert only_action(result)["status"] == "succeeded"
    finally:
        os.kill(first.pid, signal.SIGCONT)
    first.communicate(timeout=120)
    assert refunds(slow) == [500]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_dead_holders_lock_is_reclaimed_with_a_message(
    capsys: pytest.CaptureFixture[str], slow: SandboxServer
) -> None:
    first = start_and_freeze(slow)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)
    slow.set_faults(latency_ms=0)
    code, result, err = triage(capsys, slow, *PARTIAL)
    assert code == 0, err
    assert "reclaimed the lock of" in err
    assert f"pid {first.pid} no longer runs" in err
    assert only_action(result)["status"] == "succeeded"
    assert refunds(slow) == [500]


def test_two_concurrent_processes_refund_once(slow: SandboxServer) -> None:
    procs = [
        subprocess.Popen(
            command(slow, *PARTIAL, "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(2)
    ]
    ends = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    assert refunds(slow) == [500]
    for code, (out, err) in zip(codes, ends, strict=True):
        assert "Traceback" not in err
        if code == 2:  # it met the other one at work on the customer
            assert "is being worked on by" in err
        else:
            assert code == 0, err
            assert only_action(json.loads(out))["status"] == "succeeded"
    assert 0 in codes


@pytest.mark.parametrize("lose_the_case_log", [False, True])
def test_a_lost_answer_is_settled_from_stripe_not_sent_again(
    capsys: pytest.CaptureFixture[str], server: SandboxServer, lose_the_case_log: bool
) -> None:
    """Stripe refunds, the answer is lost (every retry too): the run ends unsure. The next run
    finds the tagged refund in Stripe — at start for the action left in flight, or, with the
    case log gone, before its own call — and refunds nothing more."""
    server.set_faults(drop_after_commit=1.0)
    code, result, _ = triage(capsys, server, *PARTIAL)
    assert code == 1
    assert only_action(result)["status"] == "failed"
    assert refunds(server) == [500]
    (in_flight,) = CaseLog().in_flight()
    assert in_flight[1].status == "in_flight"
    if lose_the_case_log:
        for path in CaseLog().directory.glob("cases-*.json"):
            path.unlink()
    server.set_faults(drop_after_commit=0.0)
    code, result, err = triage(capsys, server, *PARTIAL)
    assert code == 0
    if not lose_the_case_log:
        assert "reconciled:" in err
        assert "found in Stripe" in err
    assert only_action(result)["status"] == "succeeded"
    assert refunds(server) == [500]
    assert CaseLog().in_flight() == []


# --------------------------------------------------------------------------- sessions (the TUI)


async def opened(session: Session) -> tuple[CaseView, str, tuple[Plan, ...]]:
    resolution = await session.lookup(DANA)
    view = await session.load(resolution.customer_ids)
    case = await session.open_case(DANA, view)
    decided = session.suggest(view).confirm()
    await session.record_classification(case.id, decided)
    return view, case.id, session.plans(view, decided)


async def test_a_second_session_is_refused_until_it_takes_over(tmp_path: Path) -> None:
    alice = demo_session(tmp_path, scenarios=("duplicate-checkout",), operator="alice")
    bob = demo_session(tmp_path, scenarios=("duplicate-checkout",), operator="bob")
    try:
        view, case_id, plans = await opened(alice)
        refund = next(p for p in plans if p.kind == ActionKind.REFUND)
        assert (await alice.execute(case_id, view, refund)).status == "succeeded"
        bview, bcase, bplans = await opened(bob)
        bcancel = next(p for p in bplans if p.kind == ActionKind.CANCEL_SUBSCRIPTION)
        refused = await bob.execute(bcase, bview, bcancel)
        assert refused.status == "skipped"
        assert f"{CUSTOMER} is being worked on by alice (pid {os.getpid()} on " in refused.message
        assert bob.connection.sandbox is not None
        assert bob.connection.sandbox.state.get("subscription", "sub_dupcheckoutB")["status"] == (
            "active"
        )
        claim = await bob.take_over(bview.customer_ids)
        assert [n.split(" (pid")[0] for n in claim.notes] == [f"{CUSTOMER}: took over from alice"]
        assert (await bob.execute(bcase, bview, bcancel)).status == "succeeded"
        # alice learns it before her next money call, and nothing is sent
        cancel = next(p for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION)
        lost = await alice.execute(case_id, view, cancel)
        assert lost.status == "skipped"
        assert f"{CUSTOMER} was taken over by bob" in lost.message
        await bob.aclose()
        # released: alice may claim the customer again
        assert (await alice.claim(view.customer_ids)).notes == ()
    finally:
        await alice.aclose()
        await bob.aclose()


async def test_the_tui_sees_what_was_refunded_and_asks_for_a_new_intent(demo: Session) -> None:
    view, case_id, plans = await opened(demo)
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    partial = demo.refund_amount(view, demo.suggest(view).confirm(), refund, "5.00")
    first = await demo.execute(case_id, view, partial)
    assert first.status == "succeeded"
    assert await demo.prior_intents(case_id, partial) == (
        PriorIntent(
            ordinal=1,
            source="case log",
            done=True,
            key=first.idempotency_key,
            stripe_ids=first.stripe_ids,
            amount=Money(500, "usd"),
            status="succeeded",
        ),
    )
    again = await demo.execute(case_id, view, partial)
    assert again.replayed
    assert again.stripe_ids == first.stripe_ids
    second = await demo.execute(case_id, view, demo.as_new_intent(partial))
    assert second.status == "succeeded"
    assert not second.replayed
    assert second.stripe_ids != first.stripe_ids
    assert [p.ordinal for p in await demo.prior_intents(case_id, partial)] == [1, 2]
    assert demo.connection.sandbox is not None
    amounts = [
        r["amount"] for r in demo.connection.sandbox.state.all("refund") if r["charge"] == CHARGE
    ]
    assert amounts == [500, 500]


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Session]:
    session = demo_session(tmp_path, scenarios=("duplicate-checkout",))
    yield session
    await session.aclose()


def test_a_dropped_session_of_this_process_holds_nothing(tmp_path: Path) -> None:
    first = CustomerLocks(tmp_path, operator="alice")
    first.claim([CUSTOMER])
    with pytest.raises(CustomerBusy, match="being worked on by alice"):
        CustomerLocks(tmp_path, operator="bob").claim([CUSTOMER])
    del first  # dropped without close(): its token is no longer alive
    claim = CustomerLocks(tmp_path, operator="bob").claim([CUSTOMER])
    assert len(claim.notes) == 1
    assert "reclaimed the lock of alice" in claim.notes[0]
    assert "an earlier session of this process" in claim.notes[0]


def test_no_refund_is_sent_when_stripe_cannot_say_what_was_refunded(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`GET /v1/refunds?charge=` answers 500 (the snapshot itself loads): the refund is not
    sent blind, and the operator is told why."""
    monkeypatch.setenv("STRIPE_API_KEY", KEY)
    sandbox = Sandbox.demo(scenarios=("duplicate-checkout",), now=DEFAULT_TEST_NOW)
    with SandboxServer(sandbox, fail_paths={"/v1/refunds": 500}) as failing:
        code, result, _ = triage(capsys, failing, *PARTIAL)
        assert refunds(failing) == []
    assert code == 1
    action = only_action(result)
    assert action["status"] == "failed"
    assert "could not check Stripe for what this refund already did" in str(action["message"])
    assert "nothing was sent" in str(action["message"])
    assert CaseLog().in_flight(include_planned=True) == []  # nothing left to settle
