"""Case-log exports for audits: one CSV row per case, or the stored JSON records.

The CSV holds ids, bucket, actions, amounts and the operator — what an audit asks for, and no
more customer data than the log itself keeps (ids and the masked email).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Literal

from billing_tui.store.caselog.records import CaseLogError, CaseRecord, iso

ExportFormat = Literal["csv", "json"]

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


def _amounts(record: CaseRecord) -> str:
    return "; ".join(
        f"{a.kind}:{a.params['amount']} {a.params.get('currency', '')}".strip()
        for a in record.actions
        if "amount" in a.params
    )


def _stripe_ids(record: CaseRecord) -> str:
    return " ".join(
        str(v)
        for a in record.actions
        for k, v in a.result.items()
        if isinstance(v, str) and (k.endswith("id") or k.endswith("ids"))
    )


def export_row(record: CaseRecord) -> list[str]:
    """One case as a CSV row (the columns of :data:`EXPORT_COLUMNS`)."""
    return [
        record.id,
        iso(record.opened_at),
        iso(record.updated_at),
        record.status,
        record.operator,
        "live" if record.livemode else "test",
        " ".join(record.customer_ids),
        record.masked_email,
        record.bucket or "",
        " ".join(record.anomaly_codes),
        "; ".join(f"{a.kind}:{a.status}" for a in record.actions),
        _amounts(record),
        _stripe_ids(record),
    ]


def render_export(records: Sequence[CaseRecord], fmt: ExportFormat = "csv") -> str:
    """The records as CSV (a header and one row each) or as an indented JSON list."""
    if fmt == "json":
        return json.dumps([r.to_json() for r in records], indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise CaseLogError(f"Export format is csv or json, not {fmt!r}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in records:
        writer.writerow(export_row(record))
    return out.getvalue()
