"""Secret-leak audit (issue #6): run the flows with a recognisable key, scan everything written.

Flows so far: login (piped, in a real subprocess with ``PYTHON_KEYRING_BACKEND``), whoami (text,
JSON, environment key), a refused revoked key, inspect (found and not found), triage executing
its plans (case log with actions and Stripe ids), cases list/show/handoff/export, logout, and a
forced crash printing a rich traceback **with locals** from a frame holding the key. Scanned:
every file under the app's home and the XDG dirs, and all captured stdout/stderr, for the
canary key, any ``sk_``/``rk_`` secret, and any 13–19 digit Luhn-valid number. The lead extends
this to the TUI (screens, snapshots, crash screen).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from conftest import HERE as CREDENTIALS_TESTS
from conftest import declare_keys
from credtest_keyrings import FileKeyring

from billing_tui.cli.main import main
from tests.leakscan import leaks

ROOT = CREDENTIALS_TESTS.parent.parent
CANARY = "sk_test_LEAKCANARY7f3a9c1e5b2d4086"
REVOKED_CANARY = "sk_test_LEAKCANARYrevoked0000"


@pytest.fixture
def audit_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    written = tmp_path / "written"  # everything the app may write lives under here
    dirs = {
        "home": written / "billing-tui-home",
        "xdg_data": written / "xdg-data",
        "xdg_config": written / "xdg-config",
        "xdg_cache": written / "xdg-cache",
        "keyring": tmp_path / "os-keyring" / "keyring.json",  # the "OS keyring": not scanned
    }
    for name, path in dirs.items():
        (path.parent if name == "keyring" else path).mkdir(parents=True)
    monkeypatch.setenv("BILLING_TUI_HOME", str(dirs["home"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["xdg_data"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["xdg_config"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["xdg_cache"]))
    monkeypatch.setenv("CREDTEST_KEYRING_FILE", str(dirs["keyring"]))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "credtest_keyrings.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(CREDENTIALS_TESTS)]))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    dirs["written"] = written
    yield dirs
    keyring.set_keyring(previous)


def test_no_flow_writes_or_prints_the_key_or_card_numbers(
    audit_env: dict[str, Path],
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    sandbox = Sandbox.demo(scenarios=("duplicate-checkout", "restricted-key"))
    declare_keys(sandbox, CANARY)
    sandbox.state.keys.revoked.add(REVOKED_CANARY)
    outputs: list[str] = []

    def cli(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capfd.readouterr()
        outputs.append(out + err)
        return code

    def subprocess_cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> int:
        result = subprocess.run(
            [sys.executable, "-m", "billing_tui", *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, **(env or {})},
        )
        outputs.append(result.stdout + result.stderr)
        return result.returncode

    with SandboxServer(sandbox) as server:
        base = ("--api-base", server.url)
        # A real process logs in (piped key) and another one sees it through the keyring.
        assert subprocess_cli("login", *base, stdin=CANARY + "\n") == 0, outputs[-1]
        assert CANARY in audit_env["keyring"].read_text()  # the flows really used the canary
        assert subprocess_cli("whoami", *base) == 0, outputs[-1]
        assert cli("whoami", "--json", *base) == 0
        assert cli("login", "--profile", "bad", *base, stdin=REVOKED_CANARY) == 2
        assert cli("inspect", "dana.whitfield@example.com", *base) == 0, outputs[-1]
        assert cli("inspect", "cus_NoSuchCustomer01", *base) != 0
        assert cli("triage", "dana.whitfield@example.com", "--yes", "--json", *base) == 0, outputs[
            -1
        ]
        dry_run = ("--bucket", "product_failure", "--reason", "three-day outage")
        assert cli("triage", "ilse.janssens@example.com", *dry_run, *base) == 0, outputs[-1]
        monkeypatch.setenv("STRIPE_API_KEY", CANARY)
        assert cli("whoami", *base) == 0
        monkeypatch.delenv("STRIPE_API_KEY")
    assert cli("cases", "list", "--json") == 0
    case_ids = re.findall(r"case-\d{6}-\d{2}-[0-9a-z][0-9a-f]{7}", outputs[-1])
    assert case_ids, outputs[-1]
    assert cli("cases", "show", case_ids[0], "--json") == 0
    assert cli("cases", "handoff", case_ids[0]) == 0
    assert cli("cases", "export", "--format", "json") == 0
    assert cli("cases", "export", "--format", "csv") == 0
    assert "refund" in outputs[-1]  # the triage really executed money-moving plans

    # A crash in a frame that holds the key, rendered like Textual's crash screen (locals on).
    crash = textwrap.dedent(
        """
        from rich.console import Console
        from rich.traceback import Traceback
        from billing_tui.store.credentials import resolve_key

        def load_customer(identifier):
            resolved = resolve_key()
            key = resolved.key
            raise ConnectionError(f"lost the connection while using {key}")

        try:
            load_customer("dana.whitfield@example.com")
        except ConnectionError:
            Console(stderr=True, width=200).print(Traceback(show_locals=True))
            raise
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", crash], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1
    assert "sk_test_…4086" in result.stderr  # the locals were printed, redacted
    outputs.append(result.stdout + result.stderr)

    assert cli("logout") == 0

    hits = [f"output #{i}: {leak}" for i, text in enumerate(outputs) for leak in leaks(text)]
    files = [p for p in audit_env["written"].rglob("*") if p.is_file()]
    assert any(p.name.startswith("cases-") for p in files)  # the case log was written
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits += [f"{path.relative_to(audit_env['written'])}: {leak}" for leak in leaks(text)]
    assert hits == []


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert leaks(f"x {CANARY} y") == ["the canary key", f"secret {CANARY}"]
    assert leaks("rk_live_abcdefgh1234") == ["secret rk_live_abcdefgh1234"]
    assert leaks("card 4242 4242 4242 4242.") == ["card-like number 4242 4242 4242 4242"]
    assert leaks("4000-0566-5566-5556") == ["card-like number 4000-0566-5566-5556"]
    assert leaks("sk_test_…4086, 1764115200, 4242424242424241, ch_3MmlLrLkdIwHu7ix") == []
