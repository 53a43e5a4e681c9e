"""Connection options and the non-demo connection paths (no network is used)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from billing_tui.cli.options import (
    add_connection_options,
    connection_options,
    parse_now,
    parse_time,
)
from billing_tui.core.keys import parse_key
from billing_tui.core.text import mask_key
from billing_tui.desk.connection import (
    PLACEHOLDER_KEY,
    ConnectionFailed,
    ConnectionOptions,
    connect,
    open_connection,
    resolve_target,
)


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_connection_options(parser)
    return parser.parse_args(list(argv))


def test_options_from_args() -> None:
    opts = connection_options(_args("--demo", "--now", "2026-11-26T12:00:00Z", "--population", "5"))
    assert opts.demo
    assert opts.now == datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert opts.population == 5
    assert opts.scenarios == ("all",)
    assert opts.api_base is None


def test_scenarios_imply_demo() -> None:
    opts = connection_options(_args("--scenarios", "duplicate-checkout", "x.json"))
    assert opts.demo
    assert opts.scenarios == ("duplicate-checkout", "x.json")


def test_api_base_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_TUI_API_BASE", "http://127.0.0.1:12111")
    assert connection_options(_args()).api_base == "http://127.0.0.1:12111"


def test_bad_now_is_a_clear_error() -> None:
    with pytest.raises(ConnectionFailed, match="ISO 8601"):
        parse_now("yesterday")


def test_one_now_rule_for_the_connection_and_the_sandbox_server() -> None:
    # `--now` reads the same for every command (it had two parsers that disagreed on " …z ")
    expected = datetime(2026, 11, 26, 12, tzinfo=UTC)
    for text in ("2026-11-26T12:00:00Z", " 2026-11-26T12:00:00z ", "2026-11-26T12:00"):
        assert parse_now(text) == parse_time(text) == expected
    with pytest.raises(ValueError, match="--now 'yesterday' is not an ISO 8601 time"):
        parse_time("yesterday")


def test_key_mode_and_mask_never_show_the_key() -> None:
    live = "rk_live_" + "Zz9" * 8
    assert parse_key(live).live
    assert not parse_key("sk_test_" + "abc123" * 4).live
    masked = mask_key(live)
    assert live not in masked
    assert masked.endswith(live[-4:])
    assert masked.startswith("rk_live_")


async def test_api_base_without_a_key_uses_the_placeholder_and_says_so() -> None:
    conn = connect(ConnectionOptions(api_base="http://127.0.0.1:9"))
    try:
        assert conn.info.api_base == "http://127.0.0.1:9"
        assert conn.info.mode == "test"
        assert "placeholder" in conn.info.key_source
        assert conn.info.key_hint == mask_key(PLACEHOLDER_KEY)
        assert PLACEHOLDER_KEY not in repr(conn)
    finally:
        await conn.aclose()


def test_real_stripe_without_a_key_refuses_with_a_message() -> None:
    with pytest.raises(ConnectionFailed) as err:
        connect(ConnectionOptions())
    assert str(err.value)


async def test_key_from_the_environment_is_used_and_shown_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "sk_live_" + "Q7" * 12
    monkeypatch.setenv("STRIPE_API_KEY", key)
    conn = connect(ConnectionOptions())
    try:
        assert conn.info.mode == "live"
        assert conn.info.live
        assert conn.info.key_source == "environment (STRIPE_API_KEY)"
        assert conn.info.notice is not None
        assert "STRIPE_API_KEY" in conn.info.notice
        assert conn.info.key_hint.endswith(key[-4:])
        assert key not in conn.info.key_hint
        assert key not in repr(conn)
        assert key not in conn.info.describe()
    finally:
        await conn.aclose()


async def test_demo_connection_uses_the_sandbox_clock() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    conn = connect(ConnectionOptions(demo=True, scenarios=("healthy",), now=now))
    try:
        assert conn.info.mode == "demo"
        assert not conn.info.live
        assert conn.info.key_hint == "sandbox"
        assert conn.sandbox is not None
        assert conn.now() == now
        assert conn.info.account_name
    finally:
        await conn.aclose()


def test_commands_say_when_the_key_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from billing_tui.cli.main import main
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_fromtheenvironment")
    with SandboxServer(Sandbox.demo(scenarios=("healthy",))) as server:
        code = main(["inspect", "priya.raman@example.com", "--api-base", server.url])
    captured = capsys.readouterr()
    assert code == 0
    assert "note: Using the Stripe key from the environment (STRIPE_API_KEY)" in captured.err
    assert "sk_test_fromtheenvironment" not in captured.err + captured.out


async def test_the_quick_half_resolves_the_key_and_previews_the_info(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "P3" * 12)
    target = resolve_target(ConnectionOptions(api_base="http://127.0.0.1:9"))
    assert "P3" * 12 not in repr(target)
    conn = open_connection(target)
    try:
        assert conn.info == target.preview()
        assert conn.info.key_source == "environment (STRIPE_API_KEY)"
    finally:
        await conn.aclose()
    assert resolve_target(ConnectionOptions(demo=True)).preview().mode == "demo"


def test_the_connection_seam_imports_neither_the_cli_nor_the_sdk() -> None:
    code = (
        "import sys, billing_tui.desk.connection as c; "
        "c.resolve_target(c.ConnectionOptions(demo=True)); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('billing_tui.cli', 'stripe', 'billing_tui.sandbox', 'argparse'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
