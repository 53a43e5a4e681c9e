"""The local case log: every case, decision and money-moving action, crash-safe.

Layout (under ``config.data_dir()/cases`` unless a directory is given)::

    cases-2026-11-01.json   a TinyDB file: cases opened in Nov 2026, part 1 (≤ 100 cases)
    cases-2026-11-02.json   part 2, once part 1 is full
    open-cases.json         a cache: per file, its signature and its open cases / pending actions
    .caselog.lock           the file lock every read-modify-write holds

A case id names its file: ``case-202611-02-7f3a9c1e`` lives in ``cases-2026-11-02.json``. A write
parses and rewrites one part (at most 100 cases) and nothing else, so its cost does not grow
with history, however the history is spread over months.

Durability: every case file is written atomically (temp file in the same directory, fsync,
``os.replace``, fsync of the directory), mode 0600 in a 0700 directory; every read-modify-write
runs under one file lock with a fresh TinyDB (TinyDB caches ids and queries per instance);
leftover temp files are removed at start. A file that does not parse is never overwritten: it
is renamed ``<name>.corrupt-<timestamp>``, reported in :attr:`CaseLog.problems` (and logged),
and the rest of the log keeps working.

The open-case index is only a cache: each use checks every case file's signature (inode,
mtime, size — files are replaced, never edited, so this identifies their content) and re-reads
the files that changed. It can be deleted or damaged at any time without losing anything.

Only the minimum customer data is stored: ids, masked email, amounts, decisions. Free text is
scrubbed on the way in: anything shaped like a Stripe secret key is masked and 13–19 digit
Luhn-valid numbers (card numbers) are removed.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import csv
import getpass
import hashlib
import io
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import filelock
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from billing_tui.core.text import redact
from billing_tui.store.config import atomic_write_bytes, data_dir, ensure_private_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PART_CAPACITY = 100
LOCK_TIMEOUT = 10.0
TABLE = "cases"
INDEX_FILE = "open-cases.json"
LOCK_FILE = ".caselog.lock"

CaseStatus = Literal["open", "resolved"]
ActionStatus = Literal["planned", "in_flight", "succeeded", "failed"]
ExportFormat = Literal["csv", "json"]

CASE_STATUSES: tuple[str, ...] = ("open", "resolved")
ACTION_STATUSES: tuple[str, ...] = ("planned", "in_flight", "succeeded", "failed")
PENDING: tuple[str, ...] = ("planned", "in_flight")

_CASE_ID = re.compile(r"case-(\d{4})(\d{2})-(\d{2,})-([0-9a-z][0-9a-f]{7})")
_SHARD = re.compile(r"cases-(\d{4})-(\d{2})-(\d{2,})\.json")
_TEMP = re.compile(r"\..+\.tmp")


class CaseLogError(Exception):
    """The case log cannot do what was asked; ``str()`` says why and what to do."""


class CaseNotFound(CaseLogError):
    pass


class CorruptFile(CaseLogError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name} cannot be read: {reason}")
        self.path = path
        self.reason = reason


class NewerSchema(CaseLogError):
    pass


# --- records --------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC)


def default_operator() -> str:
    """The OS user name (what a case records as its operator by default)."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ActionRecord:
    """One action of a case, written before it is sent to Stripe (write-ahead)."""

    id: str
    kind: str
    params: Mapping[str, str] = field(hash=False)
    idempotency_key: str
    status: ActionStatus
    created_at: datetime
    updated_at: datetime
    result: Mapping[str, Any] = field(hash=False)
    operator: str

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": {str(k): _scrub(str(v)) for k, v in self.params.items()},
            "idempotency_key": self.idempotency_key,
            "status": self.status,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "result": _scrub(dict(self.result)),
            "operator": self.operator,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionRecord:
        status = str(data["status"])
        if status not in ACTION_STATUSES:
            raise ValueError(f"unknown action status {status!r}")
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            params={str(k): str(v) for k, v in dict(data.get("params") or {}).items()},
            idempotency_key=str(data["idempotency_key"]),
            status=status,  # type: ignore[arg-type]
            created_at=_dt(data["created_at"]),
            updated_at=_dt(data["updated_at"]),
            result=dict(data.get("result") or {}),
            operator=str(data.get("operator") or ""),
        )


