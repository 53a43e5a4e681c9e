"""A failure as the operator reads it: one sentence, never a traceback, never a key, a full
email or a card number."""

from __future__ import annotations

from billing_tui.core.text import redact


def describe_error(error: BaseException | None, doing: str) -> str:
    """A failed worker as one readable sentence: no traceback, key, full email or card number."""
    if error is None:
        return f"{doing or 'A background task'} failed."
    message = str(error).strip()
    domain = type(error).__module__.startswith("billing_tui")
    if not message:
        message = type(error).__name__
    elif not domain:
        message = f"{type(error).__name__}: {message}"
    prefix = f"{doing[:1].upper()}{doing[1:]} failed: " if doing else ""
    return redact(prefix + message)
