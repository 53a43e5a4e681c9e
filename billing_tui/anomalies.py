"""Pure anomaly detectors over a :class:`~billing_tui.model.CustomerSnapshot`.

Each detector is a small pure function ``(snapshot, settings, now) -> list[Anomaly]``; ``refs``
are the ids of the rows an anomaly concerns, so the TUI can highlight them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Anomaly:
    code: str
    severity: Severity
    title: str
    detail: str
    refs: tuple[str, ...] = ()
