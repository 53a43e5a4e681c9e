"""A restricted key without write permissions: the first refund is refused naming the
permission, and from then on the action pane shows refunds greyed out with that reason."""

from __future__ import annotations

from pathlib import Path

from billing_tui.core.classify import Answers, Bucket
from billing_tui.core.plans import ActionKind
from billing_tui.desk.connection import Connection, ConnectionInfo
from billing_tui.desk.session import Session
from billing_tui.gateway import build_client
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.store.caselog import CaseLog

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
