"""The :class:`CaseLog` API: open, read, change and list cases; write-ahead actions; export.

Every change is one read-modify-write of one case file under the file lock
(:class:`~billing_tui.store.caselog.storage.CaseFiles`); the open-case index
(:class:`~billing_tui.store.caselog.index.OpenCaseIndex`) learns each write, so finding the
open case for a customer or the actions left in flight reads only the files that matter.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, Unpack, cast

from tinydb import Query
from tinydb.table import Table

from billing_tui.store.caselog.export import ExportFormat, render_export
from billing_tui.store.caselog.index import OpenCaseIndex
from billing_tui.store.caselog.records import (
    PENDING,
    ActionRecord,
    ActionStatus,
    CaseChanges,
    CaseLogError,
    CaseNotFound,
    CaseRecord,
    JSONValue,
    checked_changes,
    io_failure,
    new_action_id,
    new_case_id,
    scrub_text,
    to_json_object,
    utcnow,
)
from billing_tui.store.caselog.storage import (
    LOCK_TIMEOUT,
    CaseFiles,
    CorruptFile,
    shard_name,
)
from billing_tui.store.config import data_dir

PART_CAPACITY = 100

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _io(
    doing: str,
) -> Callable[[Callable[Concatenate[CaseLog, _P], _R]], Callable[Concatenate[CaseLog, _P], _R]]:
    """A CaseLog method whose operating-system failures (permissions, a read-only disk, a
    directory where a file should be…) become one :class:`CaseLogError` sentence naming the
    path: every command and the workstation show that sentence, never a traceback."""

    def wrap(
        method: Callable[Concatenate[CaseLog, _P], _R],
    ) -> Callable[Concatenate[CaseLog, _P], _R]:
        @functools.wraps(method)
        def guarded(self: CaseLog, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return method(self, *args, **kwargs)
            except OSError as exc:
                raise io_failure(exc, doing, self.directory) from None

        return guarded

    return wrap


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
        self._files = CaseFiles(self.directory, lock_timeout=lock_timeout)
        self._index = OpenCaseIndex(self._files)
        try:
            with self._files.locked():
                self._files.clean_temp_files()
        except OSError as exc:
            raise io_failure(exc, "open", self.directory) from None

    @property
    def problems(self) -> builtins.list[str]:
        """Files that could not be read (moved aside) and other things the operator must know."""
        return self._files.problems

    # --- one transaction ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _table(self, path: Path) -> Iterator[Table]:
        """The case file's table for one transaction (caller holds the lock).

        After a write, the open-case index learns the file's new signature and open cases.
        """
        with self._files.transaction(path) as (table, storage):
            yield table
            if storage.written_signature is not None and storage.data is not None:
                self._index.note_write(path, storage.written_signature, storage.data)

    def _modify(
        self, case_id: str, change: Callable[[CaseRecord], CaseRecord | None]
    ) -> CaseRecord:
        """Read one case, apply ``change`` and write it back, all under the lock.

        The file is parsed once and written once (fresh TinyDB, caching storage). ``change``
        returning None means "nothing to write". The index is widened before the case file
        changes and narrowed after, so it always covers every open case and pending action.
        """
        path = self._files.path_for(case_id)
        with self._files.locked():
            try:
                with self._table(path) as table:
                    docs = table.search(Query().id == case_id)
                    if not docs:
                        raise CaseNotFound(f"No case {case_id} in the case log ({self.directory})")
                    old = self._files.record(docs[0], path)
                    if old is None:
                        raise CaseLogError(f"Case {case_id} in {path.name} is unreadable")
                    new = change(old)
                    if new is None:
                        return old
                    table.update(new.to_json(), doc_ids=[docs[0].doc_id])
            except CorruptFile as exc:
                self._files.quarantine(path, exc.reason)
                raise CaseNotFound(
                    f"Case {case_id} was in {path.name}, which could not be read and was moved "
                    "aside (see the case log's problems)"
                ) from None
        return CaseRecord.from_json(new.to_json())

    # --- cases -------------------------------------------------------------------------------

    @_io("write")
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

        def new_record(case_id: str) -> CaseRecord:
            return CaseRecord(
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

        with self._files.locked():
            part = self._files.last_part(year, month)
            while True:
                path = self.directory / shard_name(year, month, part)
                try:
                    with self._table(path) as table:
                        existing = table.all()
                        if len(existing) >= self._capacity:
                            part += 1
                            continue
                        taken = {doc.get("id") for doc in existing}
                        case_id = ""
                        while not case_id or case_id in taken:
                            case_id = new_case_id(year, month, part)
                        record = new_record(case_id)
                        table.insert(record.to_json())
                        break
                except CorruptFile as exc:
                    self._files.quarantine(path, exc.reason)  # then retry: the part starts afresh
        return CaseRecord.from_json(record.to_json())

    @_io("read")
    def get(self, case_id: str) -> CaseRecord:
        record = self._files.load(case_id)
        if record is None:
            raise CaseNotFound(f"No case {case_id} in the case log ({self.directory})")
        return record

    @_io("read")
    def find_open(self, customer_ids: Sequence[str]) -> CaseRecord | None:
        """The newest open case about any of these customers (same set preferred)."""
        wanted = set(customer_ids)
        if not wanted:
            return None
        ids = self._index.about(customer_ids)
        candidates = [r for r in self._files.load_many(ids).values() if r.status == "open"]
        if not candidates:
            return None
        candidates.sort(key=lambda r: (set(r.customer_ids) == wanted, r.opened_at), reverse=True)
        return candidates[0]

    @_io("write")
    def update(self, case_id: str, **changes: Unpack[CaseChanges]) -> CaseRecord:
        """Change some of a case's fields (see :class:`CaseChanges`); returns the stored record."""
        # Validated field by field against CaseRecord's types by checked_changes.
        fields = cast("dict[str, Any]", checked_changes(changes))
        return self._modify(case_id, lambda old: replace(old, **fields, updated_at=self._clock()))

    # --- actions (write-ahead) ---------------------------------------------------------------

    @_io("write")
    def plan_action(
        self,
        case_id: str,
        *,
        kind: str,
        params: Mapping[str, str],
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
            action_id = new_action_id()
            while action_id in ids:
                action_id = new_action_id()
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

    @_io("write")
    def mark_in_flight(self, case_id: str, action_id: str) -> ActionRecord:
        """The request is about to be sent (durable on return)."""
        return self._set_action(case_id, action_id, "in_flight", None)

    @_io("write")
    def finish_action(
        self,
        case_id: str,
        action_id: str,
        *,
        status: ActionStatus,
        result: Mapping[str, JSONValue],
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
        result: Mapping[str, JSONValue] | None,
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
                result=to_json_object(result) if result is not None else action.result,
            )
            actions = tuple(new_action if a.id == action_id else a for a in record.actions)
            return replace(record, actions=actions, updated_at=now)

        return self._modify(case_id, change).action(action_id)

    @_io("read")
    def in_flight(
        self, *, include_planned: bool = False
    ) -> builtins.list[tuple[CaseRecord, ActionRecord]]:
        """Actions sent (or, with ``include_planned``, about to be sent) but not finished."""
        wanted = PENDING if include_planned else ("in_flight",)
        found = [
            (record, action)
            for record in self._files.load_many(self._index.pending()).values()
            for action in record.actions
            if action.status in wanted
        ]
        found.sort(key=lambda pair: pair[1].created_at)
        return found

    # --- many cases --------------------------------------------------------------------------

    @_io("write")
    def import_cases(self, records: Sequence[CaseRecord]) -> None:
        """Bulk-write existing records (restore, migration, benchmarks): one write per file."""
        by_path: dict[Path, builtins.list[CaseRecord]] = {}
        for record in records:
            by_path.setdefault(self._files.path_for(record.id), []).append(record)
        with self._files.locked():
            for path, group in by_path.items():
                with self._table(path) as table:
                    table.insert_multiple([r.to_json() for r in group])

    @_io("read")
    def all(self) -> builtins.list[CaseRecord]:
        records: builtins.list[CaseRecord] = []
        for path in self._files.shard_paths():
            records.extend(self._files.read_shard(path))
        return records

    @_io("read")
    def list(
        self,
        status: str | None = None,
        bucket: str | None = None,
        search: str | None = None,
    ) -> builtins.list[CaseRecord]:
        """Cases, open first, newest first; filtered by status, bucket and a search text."""
        # the log keeps masked texts: a full address searched for finds its masked form
        needle = scrub_text(search.strip()).lower() if search else ""
        result = []
        for record in self.all():
            if status and record.status != status:
                continue
            if bucket and record.bucket != bucket:
                continue
            if needle and needle not in _search_text(record):
                continue
            result.append(record)
        result.sort(key=lambda r: r.opened_at, reverse=True)
        result.sort(key=lambda r: r.status != "open")
        return result

    @_io("read")
    def export(self, since: date | None = None, fmt: ExportFormat = "csv") -> str:
        """Cases updated on/after ``since`` for audits: ids, bucket, actions, amounts, operator."""
        records = [r for r in self.list() if since is None or r.updated_at.date() >= since]
        records.sort(key=lambda r: r.opened_at)
        return render_export(records, fmt)


def _search_text(record: CaseRecord) -> str:
    """What a case-list search looks in (lower case): ids, email, operator, texts, results."""
    parts = [record.id, record.masked_email, record.operator, record.follow_up, record.bucket or ""]
    parts += record.queries + record.customer_ids + record.anomaly_codes
    parts += tuple(
        str(v) for a in record.actions for v in (a.kind, *a.result.values()) if isinstance(v, str)
    )
    return "\n".join(parts).lower()
