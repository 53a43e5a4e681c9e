"""The fault modes: how each trial disturbs the tool, and the tally of their verdicts.

Each mode runs one ticket (:data:`tests.faults.truth.TICKETS`) in a fresh trial
(:func:`tests.faults.harness.trial`) and judges the sandbox's final state:

- ``drop/*``: the server applies a POST/DELETE and drops its answer (p 0.5);
- ``storm/*``: 500s (p 0.3) and 429s (p 0.2) on every request;
- ``kill-cli/*``: a ``triage`` process is SIGKILLed at a random request (and a random
  moment in it), then the operator restarts it;
- ``concurrent/*``: two ``triage`` processes on one customer and one case log at once;
- ``quarantine/*``: the first run's money answer is lost, then its case-log file is found
  corrupt (truncated) and quarantined before the operator re-runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tests.faults.harness import (
    KILLED,
    NO_FAULTS,
    Faults,
    Run,
    Trial,
    finish,
    kill_at,
    operate,
    run_cli,
    spawn_cli,
    trial,
    wait_requests,
)
from tests.faults.truth import BAD, TICKETS, Facts, Ticket, Verdict, judge

DROPPED = Faults(drop_after_commit=0.5)
STORM = Faults(fail={500: 0.3, 429: 0.2})
#: Latency that spreads a run over time, so a kill or a second process lands mid-run.
SLOW = Faults(latency_ms=15)
#: Every POST/DELETE answer lost: the first run cannot know what happened.
ALL_DROPPED = Faults(drop_after_commit=1.0)

#: Requests a clean whole-ticket run makes (reads, cancel, refund, refresh): kills land in it.
RUN_REQUESTS = 18


@dataclass(frozen=True)
class Outcome:
    """One trial: its verdict and how it went."""

    verdict: Verdict
    runs: int
    gave_up: bool
    tracebacks: int
    seconds: float


Runner = Callable[["Mode", Trial], list[tuple[Facts, int]]]


@dataclass(frozen=True)
class Mode:
    name: str
    ticket: Ticket
    faults: Faults
    runner: Runner
    what: str

    def run_trial(self, seed: int) -> Outcome:
        started = time.perf_counter()
        with trial(seed, self.faults) as t:
            steps = self.runner(self, t)
            verdict = judge(self.ticket, t.baseline, t.facts(), steps)
            return Outcome(
                verdict=verdict,
                runs=len(t.runs),
                gave_up=steps[-1][1] != 0,
                tracebacks=sum(r.traceback for r in t.runs),
                seconds=time.perf_counter() - started,
            )


def _steps(
    mode: Mode,
    t: Trial,
    first: Callable[[Trial], Run | None] | None = None,
    between: Callable[[Trial, Run], None] | None = None,
) -> list[tuple[Facts, int]]:
    """Each step of the ticket, re-run until done; (Stripe's facts, exit) after each."""
    results = []
    for index, step in enumerate(mode.ticket.steps):
        made = first(t) if first is not None and index == 0 else None
        hook = (lambda run: between(t, run)) if between is not None else None
        last = operate(t, step.argv, first=made, between=hook)
        results.append((t.facts(), last.code))
    return results


def plain(mode: Mode, t: Trial) -> list[tuple[Facts, int]]:
    """The ticket under the server's faults, in-process, re-run until done."""
    return _steps(mode, t)


def killed_cli(mode: Mode, t: Trial) -> list[tuple[Facts, int]]:
    """The first run is a process killed at a random request; the restarts run in-process."""
    rng = random.Random(t.seed)
    at = rng.randint(1, RUN_REQUESTS)
    delay = rng.uniform(0, 2 * mode.faults.latency_ms / 1000)

    def first(t: Trial) -> Run:
        started = time.perf_counter()
        process = spawn_cli(t, mode.ticket.steps[0].argv)
        killed = kill_at(t, process, at, delay)
        run = finish(t, process, started)
        return Run(KILLED, run.stdout, run.stderr, run.seconds) if killed else run

    def healed(t: Trial, run: Run) -> None:
        t.set_faults(NO_FAULTS)

    return _steps(mode, t, first, healed)


def concurrent(mode: Mode, t: Trial) -> list[tuple[Facts, int]]:
    """Two processes run the first step at once: a spawned one, and this one (in-process)
    starting at a random request of the other's run. Done when either says so, else re-run."""
    offset = random.Random(t.seed).randint(1, RUN_REQUESTS // 2)

    def first(t: Trial) -> Run:
        started = time.perf_counter()
        argv = mode.ticket.steps[0].argv
        process = spawn_cli(t, argv)
        wait_requests(t, process, offset, len(t.sandbox.request_log))
        here = run_cli(t, argv)
        there = finish(t, process, started)
        return next((r for r in (here, there) if r.done), there)

    return _steps(mode, t, first)


def quarantined(mode: Mode, t: Trial) -> list[tuple[Facts, int]]:
    """The first run loses every answer; its case-log file is then corrupt (truncated)."""
    corrupted: list[bool] = []

    def corrupt(t: Trial, run: Run) -> None:
        if corrupted:
            return
        t.set_faults(NO_FAULTS)
        for path in t.case_files():
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        corrupted.append(True)

    return _steps(mode, t, between=corrupt)


def _modes() -> Iterable[Mode]:
    for faults, label, what in (
        (DROPPED, "drop", "answers dropped after commit (p 0.5)"),
        (STORM, "storm", "500 (p 0.3) and 429 (p 0.2) storms"),
    ):
        for ticket in TICKETS.values():
            yield Mode(f"{label}/{ticket.name}", ticket, faults, plain, what)
    for name in ("whole", "partial"):
        yield Mode(
            f"kill-cli/{name}",
            TICKETS[name],
            SLOW,
            killed_cli,
            "a triage process SIGKILLed at a random request, then restarted",
        )
        yield Mode(
            f"concurrent/{name}",
            TICKETS[name],
            SLOW,
            concurrent,
            "two triage processes on one customer and one case log",
        )
        yield Mode(
            f"quarantine/{name}",
            TICKETS[name],
            ALL_DROPPED,
            quarantined,
            "the case log corrupt (quarantined) after a run whose answers were lost",
        )


def _tui_modes() -> Iterable[Mode]:
    from tests.faults.tui import killed_tui

    yield Mode(
        "kill-tui/whole",
        TICKETS["whole"],
        SLOW,
        killed_tui,
        "the workstation shut down mid-action, then started again",
    )


MODES: dict[str, Mode] = {m.name: m for m in (*_modes(), *_tui_modes())}


@dataclass
class Tally:
    """The counts of one mode over its trials."""

    mode: Mode
    trials: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD, 0))
    gave_up: int = 0
    tracebacks: int = 0
    runs: int = 0
    seconds: float = 0.0
    bad_seeds: list[int] = field(default_factory=list)

    def add(self, seed: int, outcome: Outcome) -> None:
        self.trials += 1
        for name in BAD:
            self.counts[name] += int(getattr(outcome.verdict, name))
        self.gave_up += int(outcome.gave_up)
        self.tracebacks += int(outcome.tracebacks > 0)
        self.runs += outcome.runs
        if outcome.verdict.bad:
            self.bad_seeds.append(seed)

    @property
    def bad(self) -> int:
        return sum(self.counts.values())


