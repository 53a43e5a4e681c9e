"""Where billing-tui keeps its files, and the small user config file.

Directories (``BILLING_TUI_HOME`` overrides both, for tests, demos and portable installs):

- config: ``$BILLING_TUI_HOME/config`` or ``platformdirs.user_config_dir("billing-tui")``
  (``config.toml``; the ``--insecure-file-store`` credentials file when the operator opts in);
- data: ``$BILLING_TUI_HOME/data`` or ``platformdirs.user_data_dir("billing-tui")`` (the case log).

``config.toml`` holds a few operator preferences::

    default_profile = "work"
    profiles = ["work", "acme-live"]
    handoff_locale = "zh-CN"

    [keymap]
    "search.focus" = "ctrl+f"

Keys this module does not know are kept as they are when the file is rewritten. A file that
cannot be parsed is never overwritten: reading reports it in :attr:`Config.problems` and falls
back to defaults; writing refuses with :class:`ConfigError`.

Importing this module is cheap and has no side effects (it imports nothing of billing_tui):
``platformdirs``, ``tomllib`` and ``tempfile`` are loaded only by the functions that use them,
so the App can import it plainly at start-up to read its keymap.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import TypeAlias, TypedDict, Unpack

#: A value as :mod:`tomllib` reads it (and :func:`dumps_toml` writes it back).
TOMLValue: TypeAlias = (
    str
    | int
    | float
    | bool
    | datetime
    | date
    | clock_time
    | list["TOMLValue"]
    | tuple["TOMLValue", ...]
    | dict[str, "TOMLValue"]
)

APP_NAME = "billing-tui"
HOME_ENV = "BILLING_TUI_HOME"
CONFIG_FILE = "config.toml"


class ConfigError(Exception):
    """The config file cannot be read or written; the message names the file and the fix."""


def config_dir() -> Path:
    """The directory for ``config.toml`` (and the opt-in insecure credentials file)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """The directory for the case log."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """The directory for disposable caches (the account sweep)."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700 for what we create) and return it."""
    existed = path.is_dir()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not existed and os.name == "posix":
        with contextlib.suppress(OSError):
            path.chmod(0o700)
    return path


def atomic_write_bytes(
    path: Path, payload: bytes, *, mode: int = 0o600, durable: bool = True
) -> None:
    """Write ``payload`` to ``path`` atomically: temp file in the same dir, fsync, replace.

    The temp file is ``.<name>.<random>.tmp`` (created 0600 by :func:`tempfile.mkstemp`), so a
    crash leaves either the old file or the new one, plus at worst an orphan temp file.
    ``durable=False`` skips the fsyncs (for caches that are rebuilt when lost).
    """
    import tempfile

    directory = path.parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                _full_fsync(handle.fileno())
        if mode != 0o600:
            os.chmod(tmp, mode)
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(directory)


def _replace(source: str, target: Path) -> None:
    """``os.replace``; on Windows, retried briefly while another handle (a reader, an
    antivirus scanner, a sync client) keeps the target open."""
    attempts = 6 if os.name == "nt" else 1
    for attempt in range(attempts):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * 2**attempt)


def _full_fsync(fd: int) -> None:
    """fsync; on macOS also F_FULLFSYNC, since its fsync does not flush the drive's cache."""
    os.fsync(fd)
    if sys.platform == "darwin":  # pragma: no cover - macOS only
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX only; a no-op elsewhere)."""
    if os.name != "posix":
        return
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass(frozen=True)
class Config:
    """The operator's preferences. ``extra`` keeps unknown keys so a rewrite never drops them."""

    default_profile: str | None = None
    handoff_locale: str | None = None
    #: Profiles with a stored key (kept by login/logout: keyrings cannot list their entries).
    profiles: tuple[str, ...] = ()
    keymap: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, TOMLValue] = field(default_factory=dict)
    #: Why the file on disk was not used (unparseable, wrong types); empty when all is well.
    problems: tuple[str, ...] = ()

    def with_changes(self, **changes: Unpack[ConfigChanges]) -> Config:
        return replace(self, **changes)


