"""Every catalog scenario through the Session on the real sandbox: bucket, plans, guards,
execution, the resulting Stripe state, the case log and the handoff."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from billing_tui.core.classify import Answers, Bucket, Classification
from billing_tui.core.handoff import SECTION_TITLES
from billing_tui.core.model import Money
from billing_tui.core.plans import ActionKind, Plan, observe
from billing_tui.desk.session import CaseView, Session
from billing_tui.sandbox import catalog
from tests.demo import demo_session

SCENARIOS = {info.name: info for info in catalog.list_scenarios()}
#: Declares its own keys (the demo key is refused there): covered by its own tests below.
OWN_KEYS = {"restricted-key"}
#: 600 invoices: loaded once, for the plan test only.
SLOW = {"large-account"}


@dataclass
class Loaded:
    session: Session
    view: CaseView
    case_id: str
    suggestion: Classification
    scenario: str

    def decided(self) -> Classification:
        """The catalog's bucket, confirmed (with the contract shape) as an operator would."""
        info = SCENARIOS[self.scenario]
        bucket = Bucket(info.bucket) if info.bucket else None
        assert bucket is not None
        reason = None if bucket == self.suggestion.suggested else "the catalog's recorded bucket"
        return self.suggestion.confirm(bucket, reason).confirm_contract()


Loader = Callable[[str], Awaitable[Loaded]]

#: What the ticket says, where billing data alone cannot tell (healthy billing, product
#: complaint): the wizard's complaint question, answered as the operator would.
TICKET = {
    "product-outage": Answers().with_answer("q_complaint", "product_broken"),
    "zh-locale": Answers().with_answer("q_complaint", "product_broken"),
}


@pytest.fixture
async def load(tmp_path: Path) -> AsyncIterator[Loader]:
    sessions: list[Session] = []

    async def _load(name: str) -> Loaded:
        session = demo_session(tmp_path / name, scenarios=(name,))
        sessions.append(session)
        info = SCENARIOS[name]
        resolution = await session.lookup(info.identifier)
        view = await session.load(resolution.customer_ids)
        case = await session.open_case(info.identifier, view)
        suggestion = session.suggest(view, TICKET.get(name))
        return Loaded(session, view, case.id, suggestion, name)

    yield _load
    for session in sessions:
        await session.aclose()


def recommended(plans: tuple[Plan, ...]) -> list[tuple[str, str | None]]:
    return [(p.kind.value, p.target_id) for p in plans if p.recommended and p.possible]


# --------------------------------------------------------------------------- classification


# --------------------------------------------------------------------------- plans

