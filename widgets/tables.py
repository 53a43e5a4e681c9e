"""A row table keyed by Stripe id: vim keys, and rows marked when an anomaly concerns them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist, RowKey

from billing_tui.core.text import date_label, time_label

#: The marker column's text for a row an anomaly concerns (readable without colour).
MARK = "!"
MARK_STYLE = "bold yellow"


@dataclass(frozen=True)
class Row:
    """One table row: its Stripe id (the row key) and the cells after the marker column."""

    id: str
    cells: tuple[str | Text, ...]


class IdTable(DataTable[str | Text]):
    """A ``DataTable`` whose rows are keyed by object id, with ``j``/``k``/``g``/``G``.

    The first column is a one-character marker: ``!`` on rows that :meth:`mark` names, whose
    cells are also drawn bold and coloured, so the mark survives ``NO_COLOR``.
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down", tooltip="Next row"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up", tooltip="Previous row"),
        Binding("g", "scroll_top", "First", show=False, id="table.first", tooltip="First row"),
        Binding("G", "scroll_bottom", "Last", show=False, id="table.last", tooltip="Last row"),
    ]

    DEFAULT_CSS = """
    IdTable {
        height: auto;
        max-height: 100%;
    }
    """

    def __init__(
        self,
        columns: Sequence[str],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            id=id,
            classes=classes,
            cursor_type="row",
            zebra_stripes=True,
            cursor_foreground_priority="renderable",
        )
        self._column_labels = tuple(columns)
        self._rows: tuple[Row, ...] = ()
        self._marked: frozenset[str] = frozenset()

    def on_mount(self) -> None:
        self.add_column(" ", key="mark", width=1)
        for label in self._column_labels:
            self.add_column(label, key=label)
        self._render_rows()

    # ----------------------------------------------------------------------------- data

    @property
    def ids(self) -> tuple[str, ...]:
        """The row ids, in display order."""
        return tuple(r.id for r in self._rows)

    @property
    def marked(self) -> frozenset[str]:
        """The ids currently marked (of the rows present)."""
        return self._marked & frozenset(self.ids)

    def set_rows(self, rows: Iterable[Row], *, marked: Iterable[str] = ()) -> None:
        """Replace every row; the cursor stays on the same id when it is still there."""
        keep = self.selected_id
        self._rows = tuple(rows)
        self._marked = frozenset(marked)
        if self.is_mounted:
            self._render_rows()
            if keep is not None:
                self.move_to(keep)

    def mark(self, ids: Iterable[str]) -> None:
        """Mark (highlight) the rows with these ids; other rows are unmarked."""
        self._marked = frozenset(ids)
        if self.is_mounted:
            keep = self.selected_id
            self._render_rows()
            if keep is not None:
                self.move_to(keep)

    def _render_rows(self) -> None:
        self.clear()
        for row in self._rows:
            marked = row.id in self._marked
            cells: list[str | Text] = [Text(MARK, style=MARK_STYLE) if marked else ""]
            for cell in row.cells:
                if marked:
                    text = cell.copy() if isinstance(cell, Text) else Text(cell)
                    text.stylize(MARK_STYLE)
                    cells.append(text)
                else:
                    cells.append(cell)
            self.add_row(*cells, key=row.id)

    # ----------------------------------------------------------------------------- cursor

    @property
    def selected_id(self) -> str | None:
        """The id of the row under the cursor, if any."""
        if not self.is_mounted or self.row_count == 0:
            return None
        try:
            key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:  # an out-of-range cursor just means "nothing selected"
            return None
        return key.value

    def move_to(self, row_id: str) -> bool:
        """Put the cursor on the row with this id; False when there is no such row."""
        try:
            index = self.get_row_index(row_id)
        except RowDoesNotExist:
            return False
        self.move_cursor(row=index, animate=False)
        return True


def fmt_date(value: datetime | None) -> str:
    """``2026-11-23`` (UTC), or an em dash."""
    return date_label(value)


def fmt_time(value: datetime | None) -> str:
    """``2026-11-23 14:05`` (UTC), or an em dash."""
    return time_label(value)
