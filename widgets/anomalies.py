"""The anomaly list: one entry per anomaly, severity coloured and spelled out, with its detail."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from billing_tui.core.anomalies import Anomaly, Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.WARNING: "bold black on yellow",
    Severity.INFO: "bold white on blue",
}


def severity_badge(severity: Severity) -> Text:
    """``CRITICAL`` / ``WARNING`` / ``INFO``: a word, so it reads the same without colour."""
    return Text(f" {severity.name:<8} ", style=SEVERITY_STYLE[severity])


def anomaly_prompt(anomaly: Anomaly) -> Table:
    """Badge on the left; title, code and the wrapped detail indented beside it."""
    body = Text()
    body.append(anomaly.title, style="bold")
    body.append(f"  [{anomaly.code}]", style="dim")
    if anomaly.detail:
        body.append("\n")
        body.append(anomaly.detail)
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=10, no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(severity_badge(anomaly.severity), body)
    return grid


class AnomalyList(OptionList):
    """Anomalies, worst first; Enter on one posts :class:`AnomalyList.Chosen`."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="anomaly.down", tooltip="Next anomaly"),
        Binding("k", "cursor_up", "Up", show=False, id="anomaly.up", tooltip="Previous anomaly"),
    ]

    DEFAULT_CSS = """
    AnomalyList {
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
        &:focus {
            border: none;
            background-tint: $foreground 5%;
        }
    }
    """

    class Chosen(Message):
        """The operator picked an anomaly: move to the rows it concerns."""

        def __init__(self, anomaly: Anomaly) -> None:
            super().__init__()
            self.anomaly = anomaly

    def __init__(self, anomalies: Sequence[Anomaly] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._anomalies: tuple[Anomaly, ...] = ()
        self.set_anomalies(anomalies)

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        return self._anomalies

    def set_anomalies(self, anomalies: Sequence[Anomaly]) -> None:
        self._anomalies = tuple(anomalies)
        if not self._anomalies:
            self.set_options([Option(Text("No anomalies found.", style="dim"), disabled=True)])
            return
        self.set_options(
            [Option(anomaly_prompt(a), id=f"anomaly-{i}") for i, a in enumerate(self._anomalies)]
        )
        self.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self._anomalies and 0 <= event.option_index < len(self._anomalies):
            self.post_message(self.Chosen(self._anomalies[event.option_index]))