#: (kind, target) of the recommended, possible plans, in order, for the catalog's bucket.
EXPECTED_PLANS: dict[str, list[tuple[str, str | None]]] = {
    "duplicate-checkout": [
        ("cancel_subscription", "sub_dupcheckoutB"),
        ("refund", "ch_dupcheckoutB001"),
        ("no_op", "cus_dupcheckout1"),
    ],
    "duplicate-already-refunded": [
        ("cancel_subscription", "sub_duprefundedB"),
        ("no_op", "cus_duprefunded1"),
    ],
    "duplicate-customers": [
        ("cancel_subscription", "sub_dupcustB"),
        ("refund", "ch_dupcustB001"),
        ("no_op", "cus_dupcustB"),
    ],
    "jpy-customer": [
        ("cancel_subscription", "sub_jpyB"),
        ("refund", "ch_jpyB001"),
        ("no_op", "cus_jpy1"),
    ],
    "disputed-charge": [("no_op", "cus_disputed1"), ("no_op", "cus_disputed1")],
    "annual-upgrade-proration": [
        ("portal_session", "cus_upgrade1"),
        ("no_op", "cus_upgrade1"),
        ("no_op", "cus_upgrade1"),
    ],
    "cannot-cancel": [
        ("portal_session", "cus_cannotcancel1"),
        ("cancel_subscription", "sub_cannotcancel1"),
        ("no_op", "cus_cannotcancel1"),
    ],
    "failed-renewal": [("portal_session", "cus_failedrenewal1"), ("no_op", "cus_failedrenewal1")],
    "incomplete-checkout": [("portal_session", "cus_incomplete1"), ("no_op", "cus_incomplete1")],
    "trial-without-card": [("portal_session", "cus_trial1"), ("no_op", "cus_trial1")],
    "team-purchase": [("no_op", "cus_teampurchase1")],
    "seat-reduction": [("no_op", "cus_seatreduce1")],
    "product-outage": [("refund", "ch_outage1008"), ("no_op", "cus_outage1")],
    "zh-locale": [("refund", "ch_zh1003"), ("no_op", "cus_zh1")],
}


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - OWN_KEYS - SLOW))
async def test_suggested_bucket_and_recommended_plans(load: Loader, name: str) -> None:
    loaded = await load(name)
    expected_bucket = SCENARIOS[name].bucket
    assert loaded.suggestion.suggested == (Bucket(expected_bucket) if expected_bucket else None)
    assert set(SCENARIOS[name].anomalies) <= set(loaded.view.anomaly_codes)
    if expected_bucket is None:
        plans = loaded.session.plans(loaded.view, loaded.suggestion)
        assert [k for k, _ in recommended(plans)] == ["no_op"]
        assert not any(p.moves_money for p in plans)
        return
    decided = loaded.decided()
    plans = loaded.session.plans(loaded.view, decided)
    got = recommended(plans)
    expected = EXPECTED_PLANS[name]
    assert [k for k, _ in got] == [k for k, _ in expected]
    assert [t for (_, t), (_, e) in zip(got, expected, strict=True) if e is not None] == [
        e for _, e in expected if e is not None
    ]
    steps = [p.step for p in plans]
    assert steps == sorted(steps), "restore self-serve → fix → refund → document"
    bucket = decided.bucket
    if bucket in (Bucket.TEAM_INTENT, Bucket.FAILED_PAYMENT, Bucket.MISSING_SELF_SERVE):
        assert ActionKind.REFUND not in {p.kind for p in plans}, f"{bucket} never refunds"
    # before the operator confirms, every money move is shown but blocked
    unconfirmed = loaded.session.plans(loaded.view, loaded.suggestion)
    assert all(p.blocked_reason for p in unconfirmed if p.moves_money)


async def test_large_account_duplicate_refunds_only_the_new_subscription(load: Loader) -> None:
    loaded = await load("large-account")  # 40 subscriptions, 600 invoices: loaded once
    assert loaded.suggestion.suggested == Bucket.DUPLICATE_PERSONAL
    plans = loaded.session.plans(loaded.view, loaded.decided())
    assert [k for k, _ in recommended(plans)] == ["cancel_subscription", "refund", "no_op"]
    assert recommended(plans)[0] == ("cancel_subscription", "sub_largeacct40")
    # 12 live subscriptions share the price, but only the pair created 70 s apart duplicates
    assert {p.target_id for p in plans if p.kind == "cancel_subscription"} == {"sub_largeacct40"}
    refunds = [p for p in plans if p.kind == ActionKind.REFUND]
    assert len(refunds) == 1
    charge = loaded.view.snapshot.charge(refunds[0].target_id or "")
    assert charge is not None
    invoices = loaded.view.snapshot.invoices_of("sub_largeacct40")
    assert any(charge in loaded.view.snapshot.charges_of_invoice(i) for i in invoices)


async def test_guards_on_the_catalog(load: Loader) -> None:
    refunded = await load("duplicate-already-refunded")
    refund = next(
        p for p in refunded.session.plans(refunded.view, refunded.decided()) if p.kind == "refund"
    )
    assert refund.blocked_reason == (
        "charge ch_duprefundedB001 is already fully refunded ($19.00 by re_duprefunded1)"
    )
    disputed = await load("disputed-charge")
    plans = disputed.session.plans(disputed.view, disputed.decided())
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    assert refund.blocked_reason is not None
    assert refund.blocked_reason.startswith("charge ch_disputed1003 is disputed (dp_disputed1")
    assert refund.blocked_reason.endswith(
        "respond to the dispute instead; a refund now would pay twice"
    )
    assert any("Respond to dispute dp_disputed1" in p.title for p in plans)
    upgrade = await load("annual-upgrade-proration")
    plans = upgrade.session.plans(upgrade.view, upgrade.decided())
    assert ActionKind.REFUND not in {p.kind for p in plans}
    assert any(p.title.startswith("Explain the proration on in_upgradefinal") for p in plans)
    incomplete = await load("incomplete-checkout")
    retry = next(
        p
        for p in incomplete.session.plans(incomplete.view, incomplete.decided())
        if p.kind == ActionKind.RETRY_INVOICE_PAYMENT
    )
    assert retry.blocked_reason is not None
    assert "a duplicate" in retry.blocked_reason


