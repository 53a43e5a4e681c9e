"""Messages shared between screens and the App.

``Worker.StateChanged`` does not bubble: it reaches only the node that started the worker. Screens
and widgets that run workers mix in :class:`ReportsWorkerFailures`, which turns a failed worker
into a bubbling :class:`WorkerFailed`, so the App reports every failure in one place.
"""

from __future__ import annotations

from typing import Any, cast

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState


class WorkerFailed(Message):
    """A worker ended in an error; the App turns it into one readable notification."""

    def __init__(self, worker: Worker[Any]) -> None:
        super().__init__()
        self.worker = worker


class ReportsWorkerFailures:
    """Mixin for screens (and widgets) that run workers with ``exit_on_error=False``."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            cast(MessagePump, self).post_message(WorkerFailed(event.worker))
