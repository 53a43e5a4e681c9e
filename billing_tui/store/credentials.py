"""Where the Stripe key is kept: the OS keyring, ``STRIPE_API_KEY``, or the opt-in file.

The key lives in the OS keyring (service ``billing-tui``, username = profile name). Two explicit,
visible alternatives exist: ``STRIPE_API_KEY`` in the environment (wins over everything; for CI
and SSH sessions) and the ``--insecure-file-store`` opt-in (a 0600 file under the config dir,
announced every time it is used).

The key itself is a :class:`~billing_tui.core.keys.SecretKey` (redacted ``repr``/``str``, not
picklable; :mod:`billing_tui.core.keys` parses and masks it; ``CredentialsError`` and
``SecretKey`` are re-exported here, the rest is imported from there).
It is wrapped the moment it is read from any source.

``keyring`` is imported only by the functions that use the keyring (importing it loads its
backends): a start with ``STRIPE_API_KEY`` never pays for it.

Keyring calls may block (an unlock prompt) — the TUI calls these functions from thread workers.
Every keyring failure becomes a :class:`CredentialsError` whose message names the backend and
the ways out; nothing here lets a keyring exception escape.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

from billing_tui.core.keys import CredentialsError, KeyKind, SecretKey, parse_key
from billing_tui.core.text import mask_key
from billing_tui.store.config import (
    ConfigError,
    atomic_write_bytes,
    config_dir,
    ensure_private_dir,
    load_config,
    update_config,
)

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE = "billing-tui"
ENV_VAR = "STRIPE_API_KEY"
DEFAULT_PROFILE = "default"
INSECURE_FILE = "credentials-insecure.json"

KeySource = Literal["environment", "keyring", "file"]

_PROFILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_WAYS_OUT = (
    "Ways out: install or unlock an OS keyring (macOS Keychain, Windows Credential Locker, "
    "GNOME Keyring / KWallet via Secret Service); or set STRIPE_API_KEY in the environment; "
    "or run `billing-tui login --insecure-file-store` to keep the key in a 0600 file "
    "(not encrypted)."
)


class NoKey(CredentialsError):
    """No key is configured at all (as opposed to one that is there but unusable)."""


def check_profile(profile: str) -> str:
    if not _PROFILE.fullmatch(profile):
        raise CredentialsError(
            f"Invalid profile name {profile!r}: use letters, digits, '-', '_' or '.' "
            "(at most 64, starting with a letter or digit)"
        )
    return profile


@dataclass(frozen=True)
class ResolvedKey:
    key: SecretKey
    source: KeySource
    profile: str

    @property
    def notice(self) -> str | None:
        """What the operator must be told about where the key came from (or None)."""
        if self.source == "environment":
            return f"Using the Stripe key from the environment ({ENV_VAR}), not the keyring"
        if self.source == "file":
            return (
                f"Using the key stored UNENCRYPTED in {insecure_file_path()} "
                "(--insecure-file-store); prefer the OS keyring"
            )
        return None

    @property
    def source_label(self) -> str:
        """Where the key came from, for a status line. Only a keyring key asks the keyring
        (which imports its backends): an environment key's live start never loads them."""
        if self.source == "environment":
            return f"environment ({ENV_VAR})"
        if self.source == "keyring":
            return f"OS keyring ({keyring_backend_name()})"
        return f"insecure file {insecure_file_path()}"


# --- keyring policy -------------------------------------------------------------------------

_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.null", "keyring.backends.fail")


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_backend_name() -> str:
    """The configured keyring backend's class, for messages (never raises)."""
    try:
        import keyring

        return _backend_name(keyring.get_keyring())
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"


