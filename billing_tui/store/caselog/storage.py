"""The case log's files: monthly parts, atomic writes, signatures, the lock, quarantine.

A case id names its file (``case-202611-02-7f3a9c1e`` → ``cases-2026-11-02.json``, a TinyDB
file). Files are only ever replaced whole (:func:`billing_tui.store.config.atomic_write_bytes`:
temp file, fsync, ``os.replace``, directory fsync), never written in place, so a file's
signature ``(inode, mtime_ns, size)`` identifies its content and readers need no lock.

:class:`CaseFiles` is one directory of them: the file lock every read-modify-write holds,
fresh TinyDB transactions, lock-free reads of whole files, and the quarantine of files that
do not parse (renamed ``<name>.corrupt-<timestamp>``, reported in :attr:`CaseFiles.problems`,
never overwritten).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import filelock
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from billing_tui.store.caselog.records import (
    CaseLogError,
    CaseNotFound,
    CaseRecord,
    JSONObject,
    io_failure,
    parse_case_id,
    utcnow,
)
from billing_tui.store.config import atomic_write_bytes, ensure_private_dir

log = logging.getLogger("billing_tui.store.caselog")

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 10.0
TABLE = "cases"
LOCK_FILE = ".caselog.lock"

_SHARD = re.compile(r"cases-(\d{4})-(\d{2})-(\d{2,})\.json")
_TEMP = re.compile(r"\..+\.tmp")

#: A file's identity: ``(inode, mtime_ns, size)``.
Signature = tuple[int, int, int]


class CorruptFile(CaseLogError):
    """A case-log file does not parse (it is moved aside, never overwritten)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name} cannot be read: {reason}")
        self.path = path
        self.reason = reason


class NewerSchema(CaseLogError):
    """A case-log file was written by a newer billing-tui (it is left untouched)."""


# --- files and signatures ---------------------------------------------------------------------


def shard_name(year: int, month: int, part: int) -> str:
    return f"cases-{year:04d}-{month:02d}-{part:02d}.json"


