"""The case log without a connection: the desk for the commands that need no Stripe
(``cases list/show/handoff/export``).

The :class:`~billing_tui.desk.session.Session` is the desk of a connected operator; a
:class:`CaseBook` is the same case log on its own — no key, no network. It hands out the
store's records and reads the decisions in them through the case-record schema
(:mod:`billing_tui.desk.records`). Blocking: the command line calls it directly (the TUI reads
cases through the Session's ``async`` methods).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from billing_tui.core.classify import Bucket
from billing_tui.core.handoff import Handoff
from billing_tui.desk.records import (
    DecisionRecord,
    LedgerReport,
    handoff_from_record,
    ledger_report,
)
from billing_tui.store.caselog import CaseLog, CaseRecord, ExportFormat


@dataclass(frozen=True)
class RecordedDecision:
    """A case's decision as people read it back: the schema's reading (``decision``), plus what
    the schema cannot say about records written before it.

    ``bucket`` and ``suggested`` are the bucket names as recorded: the schema's bucket, or the
    name as written when it is no longer a bucket (None when none was recorded).
    ``confidence`` is None when the record has none at all.
    """

    decision: DecisionRecord
    bucket: str | None
    suggested: str | None
    confidence: float | None

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RecordedDecision:
        decision = DecisionRecord.from_json(data)
        return cls(
            decision=decision,
            bucket=_name(decision.bucket, data.get("bucket")),
            suggested=_name(decision.suggested, data.get("suggested")),
            confidence=decision.confidence if "confidence" in data else None,
        )


def _name(known: Bucket | None, written: object) -> str | None:
    if known is not None:
        return known.value
    return str(written) if written else None


def recorded_decision(record: CaseRecord) -> RecordedDecision | None:
    """The case's recorded decision (None: the case was never classified)."""
    return RecordedDecision.from_json(record.classification) if record.classification else None


class CaseBook:
    """The case log for one command: list, read, hand off and export cases."""

    def __init__(self, caselog: CaseLog) -> None:
        self.caselog = caselog

    @classmethod
    def open(cls, directory: Path | None = None) -> CaseBook:
        """The case log in ``directory`` (default: the operator's own). Raises CaseLogError."""
        return cls(CaseLog(directory))

    @property
    def problems(self) -> tuple[str, ...]:
        """What the operator must know about the log (files moved aside…)."""
        return tuple(self.caselog.problems)

    def cases(
        self,
        *,
        status: str | None = None,
        bucket: str | None = None,
        search: str | None = None,
    ) -> list[CaseRecord]:
        """Cases, open first, newest first, filtered by status, bucket and a search text."""
        return self.caselog.list(status=status, bucket=bucket, search=search)

    def case(self, case_id: str) -> CaseRecord:
        """One case (raises CaseNotFound, a CaseLogError, with the sentence to show)."""
        return self.caselog.get(case_id)

    def ledger(self, record: CaseRecord) -> LedgerReport:
        """What the case did, what failed, and what it still owes (from the log alone)."""
        return ledger_report(record)

    def handoff(self, case_id: str) -> Handoff:
        """The case's handoff from the log alone (raises CaseLogError like :meth:`case`)."""
        return handoff_from_record(self.case(case_id))

    def export(self, since: date | None = None, fmt: ExportFormat = "csv") -> str:
        """Cases updated on or after ``since``, as CSV or JSON, for audits."""
        return self.caselog.export(since=since, fmt=fmt)
