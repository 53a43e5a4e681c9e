"""The list envelope (``{"object": "list", …}``) every list in a response or an object uses."""

from __future__ import annotations

from billing_tui.sandbox.state import JSON


def list_object(url: str, data: list[JSON], has_more: bool = False) -> JSON:
    """Stripe's list object over ``data`` (the page), served at ``url``."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
