"""The Search API (arriving in the next commit)."""

from __future__ import annotations

from billing_tui.sandbox.context import Context
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError

SEARCHABLE: tuple[str, ...] = ("customers",)


def search(ctx: Context, *, resource: str) -> JSON:
    raise ApiError(501, "Search is not implemented by the sandbox yet.", type="api_error")
