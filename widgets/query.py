"""What the search box shows as the operator types: its placeholder and the detected kind.

Shared by the search screen and the connecting screen that stands in for it at start-up, and
light on purpose (no screens, no Stripe): the connecting screen is the first frame.
"""

from __future__ import annotations

from rich.text import Text

from billing_tui.core.identify import IdentifierKind, detect_kind, malformed_reason

PLACEHOLDER = "email, cus_…, sub_…, in_…, ch_…, pi_…, GitHub user or name — Enter to look up"


def kind_text(text: str) -> Text:
    """What the input holds, as the operator types (no request is made)."""
    kind = detect_kind(text)
    if kind is IdentifierKind.EMPTY:
        return Text(f"Detected: nothing yet — {kind.label}", style="dim")
    if kind is IdentifierKind.MALFORMED_ID:
        return Text(f"Detected: malformed id — {malformed_reason(text)}", style="bold red")
    return Text.assemble("Detected: ", (kind.label, "bold"))
