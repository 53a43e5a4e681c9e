"""Who holds a customer: the lease one operator's session takes before acting on it.

A value (no I/O): the store keeps it in a lease file beside the case log
(``billing_tui.store.caselog.customer_lock``); the screens show it and ask before taking over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing_tui.core.text import time_label


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
