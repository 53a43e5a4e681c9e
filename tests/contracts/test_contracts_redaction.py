"""One redaction rule in every output: a key with underscores typed by the operator comes back as
``sk_live_…WXYZ`` on the CLI, in the handoff, the case log, its exports, the TUI's error text and
the header — nowhere longer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from billing_tui.cli.main import main
from billing_tui.core.text import redact
from billing_tui.gateway.errors import GatewayError
from widgets.errors import describe_error
from widgets.header import safe_key_hint

KEY = "sk_live_51Abc_" + "DEF0123456789xyzWXYZ"
BODY = "51Abc_DEF0123456789xyz"
MASKED = "sk_live_…WXYZ"
DANA = "dana.whitfield@example.com"
DEMO = ["--scenarios", "duplicate-checkout", "--now", "2026-11-26T12:00:00Z"]


def test_the_rule_itself() -> None:
    assert redact(KEY) == MASKED


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    out, err = capsys.readouterr()
    return out + err


def test_a_key_in_the_reason_is_masked_in_every_cli_output_and_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reason = f"the customer pasted {KEY} into the ticket"
    triage = _run(
        capsys, "triage", DANA, *DEMO, "--bucket", "team_intent", "--reason", reason, "--yes"
    )
    assert MASKED in triage
    listing = _run(capsys, "cases", "list", "--json")
    case_id = json.loads(listing)[0]["id"]
    outputs = {
        "triage": triage,
        "triage --json": _run(
            capsys, "triage", DANA, *DEMO, "--bucket", "team_intent", "--reason", reason, "--json"
        ),
        "cases list --json": listing,
        "cases show": _run(capsys, "cases", "show", case_id),
        "cases handoff": _run(capsys, "cases", "handoff", case_id),
        "cases export csv": _run(capsys, "cases", "export", "--format", "csv"),
        "cases export json": _run(capsys, "cases", "export", "--format", "json"),
    }
    for name, text in outputs.items():
        assert BODY not in text, name
    for name in ("triage", "cases show", "cases handoff", "cases export json"):
        assert MASKED in outputs[name], name  # the reason is shown there, masked
    home = Path(os.environ["BILLING_TUI_HOME"])
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written, "the case log was written"
    for path in written:
        assert BODY not in path.read_text(errors="replace"), path


def test_a_key_in_an_error_and_in_the_header_is_masked() -> None:
    error = GatewayError(f"Invalid API Key provided: {KEY}")
    assert BODY not in str(error)
    assert MASKED in str(error)
    shown = describe_error(RuntimeError(f"boom with {KEY}"), "Loading the customer")
    assert BODY not in shown
    assert safe_key_hint(KEY) == MASKED
