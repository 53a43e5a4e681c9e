"""Money under faults: does a retry, a kill, a second terminal or a lost case log ever pay twice?

Against the loopback sandbox (``SandboxServer``, the server behind ``billing-tui sandbox
serve``, with its fault injection), each trial takes a fresh sandbox and a fresh HOME, runs a
ticket with ``billing-tui triage``, re-runs it until the tool reports done (at most 4 runs,
as an operator would), then counts from the sandbox's final state, never the tool's output:

- double refunds: a charge refunded more often than the ticket intends (once);
- over-refunds: a charge refunded more than the ticket intends;
- disputed refunds: any refund of a customer with a dispute;
- refunds never made: an intended refund missing (a duplicate left cancelled-but-unrefunded);
- wrong cancels: a subscription cancelled that the ticket keeps (the oldest one);
- exits≠truth: exit 0 while Stripe does not hold the intended result, or non-zero while it
  does (a step that intends no change cannot contradict a non-zero exit).

``not done`` (the operator gave up after 4 runs), ``tracebacks`` (trials where any run
printed one) and ``runs`` are shown too, not counted as defects. The issue (#11) sets the
target: 0 in every defect column at 100 trials per mode. The modes are in
``tests/faults/modes.py``; a fast version runs in the test suite (``tests/faults/``).

    .venv/bin/python benchmarks/faults.py [--trials 100] [--seed 0] [--mode drop/whole ...]
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.harness import quick_retries, spawning
from tests.faults.modes import MODES, explain, run_mode, table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="trials per mode (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="first trial seed (default 0)")
    parser.add_argument(
        "--mode",
        action="append",
        default=[],
        metavar="GLOB",
        help=f"modes to run (repeatable, globs): {', '.join(MODES)}",
    )
    parser.add_argument(
        "--seeds", action="store_true", help="list the seeds of the bad trials of each mode"
    )
    parser.add_argument(
        "--explain", metavar="MODE:SEED", help="replay one trial and show its runs and facts"
    )
    parser.add_argument(
        "--quick-retries",
        action="store_true",
        help="shorten the retry back-off sleeps (as the fast test does); wall times shrink",
    )
    parser.add_argument(
        "--fork",
        action="store_true",
        help="fork the killed and concurrent processes from this one (as the fast test "
        "does) instead of starting python -m billing_tui afresh",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.quick_retries:
            stack.enter_context(quick_retries())
        stack.enter_context(spawning("fork" if args.fork else "exec"))
        return run(parser, args)


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.explain:
        name, _, seed = args.explain.rpartition(":")
        if name not in MODES or not seed.isdigit():
            parser.error(f"--explain MODE:SEED, e.g. drop/whole:3 (modes: {', '.join(MODES)})")
        print(explain(MODES[name], int(seed)))
        return 0
    chosen = [
        m
        for name, m in MODES.items()
        if not args.mode or any(fnmatch.fnmatch(name, g) for g in args.mode)
    ]
    if not chosen:
        parser.error(f"no mode matches {args.mode}")
    seeds = range(args.seed, args.seed + args.trials)
    started = time.perf_counter()
    tallies = []
    for mode in chosen:
        tally = run_mode(mode, seeds)
        tallies.append(tally)
        print(
            f"  {mode.name}: {mode.what}; {tally.bad} defects in {tally.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(table(tallies))
    if args.seeds:
        for tally in tallies:
            if tally.bad_seeds:
                print(f"{tally.mode.name}: bad seeds {tally.bad_seeds}")
    print(f"\n{args.trials} trials per mode, {time.perf_counter() - started:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
