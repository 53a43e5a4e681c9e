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


# --- no traceback reaches the operator ---------------------------------------------------------

KEY = "sk_live_51Abc_" + "Leaky0123456789WXYZ"
EMAIL = "dana.whitfield@example.com"


@pytest.mark.parametrize("as_json", [False, True])
def test_an_unexpected_error_is_one_redacted_sentence_and_exit_70(
    as_json: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from billing_tui.desk.casebook import CaseBook

    def broken(self: CaseBook, **_: object) -> None:
        raise RuntimeError(f"boom for {EMAIL} with {KEY} and 4242 4242 4242 4242")

    monkeypatch.setattr(CaseBook, "cases", broken)  # a bug anywhere below the command
    code = main(["cases", "list", *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == 70
    assert err.count("\n") == 1
    assert err.startswith("billing-tui cases: unexpected error (RuntimeError): boom for d***@")
    assert "sk_live_…WXYZ" in err
    for secret in (EMAIL, "Leaky0123456789", "4242 4242"):
        assert secret not in out + err
    if as_json:
        document = json.loads(out)
        assert document["kind"] == "internal"
        assert document["error"] in err
    else:
        assert out == ""


def test_inspect_json_prints_a_document_when_nothing_is_found(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    argv = ["inspect", "nobody.at.all@nowhere.example", "--scenarios", "duplicate-checkout"]
    assert main([*argv, "--json"]) == 1
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["kind"] == "not_found"
    assert "No customer has the email" in document["error"]
    assert document["identifier"] == "n***@nowhere.example"
    assert "nobody.at.all" not in out + err
    assert "No customer has the email" in err


def test_a_closed_output_pipe_ends_quietly_with_141() -> None:
    """``billing-tui … | head``: the reader leaves after a few bytes; no BrokenPipeError."""
    from billing_tui.store.caselog import CaseLog, CaseRecord
    from billing_tui.store.caselog.records import new_case_id, utcnow

    now = utcnow()
    CaseLog().import_cases(
        [
            CaseRecord(
                id=new_case_id(now.year, now.month, 1),
                opened_at=now,
                updated_at=now,
                operator="ana",
                status="open",
                queries=(f"customer{i}@example.com",),
                customer_ids=(f"cus_{i:06d}",),
                masked_email="c***@example.com",
            )
            for i in range(400)  # well over a pipe's 64 KiB as JSON
        ]
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "billing_tui", "cases", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    assert child.stdout.read(16)  # like `head -c 16`, then the reader is gone
    child.stdout.close()
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) == 141
    assert err == ""
