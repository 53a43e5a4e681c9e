"""Evidence for and against each bucket of a classification, suggested bucket first."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.markup import escape
from textual.widgets import Static

from billing_tui.core.classify import Bucket, Classification


def suggestion_line(classification: Classification) -> str:
    """One line of markup naming the suggested bucket and the confidence in it."""
    suggested = classification.suggested
    if suggested is None:
        return "[b]No suggestion[/]: nothing in the evidence points at one bucket; choose one."
    percent = round(classification.confidence * 100)
    return f"[b]Suggested: [$accent]{escape(suggested.label)}[/][/] ({percent}% confidence)"


def _bucket_order(classification: Classification) -> list[Bucket]:
    """The suggested bucket first, then buckets with evidence, then the rest."""
    order = list(Bucket)
    has_evidence = {e.bucket for e in classification.evidence}
    return sorted(
        order,
        key=lambda b: (
            b != classification.suggested,
            b not in has_evidence,
            order.index(b),
        ),
    )


def render_evidence(classification: Classification) -> Table:
    """The evidence as a grid: a heading per bucket with evidence, ``+`` for and ``-`` against.

    A grid keeps wrapped sentences indented under their marker at any width.
    """
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, no_wrap=True)
    grid.add_column(ratio=1)
    without: list[str] = []
    for bucket in _bucket_order(classification):
        evidence = classification.evidence_for(bucket)
        if not evidence:
            without.append(bucket.label)
            continue
        suggested = bucket == classification.suggested
        heading = Text(bucket.label, style="bold")
        if suggested:
            heading.append(" (suggested)", style="italic")
        grid.add_row(Text("▶" if suggested else "", style="bold"), heading)
        for item in sorted(evidence, key=lambda e: not e.supports):
            marker = Text(" +", style="bold green") if item.supports else Text(" -", "bold red")
            grid.add_row(marker, Text(item.sentence))
    if without:
        grid.add_row(Text(""), Text("No evidence for: " + ", ".join(without), style="dim"))
    return grid


class EvidencePanel(Static):
    """Shows a classification's evidence; call :meth:`show` whenever the suggestion changes."""

    DEFAULT_CSS = """
    EvidencePanel {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        classification: Classification | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("", id=id, classes=classes)
        if classification is not None:
            self.show(classification)

    def show(self, classification: Classification) -> None:
        self.update(render_evidence(classification))
