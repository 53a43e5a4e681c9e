"""Key parsing, kinds, masking and the redacting SecretKey holder."""

from __future__ import annotations

import copy
import pickle
import traceback

import pytest

from billing_tui.core.keys import CredentialsError, KeyKind, SecretKey, mask, parse_key

BODY = "51HqLyjWDarjtT1zdp7dcABCDEFGHIJ1234"


@pytest.mark.parametrize(
    ("text", "kind", "live"),
    [
        (f"sk_test_{BODY}", KeyKind.SECRET_TEST, False),
        (f"sk_live_{BODY}", KeyKind.SECRET_LIVE, True),
        (f"rk_test_{BODY}", KeyKind.RESTRICTED_TEST, False),
        (f"rk_live_{BODY}", KeyKind.RESTRICTED_LIVE, True),
        (f"  sk_test_{BODY}\n", KeyKind.SECRET_TEST, False),
    ],
)
def test_accepted_keys_have_their_kind(text: str, kind: KeyKind, live: bool) -> None:
    key = parse_key(text)
    assert key.kind is kind
    assert key.live is live
    assert key.restricted is kind.restricted
    assert key.reveal() == text.strip()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"pk_test_{BODY}", "publishable keys cannot read customers"),
        (f"pk_live_{BODY}", "publishable keys cannot read customers"),
        (f"whsec_{BODY}", "webhook signing secret"),
        ("", "No key given"),
        ("   ", "No key given"),
        (f"sk_prod_{BODY}", "must start with sk_test_, sk_live_, rk_test_ or rk_live_"),
        (f"SK_TEST_{BODY}", "must start with"),
        (f"sk_test_{BODY[:10]} {BODY[10:]}", "spaces or line breaks"),
        (f'sk_test_{BODY}"', "Malformed sk_test_"),
        ("sk_test_ab", "Malformed sk_test_"),
    ],
)
def test_refused_keys_say_why_without_echoing_the_key(text: str, reason: str) -> None:
    with pytest.raises(CredentialsError) as exc:
        parse_key(text)
    assert reason in str(exc.value)
    assert BODY[:10] not in str(exc.value)


def test_mask_shows_prefix_and_last_four_only() -> None:
    assert mask(f"sk_live_{BODY}") == "sk_live_…1234"
    assert mask(f"rk_test_{BODY}") == "rk_test_…1234"
    assert mask("sk_test_short") == "sk_test_…"
    assert mask(f"nonsense{BODY}") == "…1234"


def test_secret_key_is_redacted_everywhere_it_may_be_printed() -> None:
    key = parse_key(f"sk_live_{BODY}")
    for shown in (repr(key), str(key), f"{key}", f"{key!r}", f"{key:>30}", "{}".format(key)):  # noqa: UP032
        assert BODY not in shown
        assert "…1234" in shown
    assert BODY not in repr([key, {"k": key}])


def test_secret_key_equality_by_value_and_no_pickling() -> None:
    a, b = parse_key(f"sk_test_{BODY}"), parse_key(f"sk_test_{BODY}")
    assert a == b
    assert hash(a) == hash(b)
    assert a != parse_key(f"sk_live_{BODY}")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(a)
    assert copy.deepcopy(a) is a
    with pytest.raises(AttributeError):
        a.kind = KeyKind.SECRET_LIVE  # type: ignore[misc]


def _crash_holding_a_key() -> None:
    key = parse_key(f"sk_live_{BODY}")
    client_kwargs = {"api_key": key}
    raise ConnectionError(f"could not reach Stripe with {client_kwargs}")


def test_traceback_with_locals_never_shows_the_key() -> None:
    with pytest.raises(ConnectionError) as info:
        _crash_holding_a_key()
    text = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert "key = SecretKey(sk_live_…1234)" in text
    assert BODY not in text


def test_rich_traceback_with_locals_never_shows_the_key() -> None:
    from rich.console import Console
    from rich.traceback import Traceback

    with pytest.raises(ConnectionError) as info:
        _crash_holding_a_key()
    console = Console(record=True, width=200, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(
        Traceback.from_exception(
            type(info.value), info.value, info.value.__traceback__, show_locals=True
        )
    )
    console.file.close()
    text = console.export_text()
    assert "sk_live_…1234" in text
    assert BODY not in text


def test_a_refused_key_is_not_in_the_locals_of_the_raising_frame() -> None:
    with pytest.raises(CredentialsError) as info:
        parse_key(f'sk_live_{BODY}"')
    text = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert BODY not in text


def test_secret_key_constructor_is_not_validated_but_kind_is_typed() -> None:
    key = SecretKey("sk_test_demo", KeyKind.SECRET_TEST)
    assert key.reveal() == "sk_test_demo"
    assert str(key) == "sk_test_…"
