"""The open-case index: which cases are open or have pending actions, without reading them all.

``open-cases.json`` caches, per case file, the file's signature (inode, mtime_ns, size) and its
open cases / pending actions. Writers update it right after replacing a case file (under the
lock, without fsync: it is a cache). Readers trust an entry only while the file's signature
matches, and rescan the files that differ (after a crash between the two writes, a deleted or
damaged cache, a file moved aside), so it never hides a case. It can be deleted or damaged at
any time without losing anything.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypedDict

from billing_tui.store.caselog.records import PENDING
from billing_tui.store.caselog.storage import (
    SCHEMA_VERSION,
    TABLE,
    CaseFiles,
    Signature,
    file_signature,
    signature_token,
)
from billing_tui.store.config import atomic_write_bytes

log = logging.getLogger("billing_tui.store.caselog")

INDEX_FILE = "open-cases.json"

#: After rescanning more files than this in one read, the repaired cache is saved.
_RESCANS_BEFORE_SAVE = 2


class OpenEntry(TypedDict):
    """One open case (or a case with pending actions) in the index."""

    customer_ids: list[str]
    pending: bool


class FileEntry(TypedDict):
    """One case file in the index: its signature token and its open cases."""

    sig: str
    open: dict[str, OpenEntry]


def doc_entries(docs: Iterable[object]) -> dict[str, OpenEntry]:
    """The index entries of raw case documents: open cases and cases with pending actions."""
    entries: dict[str, OpenEntry] = {}
    for doc in docs:
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            continue
        pending = any(
            isinstance(a, dict) and a.get("status") in PENDING for a in doc.get("actions") or ()
        )
        if doc.get("status") == "open" or pending:
            entries[doc["id"]] = {
                "customer_ids": sorted(str(c) for c in doc.get("customer_ids") or ()),
                "pending": pending,
            }
    return entries


def _open_entry(item: object) -> OpenEntry | None:
    if not isinstance(item, dict):
        return None
    customers, pending = item.get("customer_ids"), item.get("pending")
    if not isinstance(customers, list) or not isinstance(pending, bool):
        return None
    return {"customer_ids": [str(c) for c in customers], "pending": pending}


def _file_entry(item: object) -> FileEntry | None:
    """A cached file entry as read back, None when damaged (the file is then rescanned)."""
    if not isinstance(item, dict) or not isinstance(item.get("sig"), str):
        return None
    cases = item.get("open")
    if not isinstance(cases, dict):
        return None
    entries = {str(case_id): _open_entry(entry) for case_id, entry in cases.items()}
    valid = {case_id: entry for case_id, entry in entries.items() if entry is not None}
    if len(valid) != len(entries):
        return None
    return {"sig": item["sig"], "open": valid}


class OpenCaseIndex:
    """The verified ``open-cases.json`` cache of one case-log directory."""

    def __init__(self, files: CaseFiles) -> None:
        self._files = files
        self._guard = threading.Lock()
        #: Entries this process rescanned and the cache file does not hold (yet).
        self._seen: dict[str, FileEntry] = {}

    @property
    def path(self) -> Path:
        return self._files.directory / INDEX_FILE

    # --- the cache file

    def _load(self) -> dict[str, FileEntry]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.info("rebuilding the open-case index %s", self.path)
            return {}
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            return {}
        files = data.get("files")
        if not isinstance(files, dict):
            return {}
        entries = {str(name): _file_entry(item) for name, item in files.items()}
        return {name: entry for name, entry in entries.items() if entry is not None}

    def _save(self, files: Mapping[str, FileEntry]) -> None:
        payload = {"schema_version": SCHEMA_VERSION, "files": dict(files)}
        with contextlib.suppress(OSError):  # a cache: losing it only costs a rescan
            atomic_write_bytes(
                self.path, json.dumps(payload, separators=(",", ":")).encode(), durable=False
            )

    # --- writers

    def note_write(
        self, path: Path, signature: Signature, data: Mapping[str, Mapping[str, object]]
    ) -> None:
        """After a case file was replaced (lock held): record its open cases if they changed.

        When they did not (most writes), the cached entry keeps an older signature and readers
        rescan that one file: cheaper than a second file replace on every write. (``data`` is
        the file's content as TinyDB holds it: table name → documents.)
        """
        table = data.get(TABLE) or {}
        entries = doc_entries(table.values() if isinstance(table, dict) else ())
        files = self._load()
        if path.name in files and files[path.name]["open"] == entries:
            return
        files[path.name] = {"sig": signature_token(signature), "open": entries}
        self._save(files)

    # --- readers

    def entries(self) -> dict[str, OpenEntry]:
        """case id → its entry, for every open case and every case with pending actions."""
        with self._guard:
            files = self._load()
            current: dict[str, FileEntry] = {}
            rescanned = 0
            for path in self._files.shard_paths():
                entry, fresh = self._current(path, files)
                if entry is not None:
                    current[path.name] = entry
                    rescanned += fresh
            self._seen = {name: item for name, item in current.items() if files.get(name) != item}
            gone = set(files) - set(current)
            if rescanned > _RESCANS_BEFORE_SAVE or (rescanned and not files) or gone:
                # After a crash, a lost cache or moved files: save the repaired cache once.
                with self._files.locked():
                    self._save(current)
        merged: dict[str, OpenEntry] = {}
        for item in current.values():
            merged.update(item["open"])
        return merged

    def _current(self, path: Path, files: Mapping[str, FileEntry]) -> tuple[FileEntry | None, bool]:
        """The file's entry while its signature matches a known one, else rescanned (True)."""
        signature = file_signature(path)
        if signature is None:
            return None, False
        token = signature_token(signature)
        for known in (files.get(path.name), self._seen.get(path.name)):
            if known is not None and known["sig"] == token:
                return known, False
        docs, read_signature = self._files.read_docs_signed(path)
        if read_signature is None:
            return None, False
        return {"sig": signature_token(read_signature), "open": doc_entries(docs)}, True

    def about(self, customer_ids: Sequence[str]) -> list[str]:
        """Ids of the open (or pending) cases about any of these customers."""
        wanted = set(customer_ids)
        return [
            case_id
            for case_id, entry in self.entries().items()
            if wanted & set(entry["customer_ids"])
        ]

    def pending(self) -> list[str]:
        """Ids of the cases with planned or in-flight actions."""
        return [case_id for case_id, entry in self.entries().items() if entry["pending"]]
