"""The operator's preferences the workstation applies: the keymap from the config file and the
profiles it can switch to, read through the store (the App reaches the disk only via the desk).

Cheap to import: the App reads the keymap before its first frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from billing_tui.store import credentials
from billing_tui.store.config import load_config


@dataclass(frozen=True)
class Keymap:
    """The ``[keymap]`` table (binding id → keys), and why the config file was not used."""

    bindings: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    problems: tuple[str, ...] = ()


def load_keymap() -> Keymap:
    config = load_config()
    bindings = {str(k): str(v) for k, v in dict(config.keymap).items()}
    return Keymap(MappingProxyType(bindings), tuple(config.problems))


def known_profiles() -> tuple[str, ...]:
    """Profiles with a stored key, default first (from the config file; no keyring access)."""
    return credentials.known_profiles()
