"""Copy text where the operator can paste it: the terminal (OSC 52) and, locally, the OS clipboard.

``App.copy_to_clipboard`` writes one OSC 52 sequence: it works over SSH and in most modern
terminals, but nothing confirms it. On a local desktop session the text also goes to the system
clipboard through pyperclip's detected mechanism, in a thread worker (it spawns ``xclip`` and
friends), with every error caught and the helper's stderr discarded so nothing is painted over
the screen. The messages say honestly where the text went.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from textual.app import App

#: Set to ``1`` to never touch the system clipboard (tests, shared machines).
DISABLE_ENV = "BILLING_TUI_NO_SYSTEM_CLIPBOARD"

#: pyperclip copy functions that just pipe into a command: run the command ourselves so its
#: stderr can be discarded and its exit status checked (pyperclip ignores both).
_COMMANDS: dict[str, list[str]] = {
    "copy_xclip": ["xclip", "-selection", "clipboard"],
    "copy_xsel": ["xsel", "--clipboard", "--input"],
    "copy_wl": ["wl-copy"],
    "copy_osx_pbcopy": ["pbcopy"],
    "copy_wsl": ["clip.exe"],
}

OSC52_MESSAGE = "Sent to the terminal clipboard (OSC 52)"


def is_remote() -> bool:
    """An SSH session: the only route to the operator's clipboard is OSC 52."""
    return any(os.environ.get(name) for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"))


def has_desktop() -> bool:
    """Whether a local system clipboard can exist at all (no display server, no clipboard)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def system_clipboard_wanted() -> bool:
    return not os.environ.get(DISABLE_ENV) and not is_remote() and has_desktop()


def _pyperclip_copier() -> Callable[[str], Any] | None:
    try:
        import pyperclip
    except ImportError:
        return None
    try:
        copy_fn = pyperclip.determine_clipboard()[0]
    except Exception:  # detection itself can fail on odd systems
        return None
    if not copy_fn:  # pyperclip's "no clipboard" stub is falsy
        return None
    return copy_fn  # type: ignore[no-any-return]


def native_copy(text: str, timeout: float = 3.0) -> str | None:
    """Copy to the system clipboard (blocking: thread workers only).

    Returns ``None`` on success, else a short reason. Never raises, never writes to stderr.
    """
    copy_fn = _pyperclip_copier()
    if copy_fn is None:
        return "no system clipboard tool found (install xclip, xsel or wl-clipboard)"
    command = _COMMANDS.get(getattr(copy_fn, "__name__", ""))
    try:
        if command is not None:
            result = subprocess.run(  # noqa: S603 - fixed argv, no shell
                command,
                input=text.encode("utf-8"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
            if result.returncode != 0:
                return f"{command[0]} failed (exit {result.returncode})"
            return None
        copy_fn(text)
    except subprocess.TimeoutExpired:
        return "the system clipboard did not answer"
    except Exception as error:  # any failure is reported, never raised
        return type(error).__name__
    return None


def copy_to_clipboards(app: App[Any], text: str, *, what: str = "Text") -> str:
    """Copy ``text`` to the terminal clipboard now and, locally, to the system clipboard.

    Returns the message to show right away. When a system copy is attempted it runs in a
    thread worker (group ``clipboard``) that notifies its own outcome.
    """
    app.copy_to_clipboard(text)
    if not system_clipboard_wanted():
        where = "over SSH, " if is_remote() else ""
        return f"{what}: {OSC52_MESSAGE}; {where}if pasting fails, select it on screen."

    def work() -> None:
        failure = native_copy(text)
        if failure is None:
            app.call_from_thread(app.notify, f"{what}: also copied to the system clipboard.")
        else:
            app.call_from_thread(
                app.notify,
                f"{what}: system clipboard not updated ({failure}); "
                "the terminal clipboard (OSC 52) has it, or select it on screen.",
                severity="warning",
            )

    app.run_worker(
        work, thread=True, group="clipboard", exit_on_error=False, description="system clipboard"
    )
    return f"{what}: {OSC52_MESSAGE}; copying to the system clipboard…"
