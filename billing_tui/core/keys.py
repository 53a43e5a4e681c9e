"""A Stripe API key as a value: its kinds, parsing with reasons, the redacting holder.

The key is carried in a :class:`SecretKey`, whose ``repr``/``str``/format are redacted and which
refuses to be pickled, so tracebacks that print locals (Textual's crash screen, rich) never show
it. Only :meth:`SecretKey.reveal` returns the raw string, and only the code that builds the
Stripe client calls it.

Pure: no I/O, imports only :mod:`billing_tui.core` (where the one masking rule lives). Where the
key is kept is :mod:`billing_tui.store.credentials`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import NoReturn

from billing_tui.core.text import mask_key

_PREFIXES = {
    "sk_test_": "secret_test",
    "sk_live_": "secret_live",
    "rk_test_": "restricted_test",
    "rk_live_": "restricted_live",
}
_BODY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{3,249}")


class CredentialsError(Exception):
    """A key is missing, malformed, or cannot be stored/read; ``str()`` says what to do."""


class KeyKind(StrEnum):
    SECRET_TEST = "secret_test"  # noqa: S105 (a kind name, not a secret)
    SECRET_LIVE = "secret_live"  # noqa: S105
    RESTRICTED_TEST = "restricted_test"
    RESTRICTED_LIVE = "restricted_live"

    @property
    def live(self) -> bool:
        return self in (KeyKind.SECRET_LIVE, KeyKind.RESTRICTED_LIVE)

    @property
    def restricted(self) -> bool:
        return self in (KeyKind.RESTRICTED_TEST, KeyKind.RESTRICTED_LIVE)

    @property
    def label(self) -> str:
        """``secret key (test)``, ``restricted key (LIVE)`` …"""
        kind = "restricted key" if self.restricted else "secret key"
        return f"{kind} ({'LIVE' if self.live else 'test'})"


mask = mask_key  #: the one masking rule, :func:`billing_tui.core.text.mask_key`


class SecretKey:
    """A Stripe secret or restricted key that does not show itself.

    ``repr``/``str``/f-strings give the masked form; equality compares the value; pickling and
    copying through ``__reduce__`` raise. ``reveal()`` returns the raw key.
    """

    __slots__ = ("__value", "kind")

    kind: KeyKind

    def __init__(self, value: str, kind: KeyKind) -> None:
        object.__setattr__(self, "_SecretKey__value", value)
        object.__setattr__(self, "kind", kind)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("SecretKey is immutable")

    def reveal(self) -> str:
        """The raw key. Call it only where the Stripe client is built."""
        value: str = object.__getattribute__(self, "_SecretKey__value")
        return value

    @property
    def live(self) -> bool:
        return self.kind.live

    @property
    def restricted(self) -> bool:
        return self.kind.restricted

    @property
    def masked(self) -> str:
        return mask(self.reveal())

    @property
    def last4(self) -> str:
        return self.reveal()[-4:]

    def __repr__(self) -> str:
        return f"SecretKey({self.masked})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretKey):
            return NotImplemented
        return self.reveal() == other.reveal()

    def __hash__(self) -> int:
        return hash((SecretKey, self.reveal()))

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretKey cannot be pickled or copied: keep the key in the keyring")

    def __copy__(self) -> SecretKey:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> SecretKey:
        return self


def parse_key(text: str) -> SecretKey:
    """Check a pasted key and wrap it. The error message never contains the key itself.

    The raw text is wrapped at once and the reason is found in a helper frame, so a traceback
    with locals taken at the ``raise`` shows only the redacted holder.
    """
    held = SecretKey(text.strip(), KeyKind.SECRET_TEST)
    del text
    kind, problem = _classify(held.reveal())
    if problem is not None or kind is None:
        raise CredentialsError(problem or "Not a Stripe API key")
    return SecretKey(held.reveal(), kind)


def _classify(raw: str) -> tuple[KeyKind | None, str | None]:
    if not raw:
        return None, "No key given: paste a Stripe secret (sk_…) or restricted (rk_…) key"
    if raw.startswith(("pk_test_", "pk_live_")):
        return None, (
            "That is a publishable key (pk_…): publishable keys cannot read customers — "
            "use a secret (sk_…) or restricted (rk_…) key"
        )
    if raw.startswith("whsec_"):
        return None, (
            "That is a webhook signing secret (whsec_…), not an API key — "
            "use a secret (sk_…) or restricted (rk_…) key"
        )
    prefix = next((p for p in _PREFIXES if raw.startswith(p)), None)
    if prefix is None:
        return None, (
            "Not a Stripe API key: it must start with sk_test_, sk_live_, rk_test_ or rk_live_"
        )
    body = raw[len(prefix) :]
    if any(ch.isspace() for ch in body):
        return None, "The key contains spaces or line breaks: copy it again in one piece"
    if not _BODY.fullmatch(body):
        return None, (
            f"Malformed {prefix}… key: after the prefix a key has only letters, digits and '_' "
            "(was it cut short or pasted with quotes?)"
        )
    return KeyKind(_PREFIXES[prefix]), None