def _secure_keyring() -> KeyringBackend:
    """The keyring backend, if it is a secure one; else :class:`CredentialsError`.

    ``fail`` (no backend, headless Linux), ``null`` (``keyring --disable``) and every
    ``keyrings.alt`` backend (plaintext/base64 files) are refused; a ``ChainerBackend`` is
    unwrapped and must contain only acceptable backends.
    """
    try:
        import keyring
        from keyring.backends.chainer import ChainerBackend

        backend = keyring.get_keyring()
        leaves = list(backend.backends) if isinstance(backend, ChainerBackend) else [backend]
    except Exception as exc:  # a bad PYTHON_KEYRING_BACKEND, a backend that fails to load …
        raise CredentialsError(
            f"The OS keyring backend failed to load ({type(exc).__name__}: {exc}). {_WAYS_OUT}"
        ) from None
    if not leaves:
        raise CredentialsError(
            f"No secure OS keyring available (detected an empty chain). {_WAYS_OUT}"
        )
    for leaf in leaves:
        name = _backend_name(leaf)
        if type(leaf).__module__.startswith(_INSECURE_MODULES):
            raise CredentialsError(f"No secure OS keyring available (detected {name}). {_WAYS_OUT}")
    return backend


def check_keyring() -> str:
    """The secure keyring backend's name, or :class:`CredentialsError` saying why there is none
    (call it before asking the operator for a key that could not be stored)."""
    return _backend_name(_secure_keyring())


def _keyring_failed(action: str, backend: object, exc: BaseException) -> NoReturn:
    raise CredentialsError(
        f"The OS keyring ({_backend_name(backend)}) failed to {action}: "
        f"{type(exc).__name__}: {exc}. It may be locked — unlock it and retry. {_WAYS_OUT}"
    ) from None


def _keyring_get(profile: str) -> SecretKey | None:
    backend = _secure_keyring()
    try:
        held = _hold(backend.get_password(SERVICE, profile))
    except Exception as exc:
        _keyring_failed("read the key", backend, exc)
    if held is None:
        return None
    try:
        return parse_key(held.reveal())
    except CredentialsError as exc:
        raise CredentialsError(
            f"The key stored in the keyring for profile {profile!r} "
            f"({mask_key(held.reveal())}) is unusable ({exc}). "
            f"Run `billing-tui login --profile {profile}` again."
        ) from None


# --- the opt-in insecure file ---------------------------------------------------------------


def insecure_file_path() -> Path:
    return config_dir() / INSECURE_FILE


def _hold(value: object) -> SecretKey | None:
    """Wrap a raw stored value at once, so no frame keeps it in a plain local (tracebacks
    with locals). The kind is a placeholder: callers parse ``reveal()`` before use."""
    return SecretKey(value, KeyKind.SECRET_TEST) if isinstance(value, str) else None


def _read_insecure_file() -> dict[str, SecretKey]:
    path = insecure_file_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CredentialsError(
            f"The credentials file {path} cannot be read ({type(exc).__name__}); "
            "remove it and run `billing-tui login` again"
        ) from None
    keys = data.get("keys", {}) if isinstance(data, dict) else {}
    held = {str(k): _hold(v) for k, v in keys.items()} if isinstance(keys, dict) else {}
    return {k: v for k, v in held.items() if v is not None}


def _write_insecure_file(keys: dict[str, SecretKey]) -> None:
    path = insecure_file_path()
    if not keys:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    ensure_private_dir(path.parent)
    payload = {
        "warning": "Stripe keys in plain text: `billing-tui login --insecure-file-store`",
        "keys": {profile: key.reveal() for profile, key in keys.items()},
    }
    atomic_write_bytes(path, json.dumps(payload, indent=2).encode("utf-8"), mode=0o600)


# --- public API -----------------------------------------------------------------------------


def known_profiles() -> tuple[str, ...]:
    """Profiles that have a stored key (for a profile switcher), default first."""
    config = load_config()
    names = list(config.profiles)
    if config.default_profile and config.default_profile in names:
        names.remove(config.default_profile)
        names.insert(0, config.default_profile)
    return tuple(names)


def _remember(profile: str, *, present: bool) -> None:
    profiles = [p for p in load_config().profiles if p != profile]
    if present:
        profiles.append(profile)
    with contextlib.suppress(ConfigError):  # an unreadable config is reported elsewhere
        update_config(profiles=tuple(sorted(profiles)))


def default_profile() -> str:
    """The remembered default profile (config file), else ``"default"``."""
    return load_config().default_profile or DEFAULT_PROFILE


def set_default_profile(profile: str) -> None:
    update_config(default_profile=check_profile(profile))


