"""One redaction rule in every output: a key with underscores typed by the operator comes back as
``sk_live_…WXYZ`` on the CLI, in the handoff, the case log, its exports, the TUI's error text and
the header — nowhere longer."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_tui.cli.main import main
from billing_tui.core.text import redact
from billing_tui.gateway.errors import GatewayError
from billing_tui.sandbox import Sandbox
from billing_tui.sandbox.server import SandboxServer
from widgets.errors import describe_error
from widgets.header import safe_key_hint

KEY = "sk_live_51Abc_" + "DEF0123456789xyzWXYZ"
BODY = "51Abc_DEF0123456789xyz"
MASKED = "sk_live_…WXYZ"
DANA = "dana.whitfield@example.com"
CARD = "4000 0566 5566 5556"  # Visa debit test number: Luhn-valid
DEMO = ["--scenarios", "duplicate-checkout", "--now", "2026-11-26T12:00:00Z"]


def test_the_rule_itself() -> None:
    assert redact(KEY) == MASKED


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    out, err = capsys.readouterr()
    return out + err


@pytest.fixture(params=["demo", "loopback sandbox"])
def flow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The connection options of a triage run: the in-process demo, or ``sandbox serve``'s
    loopback server with a test key in the environment."""
    if request.param == "demo":
        yield DEMO
        return
    box = Sandbox.demo(
        scenarios=("duplicate-checkout",), now=datetime(2026, 11, 26, 12, tzinfo=UTC)
    )
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "flowTestKey0001")
    with SandboxServer(box) as server:
        yield ["--api-base", server.url]


def test_a_key_an_email_and_a_card_in_the_reason_are_masked_in_every_cli_output_and_file(
    capsys: pytest.CaptureFixture[str], flow: list[str]
) -> None:
    reason = f"the customer {DANA} pasted {KEY} and card {CARD} into the ticket"
    triage = _run(
        capsys, "triage", DANA, *flow, "--bucket", "team_intent", "--reason", reason, "--yes"
    )
    assert MASKED in triage
    listing = _run(capsys, "cases", "list", "--json")
    case_id = json.loads(listing)[0]["id"]
    outputs = {
        "triage": triage,
        "triage --json": _run(
            capsys, "triage", DANA, *flow, "--bucket", "team_intent", "--reason", reason, "--json"
        ),
        "cases list": _run(capsys, "cases", "list"),
        "cases list --json": listing,
        "cases list --search": _run(capsys, "cases", "list", "--search", DANA),
        "cases show": _run(capsys, "cases", "show", case_id),
        "cases show --json": _run(capsys, "cases", "show", case_id, "--json"),
        "cases handoff": _run(capsys, "cases", "handoff", case_id),
        "cases export csv": _run(capsys, "cases", "export", "--format", "csv"),
        "cases export json": _run(capsys, "cases", "export", "--format", "json"),
    }
    for name, text in outputs.items():
        assert BODY not in text, name
        assert CARD not in text, name
        if name.startswith("cases"):  # triage may echo what the operator typed; the log not
            assert DANA not in text, name
    for name in ("triage", "cases show", "cases handoff", "cases export json"):
        assert MASKED in outputs[name], name  # the reason is shown there, masked
    assert "d***@example.com" in outputs["cases show"]  # searched for, kept masked
    assert case_id in outputs["cases list --search"]  # a full address finds its masked form
    home = Path(os.environ["BILLING_TUI_HOME"])
    written = [p for p in home.rglob("*") if p.is_file()]
    assert written, "the case log was written"
    for path in written:
        stored = path.read_text(errors="replace")
        for secret in (BODY, DANA, CARD):
            assert secret not in stored, (path, secret)


