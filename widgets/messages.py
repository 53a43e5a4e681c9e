"""Messages shared between screens and the App."""

from __future__ import annotations

from textual.message import Message


class OpenSearch(Message):
    """Go back to the search screen (optionally with a query to look up)."""

    def __init__(self, query: str | None = None) -> None:
        super().__init__()
        self.query = query
