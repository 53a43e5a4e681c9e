"""A case log the system will not let us use is one sentence naming the path, for every command
and for the workstation's start: a file where the case-log directory should be, a directory
where a case file should be, no permission, a read-only disk — never a traceback, and ``--json``
still prints a JSON document."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from billing_tui.app import BillingApp, Opening
from billing_tui.cli.main import main
from billing_tui.cli.opening import open_session
from billing_tui.desk.connection import ConnectionOptions, resolve_target
from billing_tui.store.config import data_dir

DANA = "dana.whitfield@example.com"
DEMO = ["--scenarios", "duplicate-checkout", "--now", "2026-11-26T12:00:00Z"]
SHARD = "cases-2026-11-01.json"  # the demo clock's month: where triage writes its case

COMMANDS: dict[str, list[str]] = {
    "cases list": ["cases", "list"],
    "cases list --json": ["cases", "list", "--json"],
    "cases show --json": ["cases", "show", "case-202611-01-abcdef12", "--json"],
    "cases handoff": ["cases", "handoff", "case-202611-01-abcdef12"],
    "cases export": ["cases", "export", "--format", "csv"],
    "triage": ["triage", DANA, *DEMO, "--bucket", "team_intent", "--reason", "r", "--yes"],
    "triage --json": ["triage", DANA, *DEMO, "--json"],
    "inspect --json": ["inspect", DANA, "--demo", "--json"],
}


def _file_in_place_of_the_log(root: Path) -> tuple[str, ...]:
    for name in ("cases", "demo-cases"):  # triage writes to the real log, inspect to the demo's
        (root / name).write_text("not a directory\n")
    return (f"cannot open the case log at {root}/", "cases: it is a file, not a directory")


def _directory_in_place_of_a_case_file(root: Path) -> tuple[str, ...]:
    for name in ("cases", "demo-cases"):
        (root / name / SHARD).mkdir(parents=True)
    return (f"the case log at {root / 'cases' / SHARD}: is a directory",)


BREAKAGES: dict[str, Callable[[Path], tuple[str, ...]]] = {
    "a file in place of the case log": _file_in_place_of_the_log,
    "a directory in place of a case file": _directory_in_place_of_a_case_file,
}


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_sentence(
    name: str, code: int, out: str, err: str, expected: str | tuple[str, ...]
) -> None:
    parts = (expected,) if isinstance(expected, str) else expected
    assert code == 2, name
    assert "Traceback" not in out + err, name
    lines = [line for line in err.splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, (name, err)
    if "--json" in name:
        assert out.strip().startswith("{"), (name, out, err)
        document = json.loads(out)
        assert document["kind"] == "case_log", name
        assert all(part in document["error"] for part in parts), name


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_every_command_says_which_case_log_path_is_broken(
    breakage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = data_dir()
    root.mkdir(parents=True, exist_ok=True)
    expected = BREAKAGES[breakage](root)
    for name, argv in COMMANDS.items():
        if breakage.startswith("a directory") and name.startswith("inspect"):
            continue  # inspect only opens the log, it reads no case file
        code, out, err = _run(capsys, argv)
        _assert_one_sentence(name, code, out, err, expected)


async def test_the_workstation_start_says_which_case_log_path_is_broken() -> None:
    root = data_dir()
    root.mkdir(parents=True, exist_ok=True)
    _file_in_place_of_the_log(root)
    expected = f"cannot open the case log at {root / 'demo-cases'}: it is a file, not a directory"
    target = resolve_target(ConnectionOptions(demo=True, scenarios=("duplicate-checkout",)))
    app = BillingApp(opening=Opening(target.preview(), partial(open_session, target, operator="o")))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 2
    assert app.start_failure is not None
    assert expected in app.start_failure
    assert "Traceback" not in app.start_failure


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes whatever the mode says")
def test_no_permission_is_one_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    root = data_dir()
    (root / "cases").mkdir(parents=True)
    (root / "cases").chmod(0o500)
    try:
        for name in ("cases list --json", "triage --json"):
            code, out, err = _run(capsys, COMMANDS[name])
            _assert_one_sentence(name, code, out, err, f"the case log at {root / 'cases'}")
            assert "permission denied" in err, name
    finally:
        (root / "cases").chmod(0o700)


@contextlib.contextmanager
def _read_only_mount(where: Path) -> Iterator[Callable[[], None]]:
    """A tmpfs at ``where`` (root only); calling the yielded function makes it read-only."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only file system needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield lambda: subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_a_read_only_disk_is_one_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = data_dir()
    with _read_only_mount(root) as make_read_only:
        code, _, _ = _run(capsys, COMMANDS["triage"])
        assert code == 0  # a case on disk
        make_read_only()
        code, out, err = _run(capsys, COMMANDS["triage --json"])
        _assert_one_sentence("triage --json", code, out, err, f"the case log at {root}")
        assert "read-only file system" in err
