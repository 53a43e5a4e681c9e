"""`billing-tui sandbox serve|scenarios`: argument errors, and serving for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import stripe

from billing_tui.cli.main import main
from billing_tui.cli.options import parse_time
from billing_tui.cli.sandbox import parse_fail


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--fail", "429"], "STATUS:PROBABILITY"),
        (["--fail", "429:lots"], "is not STATUS:PROBABILITY"),
        (["--fail", "404:0.1"], "can't inject status 404"),
        (["--fail", "429:0.7,500:0.6"], "add up to more than 1"),
        (["--drop-after-commit", "1.5"], "between 0 and 1"),
        (["--now", "yesterday"], "not an ISO 8601 time"),
        (["--host", "192.0.2.1"], "not a loopback address"),
        (["--port", "70000"], "between 0 and 65535"),
        (["--population", "-3"], "0 or more"),
    ],
)
def test_malformed_serve_arguments_exit_2_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "serve", *argv]) == 2
    assert message in capsys.readouterr().err


def test_unknown_scenario_exits_2_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("billing_tui.sandbox.catalog")
    assert main(["sandbox", "serve", "--scenarios", "no-such-ticket"]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'no-such-ticket'" in err
    assert "duplicate-checkout" in err


def test_sandbox_without_action_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox"]) == 2
    assert "choose an action" in capsys.readouterr().err


def test_fail_and_now_parsing() -> None:
    assert parse_fail("429:0.1, 500:0.05") == {429: 0.1, 500: 0.05}
    assert parse_fail("") == {}
    with pytest.raises(ValueError, match="given twice"):
        parse_fail("500:0.1,500:0.2")
    assert parse_time("2026-11-26T12:00:00Z").isoformat() == "2026-11-26T12:00:00+00:00"
    assert parse_time("2026-11-26T12:00").tzinfo is not None


def test_scenarios_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = pytest.importorskip("billing_tui.sandbox.catalog")
    names = [info.name for info in catalog.list_scenarios()]
    assert main(["sandbox", "scenarios", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == names
    assert {"name", "title", "identifier", "anomalies", "bucket"} <= set(rows[0])
    assert main(["sandbox", "scenarios"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:2] == ["NAME", "BUCKET"]
    for name in names:
        assert name in table


def test_serve_answers_the_sdk_until_interrupted() -> None:
    pytest.importorskip("billing_tui.sandbox.catalog")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billing_tui",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--now",
            "2026-11-26T12:00:00Z",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "Stripe sandbox on http://127.0.0.1:" in first
        url = first.split(" on ", 1)[1].split()[0]
        client = stripe.StripeClient(
            "sk_test_cliserve1",
            base_addresses={"api": url},
            http_client=stripe.RequestsClient(),
        )
        assert client.v1.customers.list({"limit": 3}).object == "list"
        # what `curl -u sk_test_x: URL/v1/customers` sends: HTTP Basic, the key as user name
        answer = httpx.get(f"{url}/v1/customers", auth=("sk_test_x", ""), timeout=10)
        assert answer.status_code == 200
        assert answer.json()["object"] == "list"
    finally:
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 0


def test_serve_and_the_connection_read_the_sandbox_options_alike() -> None:
    # one definition (cli/options.add_sandbox_options) for --scenarios, --population, --now
    from billing_tui.cli.main import build_parser

    given = ["--scenarios", "healthy", "x.json", "--population", "3", "--now", "2026-11-26"]
    served = vars(build_parser().parse_args(["sandbox", "serve", *given]))
    connected = vars(build_parser().parse_args(["inspect", "x", *given]))
    for name in ("scenarios", "population", "now"):
        assert served[name] == connected[name]
    assert served["population"] == 3
    bare = vars(build_parser().parse_args(["sandbox", "serve"]))
    assert not {"scenarios", "population", "now"} & set(bare)