def test_an_unmasked_log_written_before_the_rule_prints_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Logs written by earlier versions kept the searched address and free text as typed:
    every output of them is masked all the same."""
    from billing_tui.store.caselog.storage import read_json_file

    _run(capsys, "triage", DANA, *DEMO, "--bucket", "team_intent", "--reason", "first look")
    (shard,) = (Path(os.environ["BILLING_TUI_HOME"]) / "data" / "cases").glob("cases-*.json")
    data = read_json_file(shard)
    assert data is not None
    for doc in data["cases"].values():  # type: ignore[union-attr]
        doc["queries"] = [DANA]  # type: ignore[index]
        doc["follow_up"] = f"Hi {DANA}, your key {KEY} and card {CARD}"  # type: ignore[index]
    shard.write_text(json.dumps(data))
    case_id = json.loads(_run(capsys, "cases", "list", "--json"))[0]["id"]
    for argv in (
        ("cases", "list", "--json"),
        ("cases", "show", case_id),
        ("cases", "handoff", case_id),
        ("cases", "export", "--format", "json"),
        ("cases", "export", "--format", "csv"),
    ):
        shown = _run(capsys, *argv)
        for secret in (DANA, BODY, CARD):
            assert secret not in shown, (argv, secret)


def test_a_key_in_an_error_and_in_the_header_is_masked() -> None:
    error = GatewayError(f"Invalid API Key provided: {KEY}")
    assert BODY not in str(error)
    assert MASKED in str(error)
    shown = describe_error(RuntimeError(f"boom with {KEY}"), "Loading the customer")
    assert BODY not in shown
    assert safe_key_hint(KEY) == MASKED


# --- the property: no generated key, email or card survives any output path -------------------

_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_", "whsec_")
_BODY_CHARS = "abcXYZ0123456789_-.+/=:~!#$%^&*@"
_ALNUM = "abcdefXYZ0123456789"
#: What the operator types around a pasted value (never a character a key, email or card holds).
_GLUE = st.sampled_from([" ", "\n", ", ", "(", ") ", '"', "'", ": ", "key=", "—", "\t"])


@st.composite
def keys(draw: st.DrawFn) -> str:
    body = draw(st.text(st.sampled_from(_BODY_CHARS), min_size=8, max_size=40))
    return (
        draw(st.sampled_from(_PREFIXES))
        + draw(st.sampled_from(_ALNUM)) * 4
        + body
        + draw(st.text(st.sampled_from(_ALNUM), min_size=4, max_size=4))
    )


@st.composite
def cards(draw: st.DrawFn) -> str:
    """A Luhn-valid 13–19 digit number, grouped by spaces, dashes or not at all."""
    size = draw(st.integers(13, 19))
    digits = [draw(st.integers(2, 6))] + [draw(st.integers(0, 9)) for _ in range(size - 2)]
    total = sum(d * 2 - 9 * (d > 4) if i % 2 == 0 else d for i, d in enumerate(reversed(digits)))
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return sep.join(text[i : i + 4] for i in range(0, size, 4))


#: Any address, but "*@…": its masked form (``****@…``) holds it, though nothing is shown.
_EMAILS = st.emails().filter(lambda e: not e.startswith("*@"))


def _pasted(draw: st.DrawFn, secrets: list[str]) -> str:
    parts = [draw(_GLUE)]
    for secret in secrets:
        parts += [secret, draw(_GLUE)]
    return "".join(parts)


def _survivors(text: str, key: str, email: str, card: str) -> list[str]:
    prefix = next(p for p in _PREFIXES if key.startswith(p))
    found = [s for s in (key, key[len(prefix) : -4], email, card) if s in text]
    digits = "".join(ch for ch in card if ch.isdigit())
    if digits in re.sub(r"(?<=\d)[ -](?=\d)", "", text):  # the number regrouped
        found.append(digits)
    return found


def _outputs(tmp: Path, query: str, text: str) -> dict[str, str]:
    """Every way a case's text leaves billing-tui: the files, the records, each `cases` output,
    the handoff, and the error paths (Stripe errors, the TUI's sentence, main's reporter)."""
    from billing_tui.cli.cases import show_lines
    from billing_tui.cli.options import report_failure
    from billing_tui.desk.casebook import CaseBook
    from billing_tui.store.caselog import CaseLog

    log = CaseLog(tmp / "cases")
    case = log.open_case(
        operator="ana",
        query=query,
        customer_ids=["cus_1"],
        masked_email="d***@example.com",
        livemode=False,
    )
    log.update(
        case.id,
        follow_up=text,
        product_gaps=[text],
        classification={"bucket": "team_intent", "confirmed": True, "override_reason": text},
    )
    action = log.plan_action(
        case.id, kind="refund", params={"reason": text}, idempotency_key="k1", operator="ana"
    )
    log.finish_action(case.id, action.id, status="failed", result={"error": text})
    book = CaseBook(CaseLog(tmp / "cases"))
    record = book.case(case.id)
    outputs = {
        "files": "\n".join(p.read_text() for p in (tmp / "cases").rglob("*") if p.is_file()),
        "record": repr(record),
        "list --json": json.dumps([r.to_json() for r in book.cases()], ensure_ascii=False),
        "show": "\n".join(show_lines(record)),
        "handoff": book.handoff(case.id).text(),
        "export csv": book.export(fmt="csv"),
        "export json": book.export(fmt="json"),
        "stripe error": str(GatewayError(text)),
        "tui error": describe_error(RuntimeError(text), "Refunding"),
    }
    with (
        contextlib.redirect_stderr(io.StringIO()) as err,
        contextlib.redirect_stdout(io.StringIO()) as out,
    ):
        report_failure("triage", RuntimeError(text), as_json=True, code=70)
    outputs["cli error"] = err.getvalue() + json.loads(out.getvalue())["error"]
    return outputs


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), key=keys(), email=_EMAILS, card=cards())
def test_no_generated_key_email_or_card_survives_any_output_path(
    data: st.DataObject, key: str, email: str, card: str
) -> None:
    text = _pasted(data.draw, data.draw(st.permutations([key, email, card])))
    with tempfile.TemporaryDirectory() as tmp:
        outputs = _outputs(Path(tmp), email, text)
    for name, shown in outputs.items():
        assert _survivors(shown, key, email, card) == [], (name, shown)
