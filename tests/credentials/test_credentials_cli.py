"""login / logout / whoami against the loopback sandbox (in-process CLI, in-memory keyring)."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import keyring.backends.fail
import pytest
from conftest import EMPTY_KEY, LIVE_KEY, PARTIAL_KEY, REVOKED_KEY, TEST_KEY
from credtest_keyrings import MemoryKeyring

from billing_tui.cli.main import main
from billing_tui.store.config import load_config
from billing_tui.store.credentials import SERVICE, insecure_file_path

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    def invoke(*argv: str, stdin: str | io.StringIO = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin) if isinstance(stdin, str) else stdin)
        code = main(list(argv))
        out, err = capsys.readouterr()
        for secret in (TEST_KEY, LIVE_KEY, PARTIAL_KEY, EMPTY_KEY, REVOKED_KEY):
            assert secret not in out + err
        return code, out, err

    return invoke


def test_login_checks_stores_and_remembers_the_default(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, err = run("login", "--api-base", api_base, stdin=TEST_KEY + "\n")
    assert code == 0, err
    assert "Account:      Acme Cloud (sandbox) (acct_" in out
    assert "Mode:         TEST" in out
    assert "Key:          sk_test_…0001 — secret key (test)" in out
    assert "read charges            yes" in out
    assert "write refunds           yes" in out
    assert "'default' is the default profile" in out
    assert memory_keyring.store == {(SERVICE, "default"): TEST_KEY}
    assert load_config().default_profile == "default"


def test_login_prompts_without_echo_on_a_terminal(
    run: Run, api_base: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return TEST_KEY

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, _out, err = run("login", "--profile", "work", "--api-base", api_base, stdin=Terminal())
    assert code == 0, err
    assert prompts == ["Stripe secret or restricted key for profile 'work': "]
    assert memory_keyring.store == {(SERVICE, "work"): TEST_KEY}


def test_login_with_a_live_key_says_live(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, _err = run("login", "--api-base", api_base, stdin=LIVE_KEY)
    assert code == 0
    assert "Mode:         LIVE  ← real money" in out
    assert "sk_live_…0001 — secret key (LIVE)" in out


def test_login_with_a_restricted_key_lists_what_it_lacks(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, _err = run("login", "--api-base", api_base, stdin=PARTIAL_KEY)
    assert code == 0
    assert "rk_test_…0001 — restricted key (test)" in out
    assert "read customers          yes" in out
    assert "read charges            no — needs rak_charge_read" in out
    assert "write refunds           unknown until used" in out
    assert "create portal sessions  unknown until used" in out


def test_restricted_key_without_read_permission_is_stored_with_a_warning(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, _err = run("login", "--api-base", api_base, stdin=EMPTY_KEY)
    assert code == 0
    assert "read customers          no — needs rak_customer_read" in out
    assert "Warning: this key cannot read customers" in out


def test_revoked_key_is_refused_and_not_stored(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    code, out, err = run("login", "--api-base", api_base, stdin=REVOKED_KEY)
    assert code == 2
    assert "Stripe rejected this key (HTTP 401" in err
    assert "Nothing stored." in err
    assert out == ""
    assert memory_keyring.store == {}


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("pk_test_abcdefabcdefabcdef", "publishable keys cannot read customers"),
        ("whsec_abcdefabcdefabcdef", "webhook signing secret"),
        ("", "No key given"),
        ("hunter2", "Not a Stripe API key"),
    ],
)
def test_keys_that_are_not_api_keys_are_refused_before_any_request(
    run: Run, memory_keyring: MemoryKeyring, typed: str, reason: str
) -> None:
    # No --api-base: had a request been made, it would have gone to real Stripe and failed.
    code, _out, err = run("login", stdin=typed)
    assert code == 2
    assert reason in err
    assert "Nothing stored." in err
    if typed:
        assert typed not in err


def test_whoami_shows_profile_source_account_mode_and_capabilities(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    run("login", "--api-base", api_base, stdin=PARTIAL_KEY)
    code, out, _err = run("whoami", "--api-base", api_base)
    assert code == 0
    assert "Profile:      default" in out
    assert "Source:       OS keyring (credtest_keyrings.MemoryKeyring)" in out
    assert "Acme Cloud (sandbox)" in out
    assert "read charges            no — needs rak_charge_read" in out
    code, out, _err = run("whoami", "--json", "--api-base", api_base)
    data = json.loads(out)
    assert data["profile"] == "default"
    assert data["source"] == "keyring"
    assert data["mode"] == "test"
    assert data["kind"] == "restricted_test"
    assert data["key"] == "rk_test_…0001"
    assert {c["name"]: c["status"] for c in data["capabilities"]}["read charges"] == "no"


def test_whoami_without_a_key_says_how_to_log_in(run: Run, memory_keyring: MemoryKeyring) -> None:
    code, out, err = run("whoami")
    assert code == 2
    assert out == ""
    assert "No Stripe key for profile 'default'. Run `billing-tui login`" in err


def test_environment_key_wins_visibly(
    run: Run, api_base: str, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("login", "--api-base", api_base, stdin=TEST_KEY)
    monkeypatch.setenv("STRIPE_API_KEY", LIVE_KEY)
    code, out, err = run("whoami", "--api-base", api_base)
    assert code == 0
    assert "Source:       environment (STRIPE_API_KEY)" in out
    assert "Mode:         LIVE" in out
    assert "Note: Using the Stripe key from the environment (STRIPE_API_KEY)" in err


def test_logout_deletes_and_whoami_then_fails(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    run("login", "--api-base", api_base, stdin=TEST_KEY)
    code, out, _err = run("logout")
    assert code == 0
    assert "Removed the key of profile 'default' from the OS keyring." in out
    assert memory_keyring.store == {}
    code, out, _err = run("logout")
    assert code == 0
    assert "No key was stored for profile 'default'" in out
    assert run("whoami", "--api-base", api_base)[0] == 2


def test_profiles_and_the_remembered_default(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    run("login", "--profile", "acme-test", "--api-base", api_base, stdin=TEST_KEY)
    code, out, _err = run("login", "--profile", "acme-live", "--api-base", api_base, stdin=LIVE_KEY)
    assert code == 0
    assert "The default profile is 'acme-test'" in out
    assert json.loads(run("whoami", "--json", "--api-base", api_base)[1])["mode"] == "test"
    whoami_live = run("whoami", "--json", "--profile", "acme-live", "--api-base", api_base)
    assert json.loads(whoami_live[1])["mode"] == "live"
    run("login", "--profile", "acme-live", "--default", "--api-base", api_base, stdin=LIVE_KEY)
    assert load_config().default_profile == "acme-live"
    assert json.loads(run("whoami", "--json", "--api-base", api_base)[1])["profile"] == "acme-live"
    # --profile works before the subcommand too.
    before = run("--profile", "acme-test", "whoami", "--json", "--api-base", api_base)
    assert json.loads(before[1])["profile"] == "acme-test"


def test_no_keyring_refuses_then_insecure_file_store_is_explicit(
    run: Run, api_base: str, use_keyring: Callable[[object], object]
) -> None:
    use_keyring(keyring.backends.fail.Keyring())
    typed = io.StringIO(TEST_KEY)
    code, out, err = run("login", "--api-base", api_base, stdin=typed)
    assert code == 2
    assert typed.tell() == 0  # refused before the key was even read
    assert out == ""
    assert "No secure OS keyring available (detected keyring.backends.fail.Keyring)" in err
    assert "STRIPE_API_KEY" in err
    assert "--insecure-file-store" in err
    assert not insecure_file_path().exists()

    code, out, err = run("login", "--insecure-file-store", "--api-base", api_base, stdin=TEST_KEY)
    assert code == 0
    assert "Source:       insecure file" in out
    assert "stored UNENCRYPTED" in err
    assert stat.S_IMODE(os.stat(insecure_file_path()).st_mode) == 0o600
    code, out, err = run("whoami", "--api-base", api_base)
    assert code == 0
    assert "Note: Using the key stored UNENCRYPTED" in err  # said every time


def test_unreachable_stripe_is_exit_1(run: Run, memory_keyring: MemoryKeyring) -> None:
    code, _out, err = run("login", "--api-base", "http://127.0.0.1:9", stdin=TEST_KEY)
    assert code == 1
    assert "Could not reach Stripe" in err
    assert memory_keyring.store == {}


def test_demo_needs_no_login(run: Run, memory_keyring: MemoryKeyring) -> None:
    assert run("login", "--demo", stdin=TEST_KEY)[0] == 2
    code, out, _err = run("whoami", "--demo")
    assert code == 0
    assert "DEMO" in out


def test_the_scenario_catalogs_own_keys(
    run: Run, api_base: str, memory_keyring: MemoryKeyring
) -> None:
    import billing_tui.sandbox

    scenario = json.loads(
        (
            Path(billing_tui.sandbox.__file__).parent / "scenarios" / "restricted-key.json"
        ).read_text()
    )
    (read_only,) = [k for k in scenario["keys"] if k.startswith("rk_test_")]
    (revoked,) = scenario["revoked_keys"]
    code, out, err = run("login", "--api-base", api_base, stdin=read_only)
    assert code == 0, err
    assert f"{read_only[:8]}…{read_only[-4:]} — restricted key (test)" in out
    for read in ("read customers", "read subscriptions", "read invoices", "read charges"):
        assert f"{read:<22}  yes" in out
    assert "write refunds           unknown until used" in out
    assert read_only not in out + err
    code, _out, err = run("login", "--api-base", api_base, stdin=revoked)
    assert code == 2
    assert "HTTP 401" in err
    assert revoked not in err


def test_a_command_with_an_environment_key_never_loads_the_keyring(
    home: Path, api_base: str
) -> None:
    """The environment key wins without asking the keyring: not even its import (a live
    command, like a live start, loads neither ``keyring`` nor the sandbox)."""
    import subprocess
    import sys

    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', sorted(m for m in sys.modules "
        "if m.startswith(('keyring', 'billing_tui.sandbox')))))\n"
        "from billing_tui.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "inspect", "cus_NoSuchCustomer01", "--api-base", api_base],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "STRIPE_API_KEY": TEST_KEY},
    )
    assert result.returncode == 1, result.stderr  # reached the sandbox: not found
    assert "Using the Stripe key from the environment" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == "MODULES []"
