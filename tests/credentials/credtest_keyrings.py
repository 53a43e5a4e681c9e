"""Keyring backends for the credentials tests (importable by dotted path in subprocesses).

Subprocess tests select one with ``PYTHON_KEYRING_BACKEND=credtest_keyrings.FileKeyring`` and
``PYTHONPATH=<this folder>``; ``FileKeyring`` keeps its entries in the JSON file named by
``CREDTEST_KEYRING_FILE`` so a login in one process is seen by ``whoami`` in the next.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = -10  # subclasses auto-register; negative means never auto-chosen

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


class FileKeyring(keyring.backend.KeyringBackend):
    """Persists across processes: the test's stand-in for the OS keyring."""

    priority = -10

    def _path(self) -> Path:
        return Path(os.environ["CREDTEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
        self._path().write_text(json.dumps(data))


class ExplodingKeyring(keyring.backend.KeyringBackend):
    """A broken backend: every call raises something that is not a KeyringError."""

    priority = -10

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("backend exploded")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("backend exploded")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("backend exploded")


class LockedKeyring(keyring.backend.KeyringBackend):
    """A locked collection with no prompter (what SSH sessions see)."""

    priority = -10

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class ForgetfulKeyring(MemoryKeyring):
    """Accepts every key and keeps none (like the null backend, under another name)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None
