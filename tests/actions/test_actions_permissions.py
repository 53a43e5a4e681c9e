"""A restricted key without write permissions: the first refund is refused naming the
permission, and from then on the action pane shows refunds greyed out with that reason."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.plans import ActionKind, Failure, FailureKind
from billing_tui.desk.connection import Connection, ConnectionInfo
from billing_tui.desk.session import Session
from billing_tui.gateway import PermissionDenied, build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.store.caselog import CaseLog
from tests.demo import demo_session

READ_ONLY_KEY = "rk_test_sandboxreadonly01"


async def test_a_403_greys_out_every_plan_needing_that_permission(tmp_path: Path) -> None:
    sandbox = Sandbox.demo(scenarios=("restricted-key",), now=DEFAULT_TEST_NOW)
    client = build_client(READ_ONLY_KEY, http_client=sandbox.http_client())
    info = ConnectionInfo(mode="test", key_hint="rk_test_…ly01", key_source="test")
    session = Session(Connection(client, info, sandbox), CaseLog(tmp_path), operator="op")
    try:
        resolution = await session.lookup("ilse.janssens@example.com")
        view = await session.load(resolution.customer_ids)
        case = await session.open_case("ilse", view)
        answers = Answers().with_answer("q_complaint", "product_broken")
        decided = session.suggest(view, answers).confirm(Bucket.PRODUCT_FAILURE, "outage")
        (refund,) = [p for p in session.plans(view, decided) if p.kind == ActionKind.REFUND]
        assert refund.possible

        outcome = await session.execute(case.id, view, refund)
        assert outcome.status == "failed"
        assert "rak_refund_write" in outcome.message
        assert outcome.failure == Failure(
            FailureKind.PERMISSION, outcome.message, permission="rak_refund_write"
        )
        assert not [r for r in sandbox.state.all("refund")]
        assert session.lacking_permissions == {"rak_refund_write"}

        (again,) = [p for p in session.plans(view, decided) if p.kind == ActionKind.REFUND]
        assert not again.possible
        assert again.blocked_reason is not None
        assert "this key lacks rak_refund_write" in again.blocked_reason
        others = [p for p in session.plans(view, decided) if p.kind == ActionKind.NO_OP]
        assert all(p.possible for p in others)
    finally:
        await session.aclose()


async def test_the_permission_is_learned_from_the_typed_failure_not_the_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 403 whose sentence names no permission still greys out the plans needing it: the
    session reads ``outcome.failure.permission``, never the message."""
    session = demo_session(tmp_path, scenarios=("duplicate-checkout",))

    async def forbidden(*_args: object, **_kwargs: object) -> NoReturn:
        raise PermissionDenied("rak_refund_write", "Stripe said no.")

    try:
        monkeypatch.setattr(session.gateway, "create_refund", forbidden)
        resolution = await session.lookup("dana.whitfield@example.com")
        view = await session.load(resolution.customer_ids)
        case = await session.open_case("dana", view)
        decided = session.suggest(view).confirm()
        refund = next(p for p in session.plans(view, decided) if p.kind == ActionKind.REFUND)
        outcome = await session.execute(case.id, view, refund)
        assert outcome.status == "failed"
        assert outcome.message == "Stripe said no."
        assert outcome.failure == Failure(
            FailureKind.PERMISSION, "Stripe said no.", permission="rak_refund_write"
        )
        assert session.lacking_permissions == {"rak_refund_write"}
        plans = session.plans(view, decided)
        refunds = [p for p in plans if p.kind == ActionKind.REFUND]
        assert refunds
        assert all(
            p.blocked_reason and "this key lacks rak_refund_write" in p.blocked_reason
            for p in refunds
        )
        assert any(p.possible for p in plans if p.kind == ActionKind.CANCEL_SUBSCRIPTION)
    finally:
        await session.aclose()
