"""What goes over the sandbox's in-process transport, recorded: every request the SDK sends and
the exact bytes it gets back, while the project's own flows run over the demo population."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_tui.core.classify import Answers
from billing_tui.core.errors import GatewayError
from billing_tui.core.settings import DEFAULT_SETTINGS
from billing_tui.desk.connection import ConnectionOptions, connect
from billing_tui.desk.session import Session
from billing_tui.gateway.probe import probe_key
from billing_tui.sandbox import DEFAULT_TEST_NOW, Sandbox
from billing_tui.sandbox.catalog import list_scenarios
from billing_tui.sandbox.transport import InProcessHTTPClient
from billing_tui.store.caselog import CaseLog
from tests.contracts.wire_direct import send_direct_requests
from tests.contracts.wire_schema import Request

#: Generated customers planted beside the catalog scenarios.
POPULATION = 300


@dataclass(frozen=True)
class Exchange:
    """One request and the response the SDK parsed, as they crossed the transport."""

    request: Request
    status: int
    body: Any


class Recorder:
    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    @contextmanager
    def recording(self) -> Iterator[Recorder]:
        """Every :class:`InProcessHTTPClient` records while the block runs."""
        original = InProcessHTTPClient._call
        recorder = self

        def _call(
            client: InProcessHTTPClient,
            method: str,
            url: str,
            headers: Mapping[str, str] | None,
            post_data: Any,
        ) -> tuple[bytes, int, Mapping[str, str]]:
            raw, status, response_headers = original(client, method, url, headers, post_data)
            body = post_data.decode() if isinstance(post_data, bytes) else post_data
            recorder.exchanges.append(
                Exchange(Request(method.upper(), url, body), status, json.loads(raw))
            )
            return raw, status, response_headers

        InProcessHTTPClient._call = _call  # type: ignore[method-assign]
        try:
            yield self
        finally:
            InProcessHTTPClient._call = original  # type: ignore[method-assign]


def demo_session(data_dir: Path) -> tuple[Session, Sandbox]:
    options = ConnectionOptions(
        demo=True, scenarios=("all",), population=POPULATION, now=DEFAULT_TEST_NOW
    )
    connection = connect(options, DEFAULT_SETTINGS)
    assert connection.sandbox is not None
    session = Session(connection, CaseLog(data_dir), operator="contract-test")
    return session, connection.sandbox


async def run_flows(session: Session, sandbox: Sandbox) -> None:
    """The workstation's flows over every catalog ticket and some generated customers: look
    up, load, classify, plan and execute what is allowed, the handoff; then the account
    sweep, the key probe (``billing-tui auth``) and the portal review and fix."""
    tickets = [info.identifier for info in list_scenarios() if info.identifier]
    generated = [c["id"] for c in sandbox.state.all("customer")][-8:]
    for text in [*tickets, *generated, *_one_id_of_each_kind(sandbox)]:
        await _ticket(session, text)
    await session.plans_report()
    probe = await probe_key(session.connection.client)
    assert probe.account_id == sandbox.state.account["id"]
    for finding in await session.portal_findings():
        if finding.fix is not None:
            fix = finding.fix
            await session.update_portal_configuration(
                fix.configuration_id, fix.params, idempotency_key=f"contract-{finding.check}"
            )


def _one_id_of_each_kind(sandbox: Sandbox) -> list[str]:
    """A ticket quoting a subscription, invoice, charge, payment intent, refund or dispute id:
    the gateway finds the customer through an expansion."""
    kinds = ("subscription", "invoice", "charge", "payment_intent", "refund", "dispute")
    return [obj["id"] for kind in kinds for obj in list(sandbox.state.all(kind))[:1]]


async def _ticket(session: Session, text: str) -> None:
    try:
        resolution = await session.lookup(text)
    except GatewayError:  # an error answer is recorded like any other
        return
    if not resolution.customer_ids:
        return
    view = await session.load(resolution.customer_ids)
    case = await session.open_case(text, view)
    suggested = session.suggest(view, Answers())
    if suggested.suggested is None:
        return
    classification = suggested.confirm().confirm_contract()
    await session.record_classification(case.id, classification)
    for plan in session.plans(view, classification):
        if plan.blocked_reason is None:
            await session.execute(case.id, view, plan)
    await session.handoff(case.id, view)


@dataclass(frozen=True)
class WireRecord:
    flows: tuple[Exchange, ...]
    """What the gateway and the executor sent, and what they got back."""
    direct: tuple[Exchange, ...]
    """The tests' own requests (some deliberately wrong, for the error bodies)."""
    sandbox: Sandbox
    """The sandbox that answered (its state after the flows)."""

    @property
    def all(self) -> tuple[Exchange, ...]:
        return self.flows + self.direct


def record_wire(data_dir: Path) -> WireRecord:
    session, sandbox = demo_session(data_dir)
    flows, direct = Recorder(), Recorder()
    with flows.recording():
        asyncio.run(run_flows(session, sandbox))
    with direct.recording():
        send_direct_requests(sandbox)
    return WireRecord(tuple(flows.exchanges), tuple(direct.exchanges), sandbox)
