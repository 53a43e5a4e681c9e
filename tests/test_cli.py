"""The command line's contract: help, version, and the demo app start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from billing_tui import __version__
from billing_tui.cli.main import main


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"billing-tui {__version__}"


def test_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("inspect", "triage", "cases", "sandbox", "--demo"):
        assert command in out


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "billing_tui", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--demo"],
        ["--scenarios", "duplicate-checkout", "x.json", "--now", "2026-11-26T12:00:00Z"],
        ["--api-base", "http://127.0.0.1:9", "--profile", "support", "--population", "3"],
    ],
)
def test_the_plain_start_parses_like_the_full_parser(argv: list[str]) -> None:
    from billing_tui.cli.main import build_parser, parse

    assert vars(parse(argv)) == vars(build_parser().parse_args(argv))


def test_a_mistyped_command_still_gets_the_full_parsers_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["inpsect", "x"])
    assert exc.value.code == 2
    assert "invalid choice: 'inpsect' (choose from 'inspect'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--population", "many"])
    assert "usage: billing-tui [-h]" in capsys.readouterr().err


def test_inspect_goes_through_the_session_without_opening_a_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from billing_tui.store.caselog import CaseLog
    from billing_tui.store.config import data_dir

    argv = ["inspect", "dana.whitfield@example.com", "--scenarios", "duplicate-checkout"]
    assert main([*argv, "--now", "2026-11-26T12:00:00Z"]) == 0
    assert "CUSTOMERS (1)\n  cus_dupcheckout1" in capsys.readouterr().out
    assert CaseLog().list() == []
    assert CaseLog(data_dir() / "demo-cases").list() == []
