"""Hand-built, fixed data for the flow screens' snapshot tests (no sandbox, no clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from billing_tui.core.classify import (
    Answers,
    Bucket,
    Classification,
    Evidence,
    Question,
)
from billing_tui.core.contract import ContractCheck, ContractLine
from billing_tui.core.handoff import Handoff, ProductGap
from billing_tui.core.model import Money
from billing_tui.core.plans import ActionKind, DiffRow, Plan, RevenueImpact
from billing_tui.core.plans.ledger import EMPTY_LEDGER, CaseLedger

TEAM_QUESTION = Question(
    id="who_uses",
    text="Who uses the second subscription?",
    options=(("same_person", "The same person (bought twice)"), ("teammate", "A teammate")),
    help="Ask the customer, or check the metadata on each subscription.",
)


NO_ANSWERS = Answers()


def fixed_classification(
    answers: Answers = NO_ANSWERS, *, contract: bool = False
) -> Classification:
    """duplicate_personal unless the operator says a teammate uses the second subscription."""
    team = answers.get("who_uses") == "teammate"
    evidence = (
        Evidence(
            Bucket.DUPLICATE_PERSONAL,
            "Two Pro Monthly subscriptions created 92 s apart, paid by the same card.",
            supports=True,
            refs=("sub_A", "sub_B"),
        ),
        Evidence(
            Bucket.DUPLICATE_PERSONAL,
            "The operator says a teammate uses the second subscription.",
            supports=False,
        )
        if team
        else Evidence(
            Bucket.DUPLICATE_PERSONAL, "Each subscription has quantity 1.", supports=True
        ),
        Evidence(
            Bucket.TEAM_INTENT,
            "No metadata names a different person on either subscription.",
            supports=False,
        ),
        Evidence(Bucket.FAILED_PAYMENT, "Both first invoices are paid [in full].", supports=False),
    )
    contract_check = (
        ContractCheck(
            reasons=("annual plan", "quantity 5"),
            lines=(
                ContractLine(
                    subscription_id="sub_TEAM1",
                    price="Team Annual ($240.00/year)",
                    interval="year",
                    quantity=5,
                    period_start="2026-03-01",
                    period_end="2027-03-01",
                    pending_prorations="none",
                ),
            ),
        )
        if contract
        else None
    )
    return Classification(
        suggested=Bucket.TEAM_INTENT if team else Bucket.DUPLICATE_PERSONAL,
        confidence=0.6 if team else 0.9,
        evidence=evidence,
        questions=(TEAM_QUESTION,),
        answers=answers,
        contract=contract_check,
    )


CANCEL_PLAN = Plan(
    kind=ActionKind.CANCEL_SUBSCRIPTION,
    title="Cancel sub_B (Pro Monthly) immediately, no proration",
    target_id="sub_B",
    params=(("prorate", "false"),),
    diff=(DiffRow("sub_B", "status", "active", "canceled"),),
    api_calls=("DELETE /v1/subscriptions/sub_B prorate=false",),
    reversible=False,
    reversal="a canceled subscription cannot be reactivated; create a new one",
    impact=RevenueImpact(mrr_delta=Money(-1900, "usd"), arr_delta=Money(-22800, "usd")),
    moves_money=True,
    rationale="The second subscription is the duplicate.",
    confirm_phrase="sub_B",
)

REFUND_PLAN = Plan(
    kind=ActionKind.REFUND,
    title="Refund ch_B $19.00 (the duplicate's first charge)",
    target_id="ch_B",
    params=(("charge", "ch_B"), ("amount", "1900")),
    diff=(
        DiffRow("ch_B", "amount_refunded", "$0.00", "$19.00"),
        DiffRow("ch_B", "refunded", "false", "true"),
    ),
    api_calls=("POST /v1/refunds charge=ch_B amount=1900",),
    reversible=False,
    reversal="a refund cannot be undone",
    impact=RevenueImpact(refund=Money(1900, "usd")),
    moves_money=True,
    rationale="Refund only the affected charge.",
    confirm_phrase="19.00",
)

PORTAL_PLAN = Plan(
    kind=ActionKind.PORTAL_SESSION,
    title="Send a billing-portal link",
    target_id="cus_A",
    api_calls=("POST /v1/billing_portal/sessions customer=cus_A",),
    reversible=True,
    reversal="the link expires on its own",
    rationale="Restore self-serve first.",
)

BLOCKED_REFUND = Plan(
    kind=ActionKind.REFUND,
    title="Refund ch_D $49.00",
    target_id="ch_D",
    moves_money=True,
    reversible=False,
    blocked_reason="the charge is disputed (dp_1, needs_response): respond to the dispute instead",
    impact=RevenueImpact(refund=Money(4900, "usd")),
)


@dataclass(frozen=True)
class FixedInfo:
    mode: str = "demo"
    key_hint: str = "sandbox"
    account_name: str | None = "Acme Cloud (sandbox)"

    @property
    def live(self) -> bool:
        return self.mode == "live"


@dataclass(frozen=True)
class FixedOutcome:
    plan: Plan
    status: str
    message: str
    stripe_ids: tuple[str, ...] = ()
    request_id: str | None = "req_fixed"
    idempotency_key: str = "idem_fixed"
    action_id: str | None = None
    url: str | None = None
    replayed: bool = False


@dataclass
class FixedSession:
    """Stands in for the Session with fixed answers; records executions."""

    info: FixedInfo = field(default_factory=FixedInfo)
    contract: bool = False
    plan_list: tuple[Plan, ...] = (PORTAL_PLAN, CANCEL_PLAN, REFUND_PLAN, BLOCKED_REFUND)
    executed: list[tuple[Plan, str | None]] = field(default_factory=list)

    def suggest(self, view: Any, answers: Answers = NO_ANSWERS) -> Classification:
        return fixed_classification(answers, contract=self.contract)

    def plans(self, view: Any, classification: Any, ledger: Any = None) -> tuple[Plan, ...]:
        return self.plan_list

    def ledger_for(self, view: Any) -> CaseLedger:
        return EMPTY_LEDGER

    async def ledger(self, case_id: str) -> CaseLedger:
        return EMPTY_LEDGER

    async def replan(
        self, case_id: str, view: Any, classification: Any
    ) -> tuple[Any, tuple[Plan, ...]]:
        """The fixed plans again (a fixed session's Stripe never changes)."""
        return view, self.plan_list

    async def execute(
        self, case_id: str, view: Any, plan: Plan, confirmation: str | None = None
    ) -> FixedOutcome:
        self.executed.append((plan, confirmation))
        return FixedOutcome(plan, "succeeded", "done", stripe_ids=(f"re_{len(self.executed)}",))


class Host(App[None]):
    """A minimal app that pushes one screen and records what it dismissed with."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.screen_under_test = screen
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.screen_under_test, self.results.append)


FOLLOW_UP = (
    "Hi Jane, you were charged twice for Pro Monthly because checkout ran twice. "
    "I cancelled the extra subscription and refunded $19.00; it reaches your card in 5-10 days."
)

FIXED_HANDOFF = Handoff(
    sections=(
        ("CUSTOMER", "cus_A · j***@example.com · Jane Doe"),
        ("BILLING STATE", "2 live Pro Monthly subscriptions (sub_A, sub_B), created 92 s apart"),
        ("DECISION", "duplicate personal (suggested, confirmed)"),
        ("ACTION TAKEN", "Canceled sub_B; refunded ch_B $19.00 (re_1)"),
        ("FOLLOW-UP", FOLLOW_UP),
        ("PRODUCT GAP", "Checkout allows a second identical subscription [double-click]"),
    ),
    follow_up=FOLLOW_UP,
    product_gaps=(
        ProductGap("Block duplicate checkout", "Checkout created two subscriptions 92 s apart."),
    ),
    locale="en",
)


@dataclass
class FixedHandoffSession:
    info: FixedInfo = field(default_factory=FixedInfo)
    saved: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    #: What the checker answers (the real one is tested in tests/truth on the real Session).
    problems: tuple[str, ...] = ()
    checked: list[str] = field(default_factory=list)
    #: What is still open (resolving then asks for a reason).
    blockers: tuple[str, ...] = ()
    reasons: list[str | None] = field(default_factory=list)

    async def refresh(self, view: Any) -> Any:
        return view

    async def check_handoff(self, case_id: str, view: Any, doc: Handoff) -> tuple[str, ...]:
        self.checked.append(doc.follow_up)
        return self.problems

    async def handoff(self, case_id: str, view: Any) -> Handoff:
        return FIXED_HANDOFF

    async def save_follow_up(self, case_id: str, text: str) -> None:
        self.saved.append(text)

    async def resolve_case(self, case_id: str, reason: str | None = None) -> None:
        self.resolved.append(case_id)
        self.reasons.append(reason)

    async def resolve_blockers(self, case_id: str, view: Any) -> tuple[str, ...]:
        return self.blockers


def widget_text(widget: Any) -> str:
    """What a widget shows on screen right now, as plain text with whitespace runs collapsed."""
    return " ".join(
        " ".join(strip.text.split()) for strip in widget.render_lines(widget.outer_size.region)
    ).strip()


@dataclass(frozen=True)
class FixedAction:
    kind: str
    status: str
    idempotency_key: str


@dataclass(frozen=True)
class FixedCase:
    id: str
    opened_at: datetime
    status: str
    masked_email: str
    customer_ids: tuple[str, ...]
    queries: tuple[str, ...]
    bucket: str | None
    actions: tuple[FixedAction, ...] = ()


FIXED_CASES = (
    FixedCase(
        "case-202611-01-0000000a",
        datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
        "open",
        "d***@example.com",
        ("cus_A",),
        ("dana.whitfield@example.com",),
        "duplicate_personal",
        (
            FixedAction("cancel_subscription", "succeeded", "idem_1"),
            FixedAction("refund", "in_flight", "idem_2"),
        ),
    ),
    FixedCase(
        "case-202611-01-0000000b",
        datetime(2026, 11, 25, 16, 5, tzinfo=UTC),
        "resolved",
        "m***@example.com",
        ("cus_B",),
        ("marcus.oyelaran@example.com",),
        "failed_payment",
        (FixedAction("portal_session", "succeeded", "idem_3"),),
    ),
    FixedCase(
        "case-202611-01-0000000c",
        datetime(2026, 11, 24, 11, 0, tzinfo=UTC),
        "open",
        "o***@example.com",
        ("cus_C",),
        ("ops.northwind@example.com",),
        None,
    ),
)


@dataclass
class FixedCasesSession:
    info: FixedInfo = field(default_factory=FixedInfo)

    async def cases(self, status: str | None = None) -> list[FixedCase]:
        return [c for c in FIXED_CASES if status is None or c.status == status]

    async def in_flight_actions(self) -> tuple[tuple[FixedCase, FixedAction], ...]:
        case = FIXED_CASES[0]
        return ((case, case.actions[1]),)
