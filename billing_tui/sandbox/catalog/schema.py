"""The scenario file's header: what a scenario expects (anomaly codes, a bucket) and
:class:`ScenarioInfo`, the description :func:`~billing_tui.sandbox.catalog.list_scenarios` returns.

Bucket names are plain strings here so the emulator stays standalone; a test checks they are
the classifier's buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIO_DIR = Path(__file__).parent.with_name("scenarios")
BASE_NAME = "_base"

#: The anomaly codes of ``docs/anomalies.md`` (a test checks the two agree).
ANOMALY_CODES: frozenset[str] = frozenset(
    {
        "duplicate_subscription",
        "duplicate_customer",
        "cross_customer_duplicate",
        "team_purchase_pattern",
        "mixed_interval",
        "payment_failed",
        "incomplete_checkout",
        "card_expired",
        "card_expires_before_renewal",
        "no_payment_method",
        "trial_ending_without_payment_method",
        "disputed_charge",
        "refunded_charge",
        "double_charge",
        "proration_activity",
        "cancel_pending",
        "customer_balance",
        "portal_missing",
        "portal_cancel_disabled",
        "portal_payment_update_disabled",
        "portal_invoice_history_disabled",
    }
)

#: The classifier's buckets a scenario may expect (a test checks they match the classifier's).
BUCKET_NAMES: tuple[str, ...] = (
    "duplicate_personal",
    "team_intent",
    "failed_payment",
    "missing_self_serve",
    "product_failure",
)
BUCKETS: frozenset[str] = frozenset(BUCKET_NAMES)


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message names file, object and field."""


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    title: str
    ticket: str
    identifier: str
    anomalies: tuple[str, ...]
    bucket: str | None
    notes: str
    customer_ids: tuple[str, ...] = ()
    path: str = ""
    #: False for scenarios that declare API keys: once keys are declared only those work, which
    #: would lock the demo's own ``sk_test_…`` key out, so ``"all"`` leaves them out.
    in_all: bool = True


def in_all(data: Mapping[str, Any]) -> bool:
    return not data.get("keys") and not data.get("revoked_keys")


def info_from(
    data: Mapping[str, Any], path: Path, *, customer_ids: tuple[str, ...]
) -> ScenarioInfo:
    def field(key: str, kind: type, default: Any = ...) -> Any:
        value = data.get(key, default)
        if value is ...:
            raise ScenarioError(f"{path.name}: missing field '{key}'")
        if not isinstance(value, kind):
            raise ScenarioError(f"{path.name}: field '{key}' must be {kind.__name__}")
        return value

    name = field("name", str)
    if path.stem != BASE_NAME and path.parent == SCENARIO_DIR and name != path.stem:
        raise ScenarioError(f"{path.name}: field 'name' is {name!r} but the file is {path.stem!r}")
    if not isinstance(data.get("objects", []), list):
        raise ScenarioError(f"{path.name}: field 'objects' must be a list")
    expect = field("expect", dict, {})
    anomalies = expect.get("anomalies", [])
    if not isinstance(anomalies, list) or not all(isinstance(a, str) for a in anomalies):
        raise ScenarioError(f"{path.name}: field 'expect.anomalies' must be a list of codes")
    unknown = sorted(set(anomalies) - ANOMALY_CODES)
    if unknown:
        raise ScenarioError(
            f"{path.name}: field 'expect.anomalies': unknown code(s) {', '.join(unknown)} "
            "(see docs/anomalies.md)"
        )
    bucket = expect.get("bucket")
    if bucket is not None and bucket not in BUCKETS:
        raise ScenarioError(
            f"{path.name}: field 'expect.bucket': {bucket!r} is not one of "
            f"{', '.join(sorted(BUCKETS))} or null"
        )
    return ScenarioInfo(
        name=name,
        title=field("title", str, ""),
        ticket=field("ticket", str, ""),
        identifier=field("identifier", str, ""),
        anomalies=tuple(anomalies),
        bucket=bucket,
        notes=str(expect.get("notes", "")),
        customer_ids=customer_ids,
        path=str(path),
        in_all=in_all(data),
    )
