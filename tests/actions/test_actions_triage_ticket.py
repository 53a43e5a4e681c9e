"""`triage --ticket`: for every catalog scenario its own ticket leads to the recorded bucket."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from billing_tui.cli.main import main
from billing_tui.sandbox import catalog

NOW = ["--now", "2026-11-26T12:00:00Z"]
SCENARIOS = {info.name: info for info in catalog.list_scenarios()}


def triage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(["triage", *argv, "--json"])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenarios_ticket_suggests_its_recorded_bucket(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    info = SCENARIOS[name]
    assert info.ticket, f"{name} has no ticket"
    code, result = triage(
        capsys, info.identifier, "--demo", "--scenarios", name, *NOW, "--ticket", info.ticket
    )
    assert code == 0, result
    assert result["suggested"] == info.bucket
    assert result["bucket"] == info.bucket
    assert result["dry_run"] is True
    if info.bucket is None:
        # a healthy customer is a successful dry run: bucket none, a document-only plan
        assert [p["kind"] for p in result["actions"]] == ["no_op"]


def test_the_ticket_is_shown_with_what_it_answered(capsys: pytest.CaptureFixture[str]) -> None:
    info = SCENARIOS["zh-locale"]
    base = [info.identifier, "--demo", "--scenarios", "zh-locale", *NOW]
    code, without = triage(capsys, *base)
    assert (code, without["suggested"]) == (0, None)
    code, result = triage(capsys, *base, "--ticket", info.ticket)
    assert result["answers"] == {"q_complaint": "product_broken"}
    assert [(t["quote"], t["status"], t["applied"]) for t in result["ticket"]] == [
        ("宕机", "stated", ["q_complaint"]),
        ("退还", "stated", []),
    ]
    assert any(
        e["sentence"].startswith("From the ticket: '宕机' → q_complaint")
        for e in result["evidence"]
    )


def test_the_operators_answer_beats_the_ticket(capsys: pytest.CaptureFixture[str]) -> None:
    info = SCENARIOS["product-outage"]
    code, result = triage(
        capsys,
        info.identifier,
        "--demo",
        "--scenarios",
        "product-outage",
        *NOW,
        "--ticket",
        info.ticket,
        "--answer",
        "q_complaint=other",
    )
    assert (code, result["suggested"], result["answers"]) == (0, None, {"q_complaint": "other"})
    assert result["ticket"][0]["applied"] == []


def test_the_ticket_can_come_from_a_file_or_stdin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = SCENARIOS["product-outage"]
    base = [info.identifier, "--demo", "--scenarios", "product-outage", *NOW]
    path = tmp_path / "ticket.txt"
    path.write_text(info.ticket, encoding="utf-8")
    code, result = triage(capsys, *base, "--ticket-file", str(path))
    assert (code, result["suggested"]) == (0, "product_failure")
    monkeypatch.setattr("sys.stdin", io.StringIO("我无法取消订阅"))
    code, result = triage(capsys, *base, "--ticket-file", "-")
    assert result["answers"] == {"q_complaint": "cannot_cancel", "q_cancel": "no"}
    code, result = triage(capsys, *base, "--ticket-file", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "--ticket-file" in str(result["error"])
    assert "cannot read it" in str(result["error"])
