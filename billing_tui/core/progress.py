"""How far a long read has got: the account sweep's progress as a value.

The gateway's sweep (:mod:`billing_tui.gateway.sweep`) reports it; the desk passes it on; the
plans screen and ``billing-tui plans`` show it. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SweepProgress:
    """Shards finished of all, requests sent, items read and seconds spent so far."""

    shards_done: int
    shards: int
    requests: int
    items: int
    elapsed: float

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the pace so far (None before the first shard, 0 when done)."""
        if self.shards_done == 0 or self.shards_done == self.shards:
            return None if self.shards_done == 0 else 0.0
        return self.elapsed / self.shards_done * (self.shards - self.shards_done)
