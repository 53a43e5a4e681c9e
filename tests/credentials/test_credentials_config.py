"""The config file: locations, round trip, unknown keys kept, a broken file never overwritten."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from billing_tui.store.config import (
    Config,
    ConfigError,
    config_dir,
    config_path,
    data_dir,
    load_config,
    save_config,
    update_config,
)


def test_billing_tui_home_overrides_both_directories(home: Path) -> None:
    assert config_dir() == home / "config"
    assert data_dir() == home / "data"


def test_platformdirs_used_without_the_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BILLING_TUI_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "dat"))
    assert config_dir() == tmp_path / "cfg" / "billing-tui"
    assert data_dir() == tmp_path / "dat" / "billing-tui"


def test_missing_file_gives_defaults(home: Path) -> None:
    config = load_config()
    assert config == Config()
    assert config.problems == ()


def test_round_trip_keeps_unknown_keys(home: Path) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text(
        'theme = "dark"\nfuture_flag = true\n[keymap]\n"search.focus" = "ctrl+f"\n'
        "[tui]\nrefresh = 30\n"
    )
    update_config(default_profile="work", handoff_locale="zh-CN")
    data = tomllib.loads(config_path().read_text())
    assert data == {
        "theme": "dark",
        "future_flag": True,
        "default_profile": "work",
        "handoff_locale": "zh-CN",
        "keymap": {"search.focus": "ctrl+f"},
        "tui": {"refresh": 30},
    }
    config = load_config()
    assert config.keymap == {"search.focus": "ctrl+f"}
    assert config.default_profile == "work"
    assert stat.S_IMODE(os.stat(config_path()).st_mode) == 0o600


def test_strings_that_need_escaping_survive(home: Path) -> None:
    odd = 'quote " backslash \\ tab \t unicode 中文'
    save_config(Config(default_profile="p", keymap={'a"b': odd}))
    assert load_config().keymap == {'a"b': odd}


def test_wrong_types_are_reported_and_ignored(home: Path) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("default_profile = 3\nkeymap = 1\n")
    config = load_config()
    assert config.default_profile is None
    assert config.keymap == {}
    assert len(config.problems) == 2


def test_unparseable_file_is_reported_and_never_overwritten(home: Path) -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("default_profile = [unclosed\n")
    config = load_config()
    assert config.default_profile is None
    assert "not valid TOML" in config.problems[0]
    with pytest.raises(ConfigError, match="will not overwrite it"):
        update_config(default_profile="x")
    assert config_path().read_text() == "default_profile = [unclosed\n"


def test_importing_the_config_module_is_plain_and_cheap(tmp_path: Path) -> None:
    """The App imports it at start-up: nothing of billing_tui beyond it, no side effects, and
    the parsers and directory lookups only when a function needs them."""
    probe = (
        "import json, sys; import billing_tui.store.config; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
        "('billing_tui', 'tomllib', 'tempfile', 'platformdirs')))))"
    )
    env = dict(os.environ, BILLING_TUI_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "billing_tui",
        "billing_tui.store",
        "billing_tui.store.config",
    ]
    assert not (tmp_path / "home").exists()
