"""Help: the keys that work on the screen the operator came from, with what they do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


@dataclass(frozen=True)
class HelpRow:
    key: str
    description: str
    tooltip: str
    enabled: bool = True
    group: str = ""
    #: The binding's id: the name to use under ``[keymap]`` in the config file.
    binding_id: str = ""


SCREEN_GROUP = "This screen"
GLOBAL_GROUP = "Everywhere"


def _group(node: DOMNode) -> str:
    if isinstance(node, Screen):
        return SCREEN_GROUP
    if isinstance(node, App):
        return GLOBAL_GROUP
    return f"In the focused {type(node).__name__}"


def help_rows(bindings: Mapping[str, ActiveBinding]) -> list[HelpRow]:
    """One row per active binding: the screen's, then the focused widget's, then the App's."""
    rows: list[HelpRow] = []
    seen: set[tuple[str, str]] = set()
    for key, active in bindings.items():
        binding = active.binding
        if binding.system:
            continue
        shown = binding.key_display or key
        description = binding.description or binding.action.replace("_", " ")
        if (shown, description) in seen:
            continue
        seen.add((shown, description))
        tooltip = active.tooltip or binding.tooltip
        rows.append(
            HelpRow(
                shown,
                description,
                tooltip,
                active.enabled,
                _group(active.node),
                binding.id or "",
            )
        )
    order = {SCREEN_GROUP: 0, GLOBAL_GROUP: 2}
    return sorted(rows, key=lambda r: order.get(r.group, 1))


def help_text(title: str, intro: str, rows: Iterable[HelpRow]) -> Text:
    text = Text()
    text.append(f"{title}\n", style="bold")
    if intro:
        text.append(f"{intro}\n")
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            text.append(f"\n{group}\n", style="bold underline")
        style = "" if row.enabled else "dim"
        text.append(f"{row.key:>12}  ", style="bold " + style)
        text.append(row.description, style=style)
        if row.tooltip and row.tooltip != row.description:
            text.append(f" — {row.tooltip}", style="dim")
        if row.binding_id:
            text.append(f"  [{row.binding_id}]", style="dim italic")
        text.append("\n")
    text.append(
        "\nRebind a key by its [id] under [keymap] in the config file, e.g. "
        '"customer.refresh" = "f5".\nEscape, q or F1 closes this help.',
        style="dim",
    )
    return text


class HelpScreen(ModalScreen[None]):
    """A modal listing keys; built by the App from the screen below's active bindings."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close", tooltip="Close the help"),
        Binding("q", "dismiss", "Close", show=False, id="help.close-q", tooltip="Close the help"),
        Binding("f1", "dismiss", "Close", show=False, id="help.close-f1", tooltip="Close the help"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > #help-box {
            width: 90%;
            max-width: 110;
            height: 90%;
            border: round $primary;
            background: $surface;
            padding: 0 1;
        }
    }
    """

    def __init__(self, title: str, intro: str, rows: list[HelpRow]) -> None:
        super().__init__()
        self.help_title = title
        self.intro = intro
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"), VerticalScroll():
            yield Static(help_text(self.help_title, self.intro, self.rows), id="help-text")
