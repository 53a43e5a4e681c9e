"""A further refund as a new intent: the confirmation first shows what this case and
Stripe's tagged refunds already refunded on the charge, and what is still refundable.

A refund whose intent already succeeded replays (nothing is sent) when run again; a second
refund the operator really wants is a new intent, sent with the next ordinal. This module
holds what that confirmation says (:func:`new_intent_text`) and the modal itself, the plain
confirmation with one section added, so the confirmation's own parts stay in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.markup import escape
from textual.widgets import Static

from billing_tui.core.model import Charge
from billing_tui.core.plans import ActionKind, Plan, PriorIntent
from billing_tui.desk.intents import choose_ordinal
from screens.confirm import ConfirmScreen


@dataclass(frozen=True)
class NewIntent:
    """A further refund, as its confirmation shows it."""

    plan: Plan  # the refund as it is sent (``new_intent`` set)
    priors: tuple[PriorIntent, ...]  # what this case and Stripe already did on the charge
    charge: Charge | None  # the charge as Stripe has it now (None: not in the snapshot)

    @property
    def ordinal(self) -> int:
        """The intent number this refund is sent as."""
        return choose_ordinal(self.priors, new_intent=True)

    @property
    def done(self) -> tuple[PriorIntent, ...]:
        return tuple(p for p in self.priors if p.done)


def why_no_new_intent(
    plan: Plan, priors: tuple[PriorIntent, ...], charge: Charge | None
) -> str | None:
    """Why ``plan`` cannot be sent as a further refund (None: it can)."""
    if plan.kind != ActionKind.REFUND:
        return "only a refund can be asked for again as a new intent"
    if not any(p.done for p in priors):
        return f"nothing was refunded on {plan.target_id} yet: x runs this refund as intent #1"
    if charge is not None and charge.refundable.amount <= 0:
        return (
            f"{charge.id} is refunded in full ({charge.amount_refunded.format()} of "
            f"{charge.amount.format()}): nothing is left to refund"
        )
    return None


def new_intent_text(intent: NewIntent) -> str:
    """The confirmation's section (markup): earlier intents, the charge's figures, this one."""
    target = escape(intent.plan.target_id or "")
    lines = [
        f"[b]A further refund: intent #{intent.ordinal} on {target}[/] (not a retry)",
        "Already on this charge (this case and Stripe's tagged refunds):",
    ]
    for prior in intent.priors:
        mark = "[green]✓[/]" if prior.done else "[yellow]–[/]"
        lines.append(f"  {mark} {escape(prior.describe())}")
    charge = intent.charge
    if charge is not None:
        lines.append(
            f"Charge {charge.amount.format()} · refunded {charge.amount_refunded.format()} · "
            f"[b]remaining refundable {charge.refundable.format()}[/]"
        )
    return "\n".join(lines)


class NewIntentConfirmScreen(ConfirmScreen):
    """The confirmation of a further refund: what was already refunded comes first."""

    DEFAULT_CSS = """
    NewIntentConfirmScreen #new-intent {
        height: auto;
        background: $warning 20%;
        padding: 0 1;
    }
    """

    def __init__(self, intent: NewIntent, *, live: bool) -> None:
        super().__init__(intent.plan, live=live)
        self.intent = intent

    def on_mount(self) -> None:
        self.query_one("#title", Static).update(f"Refund again, as intent #{self.intent.ordinal}?")
        section = Static(new_intent_text(self.intent), id="new-intent")
        self.query_one("#dialog").mount(section, after="#title")
