"""Starting the workstation: failures before the first frame are one clear line and exit 2."""

from __future__ import annotations

import pytest

from billing_tui.cli.main import build_parser
from billing_tui.cli.tui import EXIT_CANNOT_START, run_tui


def test_no_key_is_a_clear_message_not_a_tui(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args([])
    assert run_tui(args) == EXIT_CANNOT_START
    err = capsys.readouterr().err
    assert err.startswith("billing-tui: cannot start: ")
    assert "Traceback" not in err


def test_a_bad_clock_option_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["--demo", "--now", "yesterday-ish"])
    assert run_tui(args) == EXIT_CANNOT_START
    assert "--now 'yesterday-ish' is not an ISO 8601 time" in capsys.readouterr().err