def run_mode(mode: Mode, seeds: Iterable[int]) -> Tally:
    tally = Tally(mode)
    started = time.perf_counter()
    for seed in seeds:
        tally.add(seed, mode.run_trial(seed))
    tally.seconds = time.perf_counter() - started
    return tally


HEADERS = (
    ("mode", 20),
    ("trials", 6),
    ("double refunds", 6),
    ("over-refunds", 6),
    ("disputed refunds", 8),
    ("refunds never made", 6),
    ("wrong cancels", 6),
    ("exits≠truth", 6),
    ("not done", 6),
    ("tracebacks", 6),
    ("runs", 5),
    ("seconds", 7),
)


def table(tallies: Iterable[Tally]) -> str:
    """The figures, one row per mode."""
    names = [h for h, _ in HEADERS]
    widths = [max(w, len(h)) for h, w in HEADERS]
    rows = [names]
    for t in tallies:
        rows.append(
            [
                t.mode.name,
                str(t.trials),
                *(str(t.counts[name]) for name in BAD),
                str(t.gave_up),
                str(t.tracebacks),
                str(t.runs),
                f"{t.seconds:.1f}",
            ]
        )
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(lines)


def explain(mode: Mode, seed: int) -> str:
    """One trial replayed, run by run: exit codes, the end of stderr, and Stripe's facts."""
    lines = [f"{mode.name} seed {seed}: {mode.what}"]
    with trial(seed, mode.faults) as t:
        steps = mode.runner(mode, t)
        facts = t.facts()
        verdict = judge(mode.ticket, t.baseline, facts, steps)
        for i, run in enumerate(t.runs, 1):
            tail = " | ".join(run.stderr.strip().splitlines()[-3:])
            lines.append(f"  run {i}: exit {run.code} in {run.seconds:.2f} s  {tail}")
        lines.append(f"  steps (exit judged): {[code for _, code in steps]}")
        lines.append(f"  refunds {dict(facts.refunds)}  cancelled {sorted(facts.cancelled)}")
        lines.append(f"  injected {t.server.injected}")
    bad = [name for name in BAD if getattr(verdict, name)]
    lines.append(f"  defects: {', '.join(bad) or 'none'}")
    return "\n".join(lines)