# --------------------------------------------------------------------------- execution

#: Scenarios whose recommended plans are executed, and what each outcome must be.
EXECUTED = sorted(set(EXPECTED_PLANS) - SLOW)


@pytest.mark.parametrize("name", EXECUTED)
async def test_executing_the_recommended_plans(load: Loader, name: str) -> None:
    loaded = await load(name)
    session, case_id = loaded.session, loaded.case_id
    decided = loaded.decided()
    await session.record_classification(case_id, decided)
    plans = [p for p in session.plans(loaded.view, decided) if p.recommended and p.possible]
    outcomes = [await session.execute(case_id, loaded.view, p) for p in plans]
    assert [o.status for o in outcomes] == ["succeeded"] * len(plans), [o.message for o in outcomes]
    after = await session.refresh(loaded.view)
    # every diff row's "after" is what Stripe now reports
    for plan in plans:
        for row in plan.diff:
            if not row.estimate:
                assert observe(after.snapshot, row.object_id, row.field) == row.after, row.text()
    sandbox = session.connection.sandbox
    assert sandbox is not None
    for outcome in outcomes:
        if outcome.plan.kind == ActionKind.REFUND:
            refund = sandbox.state.get("refund", outcome.stripe_ids[0])
            charge = outcome.plan.target_id
            assert refund["metadata"] == {
                "case_id": case_id,
                "operator": "demo-operator",
                "action": "refund",
                "action_id": outcome.action_id,
                "btui_intent": f"refund/{charge}/1",
                "btui_key": outcome.idempotency_key,
            }
            assert refund["amount"] == outcome.plan.amount.amount  # type: ignore[union-attr]
        if outcome.plan.kind == ActionKind.PORTAL_SESSION:
            assert outcome.url
            assert outcome.url.startswith("https://")
    # the case log holds the classification, every action with its key and ids
    record = await session.case(case_id)
    assert record.bucket == SCENARIOS[name].bucket
    assert record.classification is not None
    assert record.classification["confirmed"] is True
    assert [a.kind for a in record.actions] == [p.kind.value for p in plans]
    assert all(a.status == "succeeded" for a in record.actions)
    for action, outcome in zip(record.actions, outcomes, strict=True):
        assert action.idempotency_key == outcome.idempotency_key
        assert list(action.result.get("stripe_ids") or []) == list(outcome.stripe_ids)
    # the handoff: six sections, saved follow-up and product gaps
    handoff = await session.handoff(case_id, after)
    assert [title for title, _ in handoff.sections] == list(SECTION_TITLES)
    record = await session.case(case_id)
    assert record.follow_up == handoff.follow_up
    assert list(record.product_gaps) == [g.title for g in handoff.product_gaps]
    text = handoff.text()
    assert "@" not in text.replace("***@", ""), "emails are masked"
    assert "[" not in handoff.follow_up, f"unfilled placeholder in: {handoff.follow_up}"
    for outcome in outcomes:
        for stripe_id in outcome.stripe_ids:
            assert stripe_id in handoff.section("ACTION TAKEN")


async def test_follow_up_language_and_amounts_follow_the_customer(load: Loader) -> None:
    zh = await load("zh-locale")
    decided = zh.decided()
    plans = [p for p in zh.session.plans(zh.view, decided) if p.recommended and p.possible]
    for plan in plans:
        await zh.session.execute(zh.case_id, zh.view, plan)
    handoff = await zh.session.handoff(zh.case_id, await zh.session.refresh(zh.view))
    assert handoff.locale == "zh"
    assert "¥138.00" in handoff.follow_up
    assert "5–10 个工作日" in handoff.follow_up
    assert (await zh.session.handoff(zh.case_id, zh.view, locale="en")).follow_up.startswith("Hi ")
    jpy = await load("jpy-customer")
    refund = next(p for p in jpy.session.plans(jpy.view, jpy.decided()) if p.kind == "refund")
    assert refund.amount == Money(2800, "jpy")
    assert refund.title.startswith("Refund ¥2,800 of ch_jpyB001")


