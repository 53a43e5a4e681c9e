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
Luhn-valid numbers (card numbers) are removed. Decisions and results are stored as plain JSON
(:data:`JSONObject`); the store knows nothing of the domain.

The package, by role:

- :mod:`.records` — :class:`CaseRecord`, :class:`ActionRecord`, statuses, case ids, the JSON
  value type, the scrubber;
- :mod:`.storage` — the monthly part files, atomic TinyDB storage, signatures, the lock, the
  quarantine of corrupt files (:class:`~.storage.CaseFiles`);
- :mod:`.index` — the open-case index (:class:`~.index.OpenCaseIndex`);
- :mod:`.log` — the :class:`CaseLog` API;
- :mod:`.export` — CSV / JSON exports for audits;
- :mod:`.customer_lock` — one operator at a time per customer (:class:`CustomerLocks`).
"""

from billing_tui.store.caselog.customer_lock import Claim, CustomerBusy, CustomerLocks, Holder
from billing_tui.store.caselog.export import EXPORT_COLUMNS, ExportFormat, render_export
from billing_tui.store.caselog.index import INDEX_FILE
from billing_tui.store.caselog.log import PART_CAPACITY, CaseLog
from billing_tui.store.caselog.records import (
    ACTION_STATUSES,
    CASE_STATUSES,
    PENDING,
    UPDATABLE,
    ActionRecord,
    ActionStatus,
    CaseChanges,
    CaseLogError,
    CaseNotFound,
    CaseRecord,
    CaseStatus,
    JSONObject,
    JSONScalar,
    JSONValue,
    default_operator,
    parse_case_id,
    utcnow,
)
from billing_tui.store.caselog.storage import (
    LOCK_FILE,
    LOCK_TIMEOUT,
    SCHEMA_VERSION,
    TABLE,
    AtomicJSONStorage,
    CorruptFile,
    NewerSchema,
    Signature,
    read_json_file,
    read_json_file_signed,
)

__all__ = [
    "ACTION_STATUSES",
    "CASE_STATUSES",
    "EXPORT_COLUMNS",
    "INDEX_FILE",
    "LOCK_FILE",
    "LOCK_TIMEOUT",
    "PART_CAPACITY",
    "PENDING",
    "SCHEMA_VERSION",
    "TABLE",
    "UPDATABLE",
    "ActionRecord",
    "ActionStatus",
    "AtomicJSONStorage",
    "CaseChanges",
    "CaseLog",
    "CaseLogError",
    "CaseNotFound",
    "CaseRecord",
    "CaseStatus",
    "Claim",
    "CorruptFile",
    "CustomerBusy",
    "CustomerLocks",
    "ExportFormat",
    "Holder",
    "JSONObject",
    "JSONScalar",
    "JSONValue",
    "NewerSchema",
    "Signature",
    "default_operator",
    "parse_case_id",
    "read_json_file",
    "read_json_file_signed",
    "render_export",
    "utcnow",
]
