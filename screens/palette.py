"""The command palette: the active screen's own commands first, then the App's global ones.

A screen offers commands by defining ``palette_commands()`` (see :class:`OffersCommands`);
the App offers its global ones through ``global_commands()``. :class:`BillingCommands` is
the one palette provider: it asks whichever screen is active, so the App knows no screen's
commands. Titles read "area: Verb" (``case: Classify``, ``app: Quit``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: the "area: Verb" title, a line of help, and what it runs."""

    title: str
    help: str
    run: Callable[[], Any]


@runtime_checkable
class OffersCommands(Protocol):
    """A screen (or the App) with palette commands of its own."""

    def palette_commands(self) -> Iterable[PaletteCommand]: ...


@runtime_checkable
class OffersGlobalCommands(Protocol):
    """The App: commands that apply on every screen."""

    def global_commands(self) -> Iterable[PaletteCommand]: ...


def palette_commands(app: App[Any], screen: Screen[Any]) -> list[PaletteCommand]:
    """What the operator can do from ``screen``: its own commands first, then global ones."""
    found: list[PaletteCommand] = []
    if isinstance(screen, OffersCommands):
        found.extend(screen.palette_commands())
    if isinstance(app, OffersGlobalCommands):
        found.extend(app.global_commands())
    return found


class BillingCommands(Provider):
    """Every workstation action, offered only where it applies."""

    def _commands(self) -> list[PaletteCommand]:
        return palette_commands(self.app, self.screen)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