async def test_the_same_plan_twice_refunds_once(load: Loader) -> None:
    loaded = await load("duplicate-checkout")
    plans = loaded.session.plans(loaded.view, loaded.decided())
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    first = await loaded.session.execute(loaded.case_id, loaded.view, refund)
    second = await loaded.session.execute(loaded.case_id, loaded.view, refund)
    assert first.status == second.status == "succeeded"
    assert second.replayed
    assert second.stripe_ids == first.stripe_ids
    assert second.idempotency_key == first.idempotency_key
    sandbox = loaded.session.connection.sandbox
    assert sandbox is not None
    refunds = [r for r in sandbox.state.all("refund") if r["charge"] == "ch_dupcheckoutB001"]
    assert len(refunds) == 1
    assert len((await loaded.session.case(loaded.case_id)).actions) == 1
    # re-planned on fresh state, the refund shows as done by the case's action, not runnable
    fresh = await loaded.session.refresh(loaded.view)
    again = next(p for p in loaded.session.plans(fresh, loaded.decided()) if p.kind == "refund")
    assert again.superseded_by == first.action_id
    assert again.blocked_reason == f"done: {refund.title} ({first.action_id})"


async def test_blocked_and_unconfirmed_plans_never_reach_stripe(load: Loader) -> None:
    loaded = await load("duplicate-checkout")
    plans = loaded.session.plans(loaded.view, loaded.suggestion)  # not confirmed
    refund = next(p for p in plans if p.kind == ActionKind.REFUND)
    outcome = await loaded.session.execute(loaded.case_id, loaded.view, refund)
    assert outcome.status == "skipped"
    assert outcome.message == "not done: classify the case first (the wizard: c)"
    assert (await loaded.session.case(loaded.case_id)).actions == ()
    sandbox = loaded.session.connection.sandbox
    assert sandbox is not None
    assert not [r for r in sandbox.state.all("refund") if r["charge"] == "ch_dupcheckoutB001"]


async def test_a_failed_retry_is_recorded_with_stripes_reason(load: Loader) -> None:
    loaded = await load("failed-renewal")
    retry = next(
        p
        for p in loaded.session.plans(loaded.view, loaded.decided())
        if p.kind == ActionKind.RETRY_INVOICE_PAYMENT
    )
    assert not retry.recommended  # the card on file expired: after the card update
    # the retry depends on the card update: not ready, and running it sends nothing
    assert retry.blocked_reason is not None
    assert retry.blocked_reason.startswith("waits for the card update")
    skipped = await loaded.session.execute(loaded.case_id, loaded.view, retry)
    assert skipped.status == "skipped"
    assert (await loaded.session.case(loaded.case_id)).actions == ()
    # an operator's retry with the expired card anyway (e.g. from another tool's plan) is
    # declined by Stripe and recorded with Stripe's reason
    retry = replace(retry, blocked_reason=None)
    outcome = await loaded.session.execute(loaded.case_id, loaded.view, retry)
    assert outcome.status == "failed"
    assert "expired" in outcome.message
    (action,) = (await loaded.session.case(loaded.case_id)).actions
    assert action.status == "failed"
    assert "expired" in action.result["error"]
    # running it again later is a new attempt (a new key), not a replay of the decline
    again = await loaded.session.execute(loaded.case_id, loaded.view, retry)
    assert again.idempotency_key == f"{outcome.idempotency_key}-retry1"


async def test_a_cancel_at_period_end_is_reversible_in_stripe(load: Loader) -> None:
    loaded = await load("cannot-cancel")
    cancel = next(
        p
        for p in loaded.session.plans(loaded.view, loaded.decided())
        if p.kind == "cancel_subscription"
    )
    outcome = await loaded.session.execute(loaded.case_id, loaded.view, cancel)
    assert outcome.status == "succeeded"
    after = await loaded.session.refresh(loaded.view)
    sub = after.snapshot.subscription("sub_cannotcancel1")
    assert sub is not None
    assert sub.status.value == "active"
    assert sub.cancel_at_period_end
    assert "can be undone until 2027-07-24" in cancel.reversal
    assert sub.metadata.get("case_id") == loaded.case_id