@dataclass(frozen=True)
class CaseRecord:
    """A case: what was searched, who the customer is (masked), what was decided and done."""

    id: str
    opened_at: datetime
    updated_at: datetime
    operator: str
    status: CaseStatus
    queries: tuple[str, ...]
    customer_ids: tuple[str, ...]
    masked_email: str
    anomaly_codes: tuple[str, ...] = ()
    #: ``suggested``, ``bucket``, ``confidence``, ``evidence`` (sentences), ``answers``,
    #: ``override_reason``, ``contract_confirmed`` — whatever the classifier records.
    classification: Mapping[str, Any] | None = field(default=None, hash=False)
    contract: Mapping[str, Any] | None = field(default=None, hash=False)
    actions: tuple[ActionRecord, ...] = ()
    follow_up: str = ""
    product_gaps: tuple[str, ...] = ()
    livemode: bool = False

    @property
    def bucket(self) -> str | None:
        """The confirmed bucket, else the suggested one, else None."""
        if not self.classification:
            return None
        value = self.classification.get("bucket") or self.classification.get("suggested")
        return str(value) if value else None

    @property
    def month(self) -> str:
        year, month, _part = parse_case_id(self.id)
        return f"{year:04d}-{month:02d}"

    def action(self, action_id: str) -> ActionRecord:
        for action in self.actions:
            if action.id == action_id:
                return action
        raise CaseNotFound(f"Case {self.id} has no action {action_id}")

    @property
    def pending_actions(self) -> tuple[ActionRecord, ...]:
        return tuple(a for a in self.actions if a.pending)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "opened_at": _iso(self.opened_at),
            "updated_at": _iso(self.updated_at),
            "operator": self.operator,
            "status": self.status,
            "queries": [_scrub(q) for q in self.queries],
            "customer_ids": list(self.customer_ids),
            "masked_email": _scrub(self.masked_email),
            "anomaly_codes": list(self.anomaly_codes),
            "classification": _scrub(_plain(self.classification)),
            "contract": _scrub(_plain(self.contract)),
            "actions": [a.to_json() for a in self.actions],
            "follow_up": _scrub(self.follow_up),
            "product_gaps": [_scrub(g) for g in self.product_gaps],
            "livemode": self.livemode,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseRecord:
        status = str(data["status"])
        if status not in CASE_STATUSES:
            raise ValueError(f"unknown case status {status!r}")
        return cls(
            id=str(data["id"]),
            opened_at=_dt(data["opened_at"]),
            updated_at=_dt(data["updated_at"]),
            operator=str(data.get("operator") or ""),
            status=status,  # type: ignore[arg-type]
            queries=tuple(str(q) for q in data.get("queries") or ()),
            customer_ids=tuple(str(c) for c in data.get("customer_ids") or ()),
            masked_email=str(data.get("masked_email") or ""),
            anomaly_codes=tuple(str(c) for c in data.get("anomaly_codes") or ()),
            classification=data.get("classification"),
            contract=data.get("contract"),
            actions=tuple(ActionRecord.from_json(a) for a in data.get("actions") or ()),
            follow_up=str(data.get("follow_up") or ""),
            product_gaps=tuple(str(g) for g in data.get("product_gaps") or ()),
            livemode=bool(data.get("livemode", False)),
        )


#: Fields ``CaseLog.update`` may change (the rest are managed by the log itself).
UPDATABLE = frozenset(
    {
        "status",
        "queries",
        "customer_ids",
        "masked_email",
        "anomaly_codes",
        "classification",
        "contract",
        "follow_up",
        "product_gaps",
        "livemode",
    }
)


