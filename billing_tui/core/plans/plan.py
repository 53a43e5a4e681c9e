"""Plan values: what an action is, what it changes, and what came of it (typed, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FailureKind(StrEnum):
    """Why an action did not happen, as the desk and the screens act on it."""

    PERMISSION = "permission"  # 403: the key lacks a rak_* permission
    UNCERTAIN = "uncertain"  # the answer was lost (network/5xx after send): reconcile before retry
    DECLINED = "declined"  # card declined
    INVALID = "invalid"  # 400 invalid request (param/code known)
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"  # rate limited / Stripe down before the call took effect
    REFUSED = "refused"  # skipped by a guard or a missing LIVE confirmation
    OTHER = "other"


@dataclass(frozen=True)
class Failure:
    """A failed or skipped action: the operator sentence plus what a program needs from it."""

    kind: FailureKind
    message: str  # the operator sentence, as shown
    permission: str | None = None  # rak_… for PERMISSION
    param: str | None = None
    code: str | None = None
