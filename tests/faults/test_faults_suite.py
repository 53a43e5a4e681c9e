"""The fault suite, fast: 10 trials per mode, and not one double refund, over-refund, refund
of a disputed customer, refund left unmade, wrong cancel or lying exit code.

The same modes as ``benchmarks/faults.py`` (which runs 100 per mode and prints the figures);
each trial is a fresh loopback sandbox with the server's own fault injection and a fresh
HOME, judged from the sandbox's final state. The retry back-off sleeps are shortened
(:func:`tests.faults.harness.quick_retries`) and the processes a kill or a second terminal
needs are forked from this one rather than started afresh (``spawning("fork")``); nothing
else is replaced.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.harness import quick_retries, spawning
from tests.faults.modes import MODES, Mode, Tally, run_mode, table
from tests.faults.truth import TICKETS, Baseline, Facts, Intent, judge

TRIALS = 10
#: The workstation's trials start a Textual App per session (seconds each): fewer of them, so
#: the suite stays well inside its time (the benchmark runs 100).
TRIALS_OF = {"kill-tui/whole": 2}

#: Modes that fail on main today (issue 11), each with what goes wrong; remove an entry once
#: the fix is merged and the mode passes. Non-strict only where main fails in some runs of 10
#: trials and not in others (the fault draws follow the order concurrent reads arrive in).
KNOWN: dict[str, tuple[str, bool]] = {}


def _param(name: str) -> object:
    known = KNOWN.get(name)
    if known is None:
        return pytest.param(name, id=name)
    reason, strict = known
    return pytest.param(name, id=name, marks=pytest.mark.xfail(strict=strict, reason=reason))


@pytest.fixture(autouse=True)
def _quick() -> Iterator[None]:
    with quick_retries(), spawning("fork"):
        yield


@pytest.mark.parametrize("name", [_param(n) for n in MODES])
def test_no_money_defect_under_faults(name: str) -> None:
    mode: Mode = MODES[name]
    trials = TRIALS_OF.get(name, TRIALS)
    tally: Tally = run_mode(mode, range(trials))
    assert tally.trials == trials
    assert tally.bad == 0, (
        f"{mode.what}:\n{table([tally])}\nbad seeds {tally.bad_seeds} "
        f"(replay: benchmarks/faults.py --explain {name}:SEED)"
    )
    assert tally.tracebacks == 0, f"a run printed a traceback:\n{table([tally])}"


# ------------------------------------------------------------ the judge itself can fail


def _facts(refunds: dict[str, tuple[int, ...]], cancelled: set[str]) -> Facts:
    return Facts(refunds=refunds, refunded_customers=frozenset(), cancelled=frozenset(cancelled))


BASE = Baseline(frozenset(), frozenset({"sub_dupcheckoutA", "sub_dupcheckoutB"}), frozenset())


def test_the_judge_sees_each_defect_and_passes_the_intended_result() -> None:
    whole = TICKETS["whole"]
    done = _facts({"ch_dupcheckoutB001": (1900,)}, {"sub_dupcheckoutB"})
    assert not judge(whole, BASE, done, [(done, 0)]).bad
    twice = _facts({"ch_dupcheckoutB001": (1900, 1900)}, {"sub_dupcheckoutB"})
    verdict = judge(whole, BASE, twice, [(twice, 0)])
    assert verdict.double_refund
    assert verdict.over_refund
    assert verdict.exit_not_truth
    owed = _facts({}, {"sub_dupcheckoutB"})
    verdict = judge(whole, BASE, owed, [(owed, 0)])
    assert verdict.refund_never_made
    assert verdict.exit_not_truth
    assert not judge(whole, BASE, owed, [(owed, 1)]).exit_not_truth
    assert judge(whole, BASE, done, [(done, 2)]).exit_not_truth  # done, but says it failed
    wrong = _facts({"ch_dupcheckoutB001": (1900,)}, {"sub_dupcheckoutA", "sub_dupcheckoutB"})
    assert judge(whole, BASE, wrong, [(wrong, 0)]).wrong_cancel
    partial = TICKETS["partial"]
    five = _facts({"ch_dupcheckoutB001": (500,)}, set())
    assert not judge(partial, BASE, five, [(five, 0)]).bad
    ten = _facts({"ch_dupcheckoutB001": (500, 500)}, set())
    assert judge(partial, BASE, ten, [(ten, 0)]).double_refund


def test_a_disputed_customer_refunded_is_a_defect_even_when_the_tool_says_it_failed() -> None:
    disputed = TICKETS["disputed"]
    base = Baseline(frozenset(), frozenset({"sub_disputed1"}), frozenset({"cus_disputed1"}))
    refunded = Facts({"ch_disputed1003": (1900,)}, frozenset({"cus_disputed1"}), frozenset())
    verdict = judge(disputed, base, refunded, [(refunded, 1)])
    assert verdict.disputed_refund
    assert verdict.over_refund
    untouched = Facts({}, frozenset(), frozenset())
    assert not judge(disputed, base, untouched, [(untouched, 2)]).bad  # nothing to contradict
    assert not Intent().changes
