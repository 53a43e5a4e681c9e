"""The core widgets' rules that need no running app: masking, URLs, error text, clipboard."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_tui.core.text import redact_keys
from screens.customer import dashboard_url
from screens.too_small import is_too_small, too_small_message
from widgets import clipboard
from widgets.errors import describe_error
from widgets.header import mode_label, safe_key_hint

_BODY = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8
)


@given(prefix=st.sampled_from(["sk_live_", "sk_test_", "rk_live_", "rk_test_"]), body=_BODY)
def test_a_whole_key_in_the_header_hint_is_cut_to_its_last_four(prefix: str, body: str) -> None:
    shown = safe_key_hint(prefix + body)
    assert shown == f"{prefix}…{body[-4:]}"
    assert len(shown) == len(prefix) + 1 + 4  # nothing but the prefix, "…" and 4 characters


def test_an_already_masked_hint_is_kept() -> None:
    assert safe_key_hint("sk_live_…abcd") == "sk_live_…abcd"
    assert safe_key_hint("") == "no key"
    assert safe_key_hint("sandbox") == "sandbox"
    assert safe_key_hint("sk_live_sandbox_demo_key_0001") == "sk_live_…0001"


def test_live_banner_reads_live_without_colour() -> None:
    assert "LIVE" in mode_label("live")
    assert mode_label("test").strip() == "TEST"
    assert mode_label("demo").strip() == "DEMO"


@given(body=_BODY)
def test_worker_errors_never_show_a_key(body: str) -> None:
    key = "sk_live_" + body
    text = describe_error(RuntimeError(f"request with {key} failed"), "looking up")
    assert key not in text
    assert text.startswith("Looking up failed: RuntimeError:")
    assert redact_keys(key) == f"sk_live_…{body[-4:]}"


def test_dashboard_urls_point_at_the_object_in_the_right_mode() -> None:
    test = "https://dashboard.stripe.com/test/"
    assert dashboard_url("cus_1", live=False, customer_id="cus_1") == test + "customers/cus_1"
    assert dashboard_url("sub_9", live=False, customer_id="cus_1") == test + "subscriptions/sub_9"
    assert dashboard_url("in_9", live=True, customer_id="cus_1") == (
        "https://dashboard.stripe.com/invoices/in_9"
    )
    assert dashboard_url("ch_9", live=False, customer_id="cus_1") == test + "payments/ch_9"
    assert dashboard_url("pi_9", live=False, customer_id="cus_1") == test + "payments/pi_9"
    # payment methods have no page of their own: their customer's
    assert dashboard_url("pm_9", live=False, customer_id="cus_1") == test + "customers/cus_1"


def test_too_small_threshold_and_message() -> None:
    assert is_too_small(79, 24)
    assert is_too_small(80, 23)
    assert not is_too_small(80, 24)
    assert "needs at least 80×24; this terminal is 60×20" in too_small_message(60, 20)


def test_no_desktop_means_no_system_copy_and_an_honest_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clipboard.DISABLE_ENV, raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(clipboard.sys, "platform", "linux")
    assert not clipboard.system_clipboard_wanted()
    reason = clipboard.native_copy("cus_123")
    assert reason is not None
    assert "no system clipboard" in reason


def test_ssh_sessions_only_use_the_terminal_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clipboard.DISABLE_ENV, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    assert not clipboard.system_clipboard_wanted()


def test_a_failing_xclip_is_reported_and_its_stderr_is_not_painted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """pyperclip ignores xclip's exit status and lets it write to our stderr; we do neither."""
    fake = tmp_path / "xclip"
    fake.write_text('#!/bin/sh\necho "Error: Can\'t open display: :77" >&2\nexit 1\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":77")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(clipboard.sys, "platform", "linux")
    reason = clipboard.native_copy("cus_123")
    assert reason == "xclip failed (exit 1)"
    captured = capfd.readouterr()
    assert "Can't open display" not in captured.err + captured.out


def test_a_working_xclip_receives_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pasted"
    fake = tmp_path / "xclip"
    fake.write_text(f"#!/bin/sh\ncat > {out}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(clipboard.sys, "platform", "linux")
    assert clipboard.native_copy("Thanks, Dana — refunded.") is None
    assert out.read_text(encoding="utf-8") == "Thanks, Dana — refunded."


def test_the_palette_asks_the_screen_first_then_the_app() -> None:
    from textual.app import App
    from textual.screen import Screen

    from screens.palette import PaletteCommand, palette_commands

    ran: list[str] = []

    class Offering(Screen[None]):
        def palette_commands(self) -> list[PaletteCommand]:
            return [PaletteCommand("here: Do it", "This screen's own", lambda: ran.append("here"))]

    class Global(App[None]):
        def global_commands(self) -> list[PaletteCommand]:
            return [PaletteCommand("app: Quit", "Leave", lambda: ran.append("quit"))]

    titles = [c.title for c in palette_commands(Global(), Offering())]
    assert titles == ["here: Do it", "app: Quit"]
    assert [c.title for c in palette_commands(App(), Screen())] == []