def file_signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def signature_token(signature: Signature) -> str:
    """A file signature as a short token (no long digit runs: the log holds no card-like
    numbers, not even timestamps in nanoseconds)."""
    digest = hashlib.blake2b(repr(signature).encode(), digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode()


def read_json_file(path: Path) -> JSONObject | None:
    """A case-log JSON file's contents, None if absent.

    Raises :class:`CorruptFile` (unparseable) or :class:`NewerSchema` (written by a newer app).
    """
    return read_json_file_signed(path)[0]


def read_json_file_signed(path: Path) -> tuple[JSONObject | None, Signature | None]:
    """Contents plus the file's identity ``(inode, mtime_ns, size)``.

    Files are only ever replaced, never written in place, so the inode read through one open
    descriptor always matches the bytes read from it: the signature is exact.
    """
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            raw = handle.read()
    except FileNotFoundError:
        return None, None
    signature = (st.st_ino, st.st_mtime_ns, st.st_size)
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        reason = "empty file" if not raw.strip() else f"not valid JSON ({exc})"
        raise CorruptFile(path, reason) from None
    if not isinstance(data, dict):
        raise CorruptFile(path, f"expected a JSON object, found {type(data).__name__}")
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CorruptFile(path, "no schema_version")
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{path.name} was written by a newer billing-tui (schema {version}, this one reads "
            f"up to {SCHEMA_VERSION}); upgrade billing-tui — the file is left untouched"
        )
    return data, signature


class AtomicJSONStorage(Storage):
    """TinyDB storage that never writes in place (see the module docstring).

    One instance lives for one transaction (under the lock) or one read: it keeps what it read
    or wrote, so TinyDB's read-per-operation does not re-parse the file. (The ``Any`` in the
    signatures is TinyDB's own storage interface.)
    """

    def __init__(self, path: str, **_: object) -> None:
        self.path = Path(path)
        self._cache: dict[str, dict[str, Any]] | None = None
        #: The signature of the file this instance last wrote (set under the lock).
        self.written_signature: Signature | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._cache is not None:
            return self._cache
        data = read_json_file(self.path)
        if data is None:
            return None
        data.pop("schema_version", None)
        tables = cast("dict[str, dict[str, Any]]", data)  # TinyDB's layout: table → documents
        self._cache = tables
        return tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = {"schema_version": SCHEMA_VERSION, **data}
        encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        atomic_write_bytes(self.path, encoded)
        self._cache = data
        self.written_signature = file_signature(self.path)

    @property
    def data(self) -> Mapping[str, Mapping[str, object]] | None:
        """What this instance last read or wrote: table name → documents by id."""
        return self._cache

    def close(self) -> None:
        self._cache = None


# --- one directory of case files ----------------------------------------------------------------


class CaseFiles:
    """The case files in ``directory``: the lock, transactions, reads, quarantine."""

    def __init__(self, directory: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.directory = directory
        self._lock_timeout = lock_timeout
        #: Files that could not be read (moved aside) and other things the operator must know.
        self.problems: list[str] = []
        if self.directory.exists() and not self.directory.is_dir():
            raise CaseLogError(
                f"cannot open the case log at {self.directory}: it is a file, not a directory"
            )
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            raise io_failure(exc, "create", self.directory) from None
        self._lock = filelock.FileLock(
            str(self.directory / LOCK_FILE), timeout=lock_timeout, mode=0o600
        )

    # --- the lock and housekeeping

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file lock every read-modify-write runs under (re-entrant)."""
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise CaseLogError(
                f"The case log in {self.directory} is busy: another billing-tui process held its "
                f"lock for {self._lock_timeout:g} s. Try again; if it persists, check for a "
                "stuck billing-tui process."
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def clean_temp_files(self) -> None:
        """Remove temp files a crash left behind (caller holds the lock)."""
        for entry in os.scandir(self.directory):
            if _TEMP.fullmatch(entry.name) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                log.info("removed leftover temp file %s", entry.name)

    def report(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)
        log.warning("%s", message)

    def quarantine(self, path: Path, reason: str) -> None:
        """Move a corrupt file aside (under the lock, after checking it is still corrupt)."""
        with self.locked():
            try:
                read_json_file(path)
                return  # repaired/replaced by another process meanwhile
            except CorruptFile:
                pass
            except NewerSchema:
                return
            stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
            target = path.with_name(f"{path.name}.corrupt-{stamp}")
            try:
                os.replace(path, target)
            except FileNotFoundError:
                return
        self.report(
            f"{path.name} could not be read ({reason}); it was moved aside to {target.name} and "
            "its cases are not shown. Nothing was overwritten."
        )

    # --- which file

    def shard_paths(self) -> list[Path]:
        """Every case file, newest month and part first."""
        paths = []
        for entry in os.scandir(self.directory):
            if _SHARD.fullmatch(entry.name):
                paths.append(Path(entry.path))
        return sorted(paths, reverse=True)

    def path_for(self, case_id: str) -> Path:
        year, month, part = parse_case_id(case_id)
        return self.directory / shard_name(year, month, part)

    def last_part(self, year: int, month: int) -> int:
        """The highest part number of the month's files (1 when there is none yet)."""
        prefix = f"cases-{year:04d}-{month:02d}-"
        parts = [
            int(m.group(3))
            for entry in os.scandir(self.directory)
            if entry.name.startswith(prefix) and (m := _SHARD.fullmatch(entry.name))
        ]
        return max(parts, default=1)

    # --- transactions and reads

    @contextlib.contextmanager
    def transaction(self, path: Path) -> Iterator[tuple[Table, AtomicJSONStorage]]:
        """A fresh TinyDB table on one case file and its storage (caller holds the lock).

        TinyDB caches ids and queries per instance, so every transaction gets its own.
        """
        db = TinyDB(str(path), storage=AtomicJSONStorage)
        storage = db.storage
        assert isinstance(storage, AtomicJSONStorage)
        try:
            yield db.table(TABLE, cache_size=0), storage
        finally:
            db.close()

    def read_docs(self, path: Path) -> list[JSONObject]:
        """The raw case documents of one file (lock-free: files are replaced whole).

        A corrupt file is moved aside and reported; a newer-schema file is reported and left.
        """
        return self.read_docs_signed(path)[0]

    def read_docs_signed(self, path: Path) -> tuple[list[JSONObject], Signature | None]:
        try:
            data, signature = read_json_file_signed(path)
        except CorruptFile as exc:
            self.quarantine(path, exc.reason)
            return [], None
        except NewerSchema as exc:
            self.report(str(exc))
            return [], file_signature(path)
        table = (data or {}).get(TABLE) or {}
        if not isinstance(table, dict):
            return [], signature
        return [doc for doc in table.values() if isinstance(doc, dict)], signature

    def record(self, doc: Mapping[str, object], path: Path) -> CaseRecord | None:
        """A stored document as a record; an unreadable one is reported and skipped."""
        try:
            return CaseRecord.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            self.report(f"{path.name}: skipped an unreadable case record ({exc!r})")
            return None

    def read_shard(self, path: Path) -> list[CaseRecord]:
        records = (self.record(doc, path) for doc in self.read_docs(path))
        return [r for r in records if r is not None]

    def load(self, case_id: str) -> CaseRecord | None:
        path = self.path_for(case_id)
        for doc in self.read_docs(path):
            if doc.get("id") == case_id:
                return self.record(doc, path)
        return None

    def load_many(self, case_ids: Iterable[str]) -> dict[str, CaseRecord]:
        """Several cases, reading each file once; malformed or missing ids are skipped."""
        by_path: dict[Path, set[str]] = {}
        for case_id in case_ids:
            with contextlib.suppress(CaseNotFound):
                by_path.setdefault(self.path_for(case_id), set()).add(case_id)
        found: dict[str, CaseRecord] = {}
        for path, wanted in by_path.items():
            for doc in self.read_docs(path):
                if doc.get("id") in wanted:
                    record = self.record(doc, path)
                    if record is not None:
                        found[record.id] = record
        return found
