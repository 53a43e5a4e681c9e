"""Where the key is kept: keyring, STRIPE_API_KEY, the opt-in file, and broken keyrings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import keyring.backends.fail
import keyring.backends.null
import pytest
from credtest_keyrings import ExplodingKeyring, LockedKeyring, MemoryKeyring

from billing_tui.core.keys import parse_key
from billing_tui.store import config
from billing_tui.store.credentials import (
    SERVICE,
    CredentialsError,
    default_profile,
    delete_key,
    insecure_file_path,
    resolve_key,
    set_default_profile,
    store_key,
)

KEY = parse_key("sk_test_STORE0000000000000000abcd")
OTHER = parse_key("rk_live_STORE_1111111111111111wxyz")


def test_store_then_resolve_from_keyring(memory_keyring: MemoryKeyring) -> None:
    assert store_key("default", KEY) == "keyring"
    assert memory_keyring.store[(SERVICE, "default")] == KEY.reveal()
    resolved = resolve_key()
    assert resolved.key == KEY
    assert resolved.source == "keyring"
    assert resolved.profile == "default"
    assert resolved.notice is None


def test_profiles_are_separate_entries(memory_keyring: MemoryKeyring) -> None:
    store_key("default", KEY)
    store_key("acme-live", OTHER)
    assert resolve_key("acme-live").key == OTHER
    assert resolve_key("default").key == KEY
    set_default_profile("acme-live")
    assert default_profile() == "acme-live"
    assert resolve_key().key == OTHER


def test_environment_wins_visibly(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_key("default", KEY)
    monkeypatch.setenv("STRIPE_API_KEY", OTHER.reveal())
    resolved = resolve_key()
    assert resolved.key == OTHER
    assert resolved.source == "environment"
    assert resolved.notice is not None
    assert "STRIPE_API_KEY" in resolved.notice


def test_bad_environment_key_is_reported_not_ignored(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_key("default", KEY)
    monkeypatch.setenv("STRIPE_API_KEY", "pk_test_abcdefabcdefabcdef")
    with pytest.raises(CredentialsError, match=r"STRIPE_API_KEY is set but unusable.*publishable"):
        resolve_key()


def test_missing_key_says_how_to_log_in(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError) as exc:
        resolve_key("work")
    assert "No Stripe key for profile 'work'" in str(exc.value)
    assert "billing-tui login --profile work" in str(exc.value)


def test_delete_removes_the_entry(memory_keyring: MemoryKeyring) -> None:
    store_key("default", KEY)
    assert delete_key("default") == ["keyring"]
    assert memory_keyring.store == {}
    assert delete_key("default") == []
    with pytest.raises(CredentialsError, match="No Stripe key"):
        resolve_key()


def test_invalid_profile_name_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError, match="Invalid profile name"):
        store_key("../etc", KEY)


@pytest.mark.parametrize(
    ("backend", "named"),
    [
        (keyring.backends.fail.Keyring, "keyring.backends.fail.Keyring"),
        (keyring.backends.null.Keyring, "keyring.backends.null.Keyring"),
    ],
)
def test_no_secure_keyring_names_backend_and_ways_out(
    home: Path, use_keyring: Callable[[object], object], backend: type, named: str
) -> None:
    use_keyring(backend())
    for call in (lambda: store_key("default", KEY), lambda: resolve_key(), lambda: delete_key("x")):
        with pytest.raises(CredentialsError) as exc:
            call()
        message = str(exc.value)
        assert named in message
        assert "STRIPE_API_KEY" in message
        assert "--insecure-file-store" in message
        assert KEY.reveal() not in message


def test_keyrings_alt_style_plaintext_backend_is_not_secure(
    home: Path, use_keyring: Callable[[object], object]
) -> None:
    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    use_keyring(plaintext())
    with pytest.raises(CredentialsError, match=r"keyrings\.alt\.file\.PlaintextKeyring"):
        store_key("default", KEY)


def test_chainer_with_an_insecure_member_is_not_secure(
    home: Path, use_keyring: Callable[[object], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends.chainer import ChainerBackend

    plaintext = type("PlaintextKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})
    chain = ChainerBackend()
    monkeypatch.setattr(ChainerBackend, "backends", [plaintext()])
    use_keyring(chain)
    with pytest.raises(CredentialsError, match="PlaintextKeyring"):
        resolve_key()


@pytest.mark.parametrize("backend", [ExplodingKeyring, LockedKeyring])
def test_broken_or_locked_keyring_never_crashes(
    home: Path, use_keyring: Callable[[object], object], backend: type
) -> None:
    use_keyring(backend())
    with pytest.raises(CredentialsError) as exc:
        store_key("default", KEY)
    assert backend.__name__ in str(exc.value)
    assert "unlock" in str(exc.value)
    with pytest.raises(CredentialsError, match="No Stripe key for profile 'default'"):
        resolve_key()
    with pytest.raises(CredentialsError):
        delete_key("default")


def test_bad_backend_override_is_a_credentials_error(
    home: Path, monkeypatch: pytest.MonkeyPatch, use_keyring: Callable[[object], object]
) -> None:
    import keyring.core

    def broken() -> object:
        raise ModuleNotFoundError("No module named 'nosuchkeyring'")

    monkeypatch.setattr(keyring.core, "get_keyring", broken)
    monkeypatch.setattr(keyring, "get_keyring", broken)
    with pytest.raises(CredentialsError, match=r"failed to load.*nosuchkeyring"):
        resolve_key()


def test_insecure_file_store_is_explicit_private_and_announced(
    home: Path, use_keyring: Callable[[object], object]
) -> None:
    use_keyring(keyring.backends.fail.Keyring())
    assert store_key("default", KEY, insecure_file=True) == "file"
    path = insecure_file_path()
    assert path.parent == config.config_dir()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    resolved = resolve_key()
    assert resolved.key == KEY
    assert resolved.source == "file"
    assert resolved.notice is not None
    assert "UNENCRYPTED" in resolved.notice
    assert str(path) in resolved.notice
    assert delete_key("default") == ["file"]
    assert not path.exists()


def test_keyring_login_supersedes_the_plaintext_copy(memory_keyring: MemoryKeyring) -> None:
    store_key("default", KEY, insecure_file=True)
    store_key("default", OTHER)
    assert not insecure_file_path().exists()
    assert resolve_key().source == "keyring"


def test_a_keyring_that_forgets_is_caught_at_login(
    home: Path, use_keyring: Callable[[object], object]
) -> None:
    from credtest_keyrings import ForgetfulKeyring

    use_keyring(ForgetfulKeyring())
    with pytest.raises(CredentialsError, match="accepted the key but does not return it"):
        store_key("default", KEY)


def test_known_profiles_follow_login_and_logout(memory_keyring: MemoryKeyring) -> None:
    from billing_tui.store.credentials import known_profiles

    assert known_profiles() == ()
    store_key("zeta", KEY)
    store_key("alpha", OTHER)
    store_key("mid", KEY, insecure_file=True)
    assert known_profiles() == ("alpha", "mid", "zeta")
    set_default_profile("zeta")
    assert known_profiles() == ("zeta", "alpha", "mid")
    delete_key("alpha")
    delete_key("mid")
    assert known_profiles() == ("zeta",)


def test_failures_while_resolving_keep_raw_keys_out_of_traceback_locals(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    import traceback

    malformed = 'sk_live_QUOTED_key0000000000"'
    monkeypatch.setenv("STRIPE_API_KEY", malformed)
    with pytest.raises(CredentialsError) as env_failure:
        resolve_key()
    monkeypatch.delenv("STRIPE_API_KEY")
    memory_keyring.store[(SERVICE, "default")] = malformed  # damaged keyring entry
    with pytest.raises(CredentialsError) as keyring_failure:
        resolve_key()
    for info in (env_failure, keyring_failure):
        stack = traceback.TracebackException.from_exception(info.value, capture_locals=True).stack
        ours = [frame for frame in stack if "billing_tui" in frame.filename]
        assert ours  # the frames of credentials.py that raised
        for frame in ours:
            assert "QUOTEDkey" not in repr(frame.locals), frame.name


ENV_KEY_PROBE = textwrap.dedent(
    """
    import json, sys
    from billing_tui.store.credentials import resolve_key

    resolved = resolve_key()
    shown = (resolved.source, resolved.source_label, resolved.notice, resolved.key.masked)
    loaded = sorted(m for m in sys.modules if m == "keyring" or m.startswith("keyring."))
    print(json.dumps({"shown": shown, "keyring_modules": loaded}))
    """
)


def test_an_environment_key_never_imports_keyring(tmp_path: Path) -> None:
    """A live start with STRIPE_API_KEY pays nothing for the keyring: its backends load at
    ``import keyring``, so resolving (and describing) an environment key must not import it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON_KEYRING", "STRIPE"))}
    env["BILLING_TUI_HOME"] = str(tmp_path / "home")
    env["STRIPE_API_KEY"] = OTHER.reveal()
    result = subprocess.run(
        [sys.executable, "-c", ENV_KEY_PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["keyring_modules"] == []
    source, label, notice, masked = report["shown"]
    assert (source, label, masked) == ("environment", "environment (STRIPE_API_KEY)", OTHER.masked)
    assert "STRIPE_API_KEY" in notice
