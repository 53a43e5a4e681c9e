"""One operator at a time per customer: a lease file per customer, next to the case log.

``<case log>/locks/<customer id>.json`` names who works on the customer (operator, pid, host,
since when, and a random token per session); a :mod:`filelock` lock beside it
(``….json.lock``) guards each read-modify-write of it. A second terminal that wants the same
customer is told who holds it and since when; it goes ahead only deliberately
(``take_over=True``), and the session it took over from notices before its next money call
(:meth:`CustomerLocks.check`). A lease whose process is gone (same host, pid no longer
running; or a session of this very process that was dropped) is reclaimed, with a note.

Why a file next to the case log rather than Stripe metadata: it is taken before any Stripe
call and costs none, so it still works when Stripe answers 5xx or the key may not write
customers; it cannot be half-written by a lost answer; it leaves no marks on the customer in
the Dashboard; and a dead holder is recognised (its pid) instead of waiting for a timeout.
It covers the operators who share this case log (one machine, or one shared home), which is
where a second terminal races the first. Across case logs, Stripe itself is the guard: every
money call carries the intent's idempotency key and tag, and is preceded by a look-up of that
tag (see ``billing_tui.desk.intents``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import filelock

from billing_tui.core.text import time_label
from billing_tui.store.caselog.records import CaseLogError, utcnow
from billing_tui.store.caselog.storage import LOCK_TIMEOUT
from billing_tui.store.config import atomic_write_bytes, ensure_private_dir

LOCK_DIR = "locks"

#: The tokens of the lock holders alive in this process (a dropped one is stale).
_LIVE: set[str] = set()

_SAFE = re.compile(r"[^A-Za-z0-9_\-]")


@dataclass(frozen=True)
class Holder:
    """Who works on a customer, as the lease file says."""

    operator: str
    pid: int
    host: str
    since: datetime
    token: str

    def describe(self) -> str:
        return f"{self.operator} (pid {self.pid} on {self.host}) since {time_label(self.since)} UTC"

    def to_json(self) -> dict[str, object]:
        return {
            "operator": self.operator,
            "pid": self.pid,
            "host": self.host,
            "since": self.since.isoformat(),
            "token": self.token,
        }

    @classmethod
    def from_json(cls, data: object) -> Holder | None:
        if not isinstance(data, dict):
            return None
        try:
            since = datetime.fromisoformat(str(data["since"]))
            return cls(
                operator=str(data["operator"]),
                pid=int(data["pid"]),
                host=str(data["host"]),
                since=since,
                token=str(data["token"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class CustomerBusy(CaseLogError):
    """Another operator (terminal, process) holds the customer; nothing was done."""

    def __init__(self, customer_id: str, holder: Holder, *, lost: bool = False) -> None:
        head = (
            f"{customer_id} was taken over by {holder.describe()}"
            if lost
            else f"{customer_id} is being worked on by {holder.describe()}"
        )
        super().__init__(
            f"{head}; nothing was sent. Take it over only deliberately (triage --take-over, "
            "or take over in the TUI) once you have checked with them."
        )
        self.customer_id = customer_id
        self.holder = holder
        self.lost = lost


@dataclass(frozen=True)
class Claim:
    """Customers this session now holds, and what the operator must be told about it."""

    customer_ids: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, but belongs to someone else
        return True
    return True


class CustomerLocks:
    """The customer leases of one session (one token) in ``case_dir/locks``."""

    def __init__(
        self,
        case_dir: Path,
        *,
        operator: str,
        clock: Callable[[], datetime] = utcnow,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        self.directory = Path(case_dir) / LOCK_DIR
        self.operator = operator
        self.token = secrets.token_hex(8)
        self._clock = clock
        self._timeout = lock_timeout
        self._held: set[str] = set()
        self._host = socket.gethostname()
        _LIVE.add(self.token)
        weakref.finalize(self, _LIVE.discard, self.token)

    # --- files

    def _path(self, customer_id: str) -> Path:
        return self.directory / f"{_SAFE.sub('_', customer_id)}.json"

    @contextlib.contextmanager
    def _guard(self, customer_id: str) -> Iterator[None]:
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            raise CaseLogError(
                f"Cannot create the lock directory {self.directory}: {exc.strerror or exc}"
            ) from None
        lock = filelock.FileLock(
            str(self._path(customer_id)) + ".lock", timeout=self._timeout, mode=0o600
        )
        try:
            lock.acquire()
        except filelock.Timeout:
            raise CaseLogError(
                f"The customer lock {self._path(customer_id)} stayed busy for "
                f"{self._timeout:g} s; try again"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def holder(self, customer_id: str) -> Holder | None:
        """Who holds ``customer_id`` now (None: nobody; an unreadable file counts as nobody)."""
        try:
            raw = self._path(customer_id).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CaseLogError(
                f"Cannot read the customer lock {self._path(customer_id)}: {exc.strerror or exc}"
            ) from None
        try:
            return Holder.from_json(json.loads(raw))
        except ValueError:
            return None

    def _stale(self, holder: Holder) -> str | None:
        """Why ``holder`` holds nothing any more (None: it may still be working)."""
        if holder.host != self._host:
            return None
        if holder.pid == os.getpid():
            return None if holder.token in _LIVE else "an earlier session of this process"
        if not _alive(holder.pid):
            return f"pid {holder.pid} no longer runs"
        return None

    def _write(self, customer_id: str, since: datetime | None = None) -> None:
        holder = Holder(self.operator, os.getpid(), self._host, since or self._clock(), self.token)
        payload = json.dumps(holder.to_json()).encode()
        try:
            atomic_write_bytes(self._path(customer_id), payload)
        except OSError as exc:
            raise CaseLogError(
                f"Cannot write the customer lock {self._path(customer_id)}: {exc.strerror or exc}"
            ) from None

    # --- the API

    def claim(self, customer_ids: Sequence[str], *, take_over: bool = False) -> Claim:
        """Hold every one of ``customer_ids`` (all or none; raises :class:`CustomerBusy`
        naming the holder unless ``take_over``)."""
        wanted = sorted(set(customer_ids))
        for customer_id in wanted:  # check all first: all or none
            other = self._other(customer_id)
            if other is not None and not take_over and self._stale(other) is None:
                raise CustomerBusy(customer_id, other)
        notes = [note for cid in wanted if (note := self._take(cid, take_over=take_over))]
        return Claim(tuple(wanted), tuple(notes))

    def _other(self, customer_id: str) -> Holder | None:
        holder = self.holder(customer_id)
        return holder if holder is not None and holder.token != self.token else None

    def _take(self, customer_id: str, *, take_over: bool) -> str | None:
        with self._guard(customer_id):
            other = self._other(customer_id)
            note = None
            if other is not None:
                stale = self._stale(other)
                if stale is None and not take_over:
                    raise CustomerBusy(customer_id, other)
                note = (
                    f"{customer_id}: reclaimed the lock of {other.describe()} ({stale})"
                    if stale is not None
                    else f"{customer_id}: took over from {other.describe()}"
                )
            if other is not None or self.holder(customer_id) is None:
                self._write(customer_id)
            self._held.add(customer_id)
            return note

    def check(self, customer_ids: Iterable[str]) -> None:
        """Raise :class:`CustomerBusy` (``lost``) when another session took one over."""
        for customer_id in customer_ids:
            holder = self.holder(customer_id)
            if customer_id in self._held and holder is not None and holder.token != self.token:
                raise CustomerBusy(customer_id, holder, lost=True)

    def holds(self, customer_ids: Iterable[str]) -> bool:
        return all(cid in self._held for cid in customer_ids)

    def release(self, customer_ids: Iterable[str] | None = None) -> None:
        """Give up the leases (all of this session's by default); another's is left alone."""
        for customer_id in sorted(set(customer_ids) if customer_ids is not None else self._held):
            self._held.discard(customer_id)
            with self._guard(customer_id):
                holder = self.holder(customer_id)
                if holder is not None and holder.token == self.token:
                    with contextlib.suppress(FileNotFoundError):
                        self._path(customer_id).unlink()

    def close(self) -> None:
        """Release everything and forget this session's token."""
        with contextlib.suppress(CaseLogError):
            self.release()
        _LIVE.discard(self.token)
