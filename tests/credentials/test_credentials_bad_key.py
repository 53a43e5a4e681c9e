"""A key that is given but does not parse is an error, never replaced by the placeholder: with
``--api-base`` a publishable or malformed key used to fall back to the placeholder test key, and
a refund went through on it. Only when no key is configured at all may a loopback server get
the placeholder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_tui.cli.main import main
from billing_tui.desk.connection import (
    PLACEHOLDER_KEY,
    ConnectionFailed,
    ConnectionOptions,
    is_loopback,
    resolve_target,
)
from billing_tui.sandbox import Sandbox
from billing_tui.sandbox.server import SandboxServer

DANA = "dana.whitfield@example.com"
BAD_KEYS = {
    "a publishable key": ("pk_test_" + "Pub1ishable9876", "publishable key", "pk_test_…9876"),
    "a malformed secret key": ('sk_live_"quoted-key5432"', "Malformed sk_live_", 'sk_live_…432"'),
    "a cut webhook secret": ("whsec_" + "Webhook0Secret1", "webhook signing secret", "whsec_…ret1"),
}


@pytest.fixture
def sandbox() -> Iterator[tuple[Sandbox, str]]:
    """A loopback sandbox with a duplicate-checkout customer whose charge can be refunded."""
    box = Sandbox.demo(scenarios=("duplicate-checkout",))
    with SandboxServer(box) as server:
        yield box, server.url


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_a_bad_key_with_api_base_is_an_error_and_no_money_moves(
    name: str,
    home: Path,
    sandbox: tuple[Sandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key, reason, masked = BAD_KEYS[name]
    box, url = sandbox
    monkeypatch.setenv("STRIPE_API_KEY", key)
    argv = ["triage", DANA, "--api-base", url, "--yes", "--action", "refund"]
    code = main([*argv, "--refund-amount", "5.00", "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert reason in err
    assert f"STRIPE_API_KEY is set but unusable ({masked})" in err  # the last four, no more
    assert key not in out + err
    assert '"kind": "usage"' in out or '"kind": "connection"' in out
    assert list(box.state.all("refund")) == []
    assert PLACEHOLDER_KEY not in out + err


def test_no_key_at_all_lets_a_loopback_server_use_the_placeholder(home: Path) -> None:
    target = resolve_target(ConnectionOptions(api_base="http://127.0.0.1:9"))
    assert target.resolved is None
    assert "placeholder" in target.preview().key_source


def test_no_key_at_all_is_an_error_for_a_server_that_is_not_this_machine(home: Path) -> None:
    with pytest.raises(ConnectionFailed, match="No Stripe key"):
        resolve_target(ConnectionOptions(api_base="https://stripe-mock.example.com"))


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:12341", True),
        ("http://127.8.0.1", True),
        ("http://localhost:12111/", True),
        ("http://[::1]:8080", True),
        ("127.0.0.1:9", True),
        ("https://api.stripe.com", False),
        ("http://10.0.0.5:12111", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_what_counts_as_this_machine(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback
