"""A plan's diff: the fields it changes (before → after), its API calls, reversibility, impact."""

from __future__ import annotations

from textual.markup import escape
from textual.widgets import Static

from billing_tui.core.plans import Plan


def render_plan(plan: Plan, *, unclassified_block: str | None = None) -> str:
    """Everything an operator must see before confirming ``plan``, as markup.

    ``unclassified_block`` is the screen's own reason a money-moving plan cannot run yet (the
    case is not classified); it is shown like a plan's own ``blocked_reason``.
    """
    lines = [f"[b]{escape(plan.title)}[/]"]
    step = f"Step {int(plan.step)}: {plan.step.label}"
    if not plan.recommended:
        step += " · an alternative, on request"
    lines.append(f"[dim]{escape(step)}[/]")
    if plan.rationale:
        lines.append(f"[dim]Why:[/] {escape(plan.rationale)}")
    blocked = plan.blocked_reason or (unclassified_block if plan.moves_money else None)
    if blocked:
        lines.append(f"[$error b]Not possible:[/] {escape(blocked)}")
    lines.extend(f"[$warning b]Warning:[/] {escape(warning)}" for warning in plan.warnings)
    lines.append("")
    lines.append("[b]Changes[/]")
    if plan.diff:
        name_width = max(len(f"{row.object_id}.{row.field}") for row in plan.diff)
        for row in plan.diff:
            name = f"{row.object_id}.{row.field}".ljust(name_width)
            approx = " [dim](estimate)[/]" if row.estimate else ""
            lines.append(
                f"  {escape(name)}  [$error]{escape(row.before)}[/] → "
                f"[$success]{escape(row.after)}[/]{approx}"
            )
    else:
        lines.append("  [dim]nothing in Stripe changes[/]")
    lines.append("[b]API calls[/]")
    if plan.api_calls:
        lines.extend(f"  {escape(call)}" for call in plan.api_calls)
    else:
        lines.append("  [dim]none[/]")
    if plan.reversible:
        reversal = f": {escape(plan.reversal)}" if plan.reversal else ""
        lines.append(f"[b]Reversible:[/] yes{reversal}")
    else:
        reversal = f": {escape(plan.reversal)}" if plan.reversal else ""
        lines.append(f"[b]Reversible:[/] [$warning b]no[/]{reversal}")
    lines.append(f"[b]Revenue impact:[/] {escape(plan.impact.describe())}")
    return "\n".join(lines)


class PlanDiff(Static):
    """The highlighted plan's diff; :meth:`show` replaces it, ``None`` clears it."""

    DEFAULT_CSS = """
    PlanDiff {
        height: auto;
        padding: 0 1;
    }
    """

    def show(self, plan: Plan | None, *, unclassified_block: str | None = None) -> None:
        if plan is None:
            self.update("[dim]No plan selected.[/]")
        else:
            self.update(render_plan(plan, unclassified_block=unclassified_block))