class ConfigChanges(TypedDict, total=False):
    """The fields :meth:`Config.with_changes` and :func:`update_config` may change."""

    default_profile: str | None
    handoff_locale: str | None
    profiles: tuple[str, ...]
    keymap: Mapping[str, str]
    extra: Mapping[str, TOMLValue]


def config_path() -> Path:
    return config_dir() / CONFIG_FILE


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file gives defaults, a broken one defaults + problems."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        return Config(problems=(f"Cannot read {path}: {exc.strerror or exc}",))
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return Config(problems=(f"{path} is not valid TOML ({exc}); using defaults",))
    return _from_mapping(data, path)


def _from_mapping(data: Mapping[str, TOMLValue], path: Path) -> Config:
    problems: list[str] = []
    extra = {
        k: v
        for k, v in data.items()
        if k not in ("default_profile", "handoff_locale", "keymap", "profiles")
    }

    def text(name: str) -> str | None:
        value = data.get(name)
        if value is None or isinstance(value, str):
            return value or None
        problems.append(f"{path}: {name} must be a string, ignoring {value!r}")
        return None

    raw_profiles = data.get("profiles", [])
    profiles: tuple[str, ...] = ()
    if isinstance(raw_profiles, list) and all(isinstance(p, str) for p in raw_profiles):
        profiles = tuple(str(p) for p in raw_profiles)
    else:
        problems.append(f"{path}: profiles must be a list of names, ignoring it")

    keymap: dict[str, str] = {}
    raw_keymap = data.get("keymap", {})
    if isinstance(raw_keymap, Mapping):
        for binding, keys in raw_keymap.items():
            if isinstance(keys, str):
                keymap[str(binding)] = keys
            else:
                problems.append(f"{path}: keymap.{binding} must be a string of keys, ignoring it")
    else:
        problems.append(f"{path}: keymap must be a table, ignoring it")
    return Config(
        default_profile=text("default_profile"),
        handoff_locale=text("handoff_locale"),
        profiles=profiles,
        keymap=keymap,
        extra=extra,
        problems=tuple(problems),
    )


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write ``config`` atomically (mode 0600). Refuses to replace a file it could not parse."""
    path = path or config_path()
    if path.exists():
        current = load_config(path)
        unreadable = [p for p in current.problems if "not valid TOML" in p or "Cannot read" in p]
        if unreadable:
            raise ConfigError(
                f"{path} could not be read ({unreadable[0]}); fix or remove it, "
                "billing-tui will not overwrite it"
            )
    ensure_private_dir(path.parent)
    atomic_write_bytes(path, dumps_toml(config).encode("utf-8"))
    return path


def update_config(path: Path | None = None, **changes: Unpack[ConfigChanges]) -> Config:
    """Load, change some fields, save; returns the saved config."""
    config = replace(load_config(path), problems=()).with_changes(**changes)
    save_config(config, path)
    return config


def _toml_string(value: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes (json never emits "\/").
    return json.dumps(value, ensure_ascii=True)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_toml_string(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise ConfigError(f"cannot write {type(value).__name__} values to the config file")


def dumps_toml(config: Config) -> str:
    """The config as TOML (scalars first, then tables), readable by :mod:`tomllib`."""
    scalars: dict[str, TOMLValue] = {}
    tables: dict[str, Mapping[str, TOMLValue]] = {}
    for key, value in config.extra.items():
        if isinstance(value, Mapping):
            tables[key] = value
        else:
            scalars[key] = value
    if config.default_profile:
        scalars["default_profile"] = config.default_profile
    if config.profiles:
        scalars["profiles"] = list(config.profiles)
    if config.handoff_locale:
        scalars["handoff_locale"] = config.handoff_locale
    if config.keymap:
        tables["keymap"] = config.keymap
    lines = ["# billing-tui settings (written by billing-tui; comments are not kept)"]
    lines += [f"{_toml_string(k)} = {_toml_value(v)}" for k, v in scalars.items()]
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{_toml_string(name)}]")
        lines += [f"{_toml_string(str(k))} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