def resolve_key(profile: str | None = None) -> ResolvedKey:
    """Find the key: ``STRIPE_API_KEY``, else the keyring, else the opt-in file.

    Raises :class:`CredentialsError` with the next step when there is none, or when the keyring
    cannot be used and no other source has a key.
    """
    profile = check_profile(profile or default_profile())
    env = _hold(os.environ.get(ENV_VAR))
    if env is not None and env.reveal().strip():
        try:
            key = parse_key(env.reveal())
        except CredentialsError as exc:
            raise CredentialsError(
                f"{ENV_VAR} is set but unusable ({mask_key(env.reveal())}): {exc}"
            ) from None
        return ResolvedKey(key, "environment", profile)
    keyring_problem: CredentialsError | None = None
    try:
        key_or_none = _keyring_get(profile)
    except CredentialsError as exc:
        keyring_problem = exc
        key_or_none = None
    if key_or_none is not None:
        return ResolvedKey(key_or_none, "keyring", profile)
    stored = _read_insecure_file().get(profile)
    if stored is not None:
        try:
            return ResolvedKey(parse_key(stored.reveal()), "file", profile)
        except CredentialsError as exc:
            raise CredentialsError(
                f"The key in {insecure_file_path()} for profile {profile!r} "
                f"({mask_key(stored.reveal())}) is unusable ({exc})"
            ) from None
    if keyring_problem is not None:
        raise NoKey(f"No Stripe key for profile {profile!r}: {keyring_problem}")
    raise NoKey(
        f"No Stripe key for profile {profile!r}. Run `billing-tui login"
        f"{'' if profile == DEFAULT_PROFILE else ' --profile ' + profile}` to store one in the "
        f"OS keyring, set {ENV_VAR}, or use --demo to try the built-in sandbox."
    )


def store_key(profile: str, key: SecretKey, *, insecure_file: bool = False) -> KeySource:
    """Save the key for ``profile`` in the keyring (or, on explicit opt-in, the 0600 file)."""
    profile = check_profile(profile)
    if insecure_file:
        keys = _read_insecure_file()
        keys[profile] = key
        _write_insecure_file(keys)
        _remember(profile, present=True)
        return "file"
    backend = _secure_keyring()
    try:
        backend.set_password(SERVICE, profile, key.reveal())
        stored = backend.get_password(SERVICE, profile)
    except Exception as exc:
        _keyring_failed("store the key", backend, exc)
    if stored != key.reveal():
        raise CredentialsError(
            f"The OS keyring ({_backend_name(backend)}) accepted the key but does not return it; "
            f"it cannot be used to keep the key. {_WAYS_OUT}"
        )
    _remember(profile, present=True)
    # A keyring login supersedes a plaintext copy of the same profile.
    with contextlib.suppress(CredentialsError):
        keys = _read_insecure_file()
        if keys.pop(profile, None) is not None:
            _write_insecure_file(keys)
    return "keyring"


def delete_key(profile: str) -> list[str]:
    """Remove the profile's key from the keyring and the insecure file; returns where from.

    Raises :class:`CredentialsError` only if there was nothing to delete and the keyring could
    not be asked.
    """
    profile = check_profile(profile)
    removed: list[str] = []
    problem: CredentialsError | None = None
    try:
        backend = _secure_keyring()
        try:
            if backend.get_password(SERVICE, profile) is not None:
                backend.delete_password(SERVICE, profile)
                removed.append("keyring")
        except Exception as exc:
            _keyring_failed("delete the key", backend, exc)
    except CredentialsError as exc:
        problem = exc
    keys = _read_insecure_file()
    if keys.pop(profile, None) is not None:
        _write_insecure_file(keys)
        removed.append("file")
    if not removed and problem is not None:
        raise problem
    if removed:
        _remember(profile, present=False)
    return removed


__all__ = [
    "DEFAULT_PROFILE",
    "ENV_VAR",
    "INSECURE_FILE",
    "SERVICE",
    "CredentialsError",
    "KeySource",
    "ResolvedKey",
    "SecretKey",
    "check_keyring",
    "check_profile",
    "default_profile",
    "delete_key",
    "insecure_file_path",
    "keyring_backend_name",
    "known_profiles",
    "resolve_key",
    "set_default_profile",
    "store_key",
]