def _plain(value: Any) -> Any:
    """Mappings/tuples/sets → JSON-ready dicts/lists; anything else JSON can't hold → str."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _scrub_text(text: str) -> str:
    return redact(text, emails=False)


def _scrub(value: Any) -> Any:
    """Mask secret keys and drop card numbers in every string of a JSON-ready value."""
    if isinstance(value, str):
        return _scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


# --- ids and files ----------------------------------------------------------------------------


def parse_case_id(case_id: str) -> tuple[int, int, int]:
    """``case-202611-02-7f3a9c1e`` → (2026, 11, 2); :class:`CaseNotFound` if malformed.

    (A few ids of an interim format start their random part with a letter: they parse too.)
    """
    match = _CASE_ID.fullmatch(case_id.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CaseNotFound(f"{case_id!r} is not a case id (they look like case-202611-01-7f3a9c1e)")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def _shard_name(year: int, month: int, part: int) -> str:
    return f"cases-{year:04d}-{month:02d}-{part:02d}.json"


class AtomicJSONStorage(Storage):
    """TinyDB storage that never writes in place (see the module docstring).

    One instance lives for one transaction (under the lock) or one read: it keeps what it read
    or wrote, so TinyDB's read-per-operation does not re-parse the file.
    """

    def __init__(self, path: str, **_: Any) -> None:
        self.path = Path(path)
        self._cache: dict[str, Any] | None = None
        #: The signature of the file this instance last wrote (set under the lock).
        self.written_signature: Signature | None = None

    def read(self) -> dict[str, Any] | None:
        if self._cache is not None:
            return self._cache
        data = read_json_file(self.path)
        if data is None:
            return None
        data.pop("schema_version", None)
        self._cache = data
        return data

    def write(self, data: dict[str, Any]) -> None:
        payload = {"schema_version": SCHEMA_VERSION, **data}
        encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        atomic_write_bytes(self.path, encoded)
        self._cache = data
        self.written_signature = _signature(self.path)

    @property
    def data(self) -> dict[str, Any] | None:
        return self._cache

    def close(self) -> None:
        self._cache = None


Signature = tuple[int, int, int]


def read_json_file(path: Path) -> dict[str, Any] | None:
    """A case-log JSON file's contents, None if absent.

    Raises :class:`CorruptFile` (unparseable) or :class:`NewerSchema` (written by a newer app).
    """
    return read_json_file_signed(path)[0]


def read_json_file_signed(path: Path) -> tuple[dict[str, Any] | None, Signature | None]:
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


def _token(part: int) -> str:
    """A case id's random part: 8 hex digits, never starting with so many digits that the id
    (``case-202611-01-12345678``) could be read as a 13+ digit card number, which scrubbers
    and audits would remove."""
    max_leading_digits = 12 - 6 - len(f"{part:02d}")
    for _ in range(50):
        token = secrets.token_hex(4)
        leading = len(token) - len(token.lstrip("0123456789"))
        if leading <= max_leading_digits:
            return token
    return "a" + token[1:]


def _sig_token(signature: Signature) -> str:
    """A file signature as a short token (no long digit runs: the log holds no card-like
    numbers, not even timestamps in nanoseconds)."""
    digest = hashlib.blake2b(repr(signature).encode(), digest_size=12).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


# --- the log ------------------------------------------------------------------------------------


class CaseLog:
    """The case log in ``directory`` (default: ``data_dir()/cases``).

    Thread- and process-safe: writers serialise on a file lock; readers see whole files only.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        part_capacity: int = PART_CAPACITY,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.directory = Path(directory) if directory is not None else data_dir() / "cases"
        self._clock = clock
        self._capacity = part_capacity
        self._lock_timeout = lock_timeout
        #: Files that could not be read (moved aside) and other things the operator must know.
        self.problems: builtins.list[str] = []
        self._index_guard = threading.Lock()
        #: Index entries this process rescanned and the cache file does not hold (yet).
        self._seen: dict[str, dict[str, Any]] = {}
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            raise CaseLogError(
                f"Cannot create the case log directory {self.directory}: {exc.strerror or exc}"
            ) from None
        self._lock = filelock.FileLock(
            str(self.directory / LOCK_FILE), timeout=lock_timeout, mode=0o600
        )
        with self._locked():
            self._clean_temp_files()

    # --- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
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

    def _clean_temp_files(self) -> None:
        for entry in os.scandir(self.directory):
            if _TEMP.fullmatch(entry.name) and entry.is_file():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                log.info("removed leftover temp file %s", entry.name)

    def _report(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)
        log.warning("%s", message)

    def _quarantine(self, path: Path, reason: str) -> None:
        """Move a corrupt file aside (under the lock, after checking it is still corrupt)."""
        with self._locked():
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
        self._report(
            f"{path.name} could not be read ({reason}); it was moved aside to {target.name} and "
            "its cases are not shown. Nothing was overwritten."
        )

    def _shard_paths(self) -> builtins.list[Path]:
        paths = []
        for entry in os.scandir(self.directory):
            if _SHARD.fullmatch(entry.name):
                paths.append(Path(entry.path))
        return sorted(paths, reverse=True)

    def _path_for(self, case_id: str) -> Path:
        year, month, part = parse_case_id(case_id)
        return self.directory / _shard_name(year, month, part)

    @contextlib.contextmanager
    def _db(self, path: Path) -> Iterator[Any]:
        """A fresh TinyDB on one case file, for one transaction (caller holds the lock).

        After a write, the open-case index learns the file's new signature and open cases.
        """
        db = TinyDB(str(path), storage=AtomicJSONStorage)
        storage = db.storage
        assert isinstance(storage, AtomicJSONStorage)
        try:
            yield db.table(TABLE, cache_size=0)
            if storage.written_signature is not None and storage.data is not None:
                self._note_write(path, storage.written_signature, storage.data)
        finally:
            db.close()

    def _read_docs(self, path: Path) -> builtins.list[dict[str, Any]]:
        """The raw case documents of one file (lock-free: files are replaced whole).

        A corrupt file is moved aside and reported; a newer-schema file is reported and left.
        """
        return self._read_docs_signed(path)[0]

    def _read_docs_signed(
        self, path: Path
    ) -> tuple[builtins.list[dict[str, Any]], Signature | None]:
        try:
            data, signature = read_json_file_signed(path)
        except CorruptFile as exc:
            self._quarantine(path, exc.reason)
            return [], None
        except NewerSchema as exc:
            self._report(str(exc))
            return [], _signature(path)
        table = (data or {}).get(TABLE) or {}
        if not isinstance(table, dict):
            return [], signature
        return [doc for doc in table.values() if isinstance(doc, dict)], signature

    def _record(self, doc: Mapping[str, Any], path: Path) -> CaseRecord | None:
        try:
            return CaseRecord.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            self._report(f"{path.name}: skipped an unreadable case record ({exc!r})")
            return None

    def _read_shard(self, path: Path) -> builtins.list[CaseRecord]:
        records = (self._record(doc, path) for doc in self._read_docs(path))
        return [r for r in records if r is not None]

    def _load(self, case_id: str) -> CaseRecord | None:
        path = self._path_for(case_id)
        for doc in self._read_docs(path):
            if doc.get("id") == case_id:
                return self._record(doc, path)
        return None

    def _load_many(self, case_ids: Iterator[str] | Sequence[str]) -> dict[str, CaseRecord]:
        """Several cases, reading each file once; malformed or missing ids are skipped."""
        by_path: dict[Path, set[str]] = {}
        for case_id in case_ids:
            with contextlib.suppress(CaseNotFound):
                by_path.setdefault(self._path_for(case_id), set()).add(case_id)
        found: dict[str, CaseRecord] = {}
        for path, wanted in by_path.items():
            for doc in self._read_docs(path):
                if doc.get("id") in wanted:
                    record = self._record(doc, path)
                    if record is not None:
                        found[record.id] = record
        return found

    def _modify(
        self, case_id: str, change: Callable[[CaseRecord], CaseRecord | None]
    ) -> CaseRecord:
        """Read one case, apply ``change`` and write it back, all under the lock.

        The file is parsed once and written once (fresh TinyDB, caching storage). ``change``
        returning None means "nothing to write". The index is widened before the case file
        changes and narrowed after, so it always covers every open case and pending action.
        """
        path = self._path_for(case_id)
        with self._locked():
            try:
                with self._db(path) as table:
                    docs = table.search(Query().id == case_id)
                    if not docs:
                        raise CaseNotFound(f"No case {case_id} in the case log ({self.directory})")
                    old = self._record(docs[0], path)
                    if old is None:
                        raise CaseLogError(f"Case {case_id} in {path.name} is unreadable")
                    new = change(old)
                    if new is None:
                        return old
                    table.update(new.to_json(), doc_ids=[docs[0].doc_id])
            except CorruptFile as exc:
                self._quarantine(path, exc.reason)
                raise CaseNotFound(
                    f"Case {case_id} was in {path.name}, which could not be read and was moved "
                    "aside (see the case log's problems)"
                ) from None
        return CaseRecord.from_json(new.to_json())

    # --- the open-case index -----------------------------------------------------------------
    #
    # ``open-cases.json`` caches, per case file, the file's signature (inode, mtime_ns, size)
    # and its open cases / pending actions. Writers update it right after replacing a case file
    # (under the lock, without fsync: it is a cache). Readers trust an entry only while the
    # file's signature matches, and rescan the files that differ (after a crash between the two
    # writes, a deleted or damaged cache, a file moved aside), so it never hides a case.

    def _index_path(self) -> Path:
        return self.directory / INDEX_FILE

    def _load_index_file(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._index_path().read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.info("rebuilding the open-case index %s", self._index_path())
            return {}
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            return {}
        files = data.get("files")
        return dict(files) if isinstance(files, dict) else {}

    def _save_index_file(self, files: Mapping[str, Any]) -> None:
        payload = {"schema_version": SCHEMA_VERSION, "files": dict(files)}
        with contextlib.suppress(OSError):  # a cache: losing it only costs a rescan
            atomic_write_bytes(
                self._index_path(),
                json.dumps(payload, separators=(",", ":")).encode(),
                durable=False,
            )

    def _note_write(self, path: Path, signature: Signature, data: Mapping[str, Any]) -> None:
        """After a case file was replaced (lock held): record its open cases if they changed.

        When they did not (most writes), the cached entry keeps an older signature and readers
        rescan that one file: cheaper than a second file replace on every write.
        """
        table = data.get(TABLE) or {}
        entries = _doc_entries(table.values() if isinstance(table, dict) else ())
        files = self._load_index_file()
        if path.name in files and files[path.name].get("open") == entries:
            return
        files[path.name] = {"sig": _sig_token(signature), "open": entries}
        self._save_index_file(files)

    def _read_index(self) -> dict[str, dict[str, Any]]:
        """case id → ``{"customer_ids": [...], "pending": bool}`` for open/pending cases."""
        with self._index_guard:
            files = self._load_index_file()
            current: dict[str, dict[str, Any]] = {}
            rescanned = 0
            for path in self._shard_paths():
                signature = _signature(path)
                if signature is None:
                    continue
                token = _sig_token(signature)
                for known in (files.get(path.name), self._seen.get(path.name)):
                    if known is not None and known.get("sig") == token:
                        current[path.name] = known
                        break
                else:
                    docs, read_signature = self._read_docs_signed(path)
                    if read_signature is None:
                        continue
                    current[path.name] = {
                        "sig": _sig_token(read_signature),
                        "open": _doc_entries(docs),
                    }
                    rescanned += 1
            self._seen = {name: item for name, item in current.items() if files.get(name) != item}
            if rescanned > 2 or (rescanned and not files) or set(files) - set(current):
                # After a crash, a lost cache or moved files: save the repaired cache once.
                with self._locked():
                    self._save_index_file(current)
        merged: dict[str, dict[str, Any]] = {}
        for item in current.values():
            merged.update(item.get("open") or {})
        return merged

    # --- public API ----------------------------------------------------------------------------

    def open_case(
        self,
        *,
        operator: str,
        query: str,
        customer_ids: Sequence[str],
        masked_email: str,
        livemode: bool,
        anomaly_codes: Sequence[str] = (),
    ) -> CaseRecord:
        """Start a new case (durable before returning)."""
        now = self._clock()
        year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
        with self._locked():
            part = self._last_part(year, month)
            while True:
                path = self.directory / _shard_name(year, month, part)
                try:
                    with self._db(path) as table:
                        existing = table.all()
                        if len(existing) >= self._capacity:
                            part += 1
                            continue
                        taken = {doc.get("id") for doc in existing}
                        case_id = ""
                        while not case_id or case_id in taken:
                            case_id = f"case-{year:04d}{month:02d}-{part:02d}-{_token(part)}"
                        record = CaseRecord(
                            id=case_id,
                            opened_at=now,
                            updated_at=now,
                            operator=operator,
                            status="open",
                            queries=(query,) if query else (),
                            customer_ids=tuple(customer_ids),
                            masked_email=masked_email,
                            anomaly_codes=tuple(anomaly_codes),
                            livemode=livemode,
                        )
                        table.insert(record.to_json())
                        break
                except CorruptFile as exc:
                    self._quarantine(path, exc.reason)  # then retry: the part starts afresh
        return CaseRecord.from_json(record.to_json())

    def _last_part(self, year: int, month: int) -> int:
        prefix = f"cases-{year:04d}-{month:02d}-"
        parts = [
            int(m.group(3))
            for entry in os.scandir(self.directory)
            if entry.name.startswith(prefix) and (m := _SHARD.fullmatch(entry.name))
        ]
        return max(parts, default=1)

    def get(self, case_id: str) -> CaseRecord:
        record = self._load(case_id)
        if record is None:
            raise CaseNotFound(f"No case {case_id} in the case log ({self.directory})")
        return record

    def find_open(self, customer_ids: Sequence[str]) -> CaseRecord | None:
        """The newest open case about any of these customers (same set preferred)."""
        wanted = set(customer_ids)
        if not wanted:
            return None
        ids = [
            case_id
            for case_id, entry in self._read_index().items()
            if wanted & set(entry.get("customer_ids") or ())
        ]
        candidates = [r for r in self._load_many(ids).values() if r.status == "open"]
        if not candidates:
            return None
        candidates.sort(key=lambda r: (set(r.customer_ids) == wanted, r.opened_at), reverse=True)
        return candidates[0]

    def update(self, case_id: str, **changes: Any) -> CaseRecord:
        """Change some of a case's fields (see :data:`UPDATABLE`); returns the stored record."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise CaseLogError(
                f"Cannot update {', '.join(sorted(unknown))} of a case "
                f"(updatable: {', '.join(sorted(UPDATABLE))})"
            )
        if "status" in changes and changes["status"] not in CASE_STATUSES:
            raise CaseLogError(
                f"A case's status is 'open' or 'resolved', not {changes['status']!r}"
            )
        for name in ("queries", "customer_ids", "anomaly_codes", "product_gaps"):
            if name in changes:
                value = changes[name]
                changes[name] = (value,) if isinstance(value, str) else tuple(value)
        if "classification" in changes or "contract" in changes:
            for name in ("classification", "contract"):
                if changes.get(name) is not None:
                    changes[name] = _plain(changes[name])
        return self._modify(case_id, lambda old: replace(old, **changes, updated_at=self._clock()))

    def plan_action(
        self,
        case_id: str,
        *,
        kind: str,
        params: Mapping[str, Any],
        idempotency_key: str,
        operator: str,
    ) -> ActionRecord:
        """Write an action *before* it is sent (durable on return).

        Planning again with an idempotency key the case already holds returns that action
        unchanged, so a retry after a crash reuses the key instead of adding a second action.
        """
        if not idempotency_key:
            raise CaseLogError("An action needs an idempotency key before it is written")
        chosen: builtins.list[str] = []

        def change(record: CaseRecord) -> CaseRecord | None:
            for action in record.actions:
                if action.idempotency_key == idempotency_key:
                    chosen.append(action.id)
                    return None
            now = self._clock()
            ids = {a.id for a in record.actions}
            action_id = f"act-{secrets.token_hex(4)}"
            while action_id in ids:
                action_id = f"act-{secrets.token_hex(4)}"
            chosen.append(action_id)
            action = ActionRecord(
                id=action_id,
                kind=kind,
                params={str(k): str(v) for k, v in params.items()},
                idempotency_key=idempotency_key,
                status="planned",
                created_at=now,
                updated_at=now,
                result={},
                operator=operator,
            )
            return replace(record, actions=(*record.actions, action), updated_at=now)

        return self._modify(case_id, change).action(chosen[0])

    def mark_in_flight(self, case_id: str, action_id: str) -> ActionRecord:
        """The request is about to be sent (durable on return)."""
        return self._set_action(case_id, action_id, "in_flight", None)

    def finish_action(
        self,
        case_id: str,
        action_id: str,
        *,
        status: ActionStatus,
        result: Mapping[str, Any],
    ) -> ActionRecord:
        """Record the outcome: ``succeeded`` or ``failed``, with Stripe ids / request id / error."""
        if status not in ("succeeded", "failed"):
            raise CaseLogError(f"An action finishes as 'succeeded' or 'failed', not {status!r}")
        return self._set_action(case_id, action_id, status, result)

    def _set_action(
        self,
        case_id: str,
        action_id: str,
        status: ActionStatus,
        result: Mapping[str, Any] | None,
    ) -> ActionRecord:
        def change(record: CaseRecord) -> CaseRecord:
            action = record.action(action_id)
            if action.status == "succeeded" and status != "succeeded":
                raise CaseLogError(
                    f"Action {action_id} of case {case_id} already succeeded; it cannot become "
                    f"{status}"
                )
            now = self._clock()
            new_action = replace(
                action,
                status=status,
                updated_at=now,
                result=_plain(result) if result is not None else action.result,
            )
            actions = tuple(new_action if a.id == action_id else a for a in record.actions)
            return replace(record, actions=actions, updated_at=now)

        return self._modify(case_id, change).action(action_id)

    def in_flight(
        self, *, include_planned: bool = False
    ) -> builtins.list[tuple[CaseRecord, ActionRecord]]:
        """Actions sent (or, with ``include_planned``, about to be sent) but not finished."""
        wanted = PENDING if include_planned else ("in_flight",)
        ids = [case_id for case_id, entry in self._read_index().items() if entry.get("pending")]
        found = [
            (record, action)
            for record in self._load_many(ids).values()
            for action in record.actions
            if action.status in wanted
        ]
        found.sort(key=lambda pair: pair[1].created_at)
        return found

    def import_cases(self, records: Sequence[CaseRecord]) -> None:
        """Bulk-write existing records (restore, migration, benchmarks): one write per file."""
        by_path: dict[Path, builtins.list[CaseRecord]] = {}
        for record in records:
            by_path.setdefault(self._path_for(record.id), []).append(record)
        with self._locked():
            for path, group in by_path.items():
                with self._db(path) as table:
                    table.insert_multiple([r.to_json() for r in group])

    def all(self) -> builtins.list[CaseRecord]:
        records: builtins.list[CaseRecord] = []
        for path in self._shard_paths():
            records.extend(self._read_shard(path))
        return records

    def export(self, since: date | None = None, fmt: ExportFormat = "csv") -> str:
        """Cases updated on/after ``since`` for audits: ids, bucket, actions, amounts, operator."""
        records = [r for r in self.list() if since is None or r.updated_at.date() >= since]
        records.sort(key=lambda r: r.opened_at)
        if fmt == "json":
            return json.dumps([r.to_json() for r in records], indent=2, ensure_ascii=False) + "\n"
        if fmt != "csv":
            raise CaseLogError(f"Export format is csv or json, not {fmt!r}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for r in records:
            writer.writerow(_export_row(r))
        return out.getvalue()

    def list(
        self,
        status: str | None = None,
        bucket: str | None = None,
        search: str | None = None,
    ) -> builtins.list[CaseRecord]:
        """Cases, open first, newest first; filtered by status, bucket and a search text."""
        needle = search.strip().lower() if search else ""
        result = []
        for record in self.all():
            if status and record.status != status:
                continue
            if bucket and record.bucket != bucket:
                continue
            if needle and needle not in _haystack(record):
                continue
            result.append(record)
        result.sort(key=lambda r: r.opened_at, reverse=True)
        result.sort(key=lambda r: r.status != "open")
        return result


def _doc_entries(docs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The index entries of raw case documents: open cases and cases with pending actions."""
    entries: dict[str, dict[str, Any]] = {}
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


def _haystack(record: CaseRecord) -> str:
    parts = [record.id, record.masked_email, record.operator, record.follow_up, record.bucket or ""]
    parts += record.queries + record.customer_ids + record.anomaly_codes
    parts += tuple(
        str(v) for a in record.actions for v in (a.kind, *a.result.values()) if isinstance(v, str)
    )
    return "\n".join(parts).lower()


EXPORT_COLUMNS = (
    "case_id",
    "opened_at",
    "updated_at",
    "status",
    "operator",
    "livemode",
    "customer_ids",
    "masked_email",
    "bucket",
    "anomaly_codes",
    "actions",
    "amounts",
    "stripe_ids",
)


def _export_row(record: CaseRecord) -> builtins.list[str]:
    actions = "; ".join(f"{a.kind}:{a.status}" for a in record.actions)
    amounts = "; ".join(
        f"{a.kind}:{a.params['amount']} {a.params.get('currency', '')}".strip()
        for a in record.actions
        if "amount" in a.params
    )
    stripe_ids = " ".join(
        str(v)
        for a in record.actions
        for k, v in a.result.items()
        if isinstance(v, str) and (k.endswith("id") or k.endswith("ids"))
    )
    return [
        record.id,
        _iso(record.opened_at),
        _iso(record.updated_at),
        record.status,
        record.operator,
        "live" if record.livemode else "test",
        " ".join(record.customer_ids),
        record.masked_email,
        record.bucket or "",
        " ".join(record.anomaly_codes),
        actions,
        amounts,
        stripe_ids,
    ]


__all__ = [
    "ACTION_STATUSES",
    "CASE_STATUSES",
    "SCHEMA_VERSION",
    "ActionRecord",
    "AtomicJSONStorage",
    "CaseLog",
    "CaseLogError",
    "CaseNotFound",
    "CaseRecord",
    "CorruptFile",
    "NewerSchema",
    "default_operator",
    "parse_case_id",
]
