"""One operator session: the gateway, the case log and the domain, behind one small API.

The TUI (in workers) and the command line (``triage``, ``cases``) call only this. Every step is
written to the case log: the queries, the customers (ids and masked email), the anomaly codes,
the classification and its contract check, each action (write-ahead), the follow-up, the
product gaps and the case status.

Every method that touches the case log, the templates on disk or Stripe is ``async``: the
blocking part runs in a thread here, so callers (Textual workers, ``asyncio.run`` in the CLI)
never decide what blocks. The failures and progress the screens see are core values
(:mod:`billing_tui.core.errors`, :mod:`billing_tui.core.progress`); the records and resolutions
(``CaseRecord``, ``ActionRecord``, ``Resolution``) are re-exported from here, so the screens
import nothing of the gateway or the store. The emulator is never imported here:
``demo_tickets`` asks the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from billing_tui.core import anomalies as an
from billing_tui.core import classify as cl
from billing_tui.core import handoff as ho
from billing_tui.core import plans as act
from billing_tui.core.anomalies import Anomaly
from billing_tui.core.classify import (
    Answers,
    Classification,
    Question,
)
from billing_tui.core.model import CustomerSnapshot, PortalConfiguration
from billing_tui.core.plans.ledger import EMPTY_LEDGER, CaseLedger, Observation
from billing_tui.core.plans.replan import plan_no_refund
from billing_tui.core.portal_policy import PortalFinding, check_portal
from billing_tui.core.progress import SweepProgress
from billing_tui.core.results import Resolution
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.core.text import mask_email, normalise_email
from billing_tui.core.ticket import read_ticket
from billing_tui.desk.account import PlansReport, account_report
from billing_tui.desk.connection import Connection, ConnectionInfo
from billing_tui.desk.execute import execute, reconcile, skipped
from billing_tui.desk.intents import case_priors, look_in_stripe
from billing_tui.desk.records import (
    JSONObject,
    classification_from_record,
    contract_json,
    decision_json,
    ledger_of,
    observation_json,
    taken_from_record,
)
from billing_tui.gateway import Gateway, Lookup, MutationResult
from billing_tui.store.caselog import ActionRecord as ActionRecord
from billing_tui.store.caselog import CaseLog, Claim, CustomerBusy, CustomerLocks
from billing_tui.store.caselog import CaseRecord as CaseRecord

#: Where demo portal sessions return to (the sandbox's configurations may have no default).
DEMO_RETURN_URL = "https://example.com/account"


@dataclass(frozen=True)
class CaseView:
    """What the operator is looking at: one snapshot and the anomalies found in it."""

    snapshot: CustomerSnapshot
    anomalies: tuple[Anomaly, ...]

    @property
    def customer_ids(self) -> tuple[str, ...]:
        return self.snapshot.customer_ids

    @property
    def anomaly_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.code for a in self.anomalies))

    @property
    def masked_email(self) -> str:
        return mask_email(self.snapshot.primary.email) if self.snapshot.customers else "—"


# --------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class DemoTicket:
    """A sandbox scenario as the operator meets it: what to type, and what the customer wrote."""

    identifier: str
    title: str
    ticket: str


class Session:
    """One operator at work: the TUI and the CLI call only this.

    I/O methods are ``async`` (run them in Textual workers); the rest are quick and local.
    """

    def __init__(
        self,
        connection: Connection,
        caselog: CaseLog,
        *,
        operator: str,
        settings: Settings = DEFAULT_SETTINGS,
    ) -> None:
        if settings.portal_return_url is None and connection.info.mode == "demo":
            settings = replace(settings, portal_return_url=DEMO_RETURN_URL)
        self.connection = connection
        self.caselog = caselog
        self.operator = operator
        self.settings = settings
        self.gateway = Gateway(connection.client, settings=settings)
        self._outcomes: dict[str, list[act.ActionOutcome]] = {}
        self._classifications: dict[str, Classification] = {}
        self._lacking: set[str] = set()
        #: The follow-up this session generated last, per case (replaced when regenerated).
        self._generated_follow_up: dict[str, str] = {}
        #: The case ledger per case, read after every change; the open case per customer set.
        self._ledgers: dict[str, CaseLedger] = {}
        self._case_of: dict[tuple[str, ...], str] = {}
        #: One operator at a time per customer (leases next to the case log).
        self.locks = CustomerLocks(caselog.directory, operator=operator)

    def __repr__(self) -> str:
        return f"Session(operator={self.operator!r}, info={self.info!r})"

    # --- connection

    @property
    def info(self) -> ConnectionInfo:
        return self.connection.info

    @property
    def live(self) -> bool:
        return self.info.live

    def now(self) -> datetime:
        """The sandbox clock in the demo, else the real time (the connection's clock)."""
        return self.connection.now()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.locks.close)
        await self.connection.aclose()

    # --- identify, inspect

    async def lookup(self, text: str) -> Resolution:
        """Who the identifier points at (raises the gateway's errors, e.g. ``NotFound``)."""
        resolution: Resolution = await self.gateway.resolve(text)
        return resolution

    async def load(self, customer_ids: Sequence[str]) -> CaseView:
        """Everything about these customers, and the anomalies in it."""
        snapshot: CustomerSnapshot = await self.gateway.snapshot(tuple(customer_ids))
        found = an.detect(snapshot, self.settings, now=self.now())
        return CaseView(snapshot, tuple(found))

    async def refresh(self, view: CaseView) -> CaseView:
        """The same customers, read again (after an action)."""
        return await self.load(view.customer_ids)

    # --- the case

    async def open_case(self, query: str, view: CaseView) -> CaseRecord:
        """The open case for these customers (reused, with this query added), or a new one."""
        return await asyncio.to_thread(self._open_case, query, view)

    def _observation(self, view: CaseView, ledger: CaseLedger) -> JSONObject:
        """``CaseRecord.observed`` for ``view``, with the refunds the case owes on it."""
        owed = act.owed_charges(view.snapshot, ledger)
        return observation_json(Observation.of(view.snapshot, view.anomaly_codes, owed))

    def _open_case(self, query: str, view: CaseView) -> CaseRecord:
        record = self._find_or_open_case(query, view)
        observed = self._observation(view, self._ledger_of(record))
        record = self.caselog.update(record.id, observed=observed)
        self._case_of[view.customer_ids] = record.id
        self._ledgers[record.id] = self._ledger_of(record)
        return record

    def _find_or_open_case(self, query: str, view: CaseView) -> CaseRecord:
        existing: CaseRecord | None = self.caselog.find_open(view.customer_ids)
        if existing is not None:
            queries = list(existing.queries)
            if query and query not in queries:
                queries.append(query)
            record: CaseRecord = self.caselog.update(
                existing.id,
                queries=queries,
                anomaly_codes=view.anomaly_codes,
                masked_email=view.masked_email,
            )
            return record
        created: CaseRecord = self.caselog.open_case(
            operator=self.operator,
            query=query,
            customer_ids=view.customer_ids,
            masked_email=view.masked_email,
            livemode=self.live,
            anomaly_codes=view.anomaly_codes,
        )
        return created

    async def case(self, case_id: str) -> CaseRecord:
        record: CaseRecord = await asyncio.to_thread(self.caselog.get, case_id)
        return record

    async def ledger(self, case_id: str) -> CaseLedger:
        """The case as one typed object (observed, decided, asked for, what came of it), read
        from the case log now; :meth:`plans` uses the last one read."""
        record = await self.case(case_id)
        self._ledgers[case_id] = self._ledger_of(record)
        return self._ledgers[case_id]

    def _ledger_of(self, record: CaseRecord) -> CaseLedger:
        found = ledger_of(record)
        decided = self._classifications.get(record.id)
        return found if decided is None else replace(found, decided=decided)

    def ledger_for(self, view: CaseView) -> CaseLedger:
        """The last ledger read of the open case for these customers (empty: no case yet)."""
        case_id = self._case_of.get(view.customer_ids)
        return self._ledgers.get(case_id, EMPTY_LEDGER) if case_id else EMPTY_LEDGER

    async def observe(self, case_id: str, view: CaseView) -> None:
        """Record what ``view`` observed (when, whom, anomalies, parts that failed to load)."""
        observed = self._observation(view, self._ledgers.get(case_id, EMPTY_LEDGER))
        record = await asyncio.to_thread(self.caselog.update, case_id, observed=observed)
        self._case_of[view.customer_ids] = case_id
        self._ledgers[case_id] = self._ledger_of(record)

    async def cases(self, status: str | None = None, bucket: str | None = None) -> list[CaseRecord]:
        found: list[CaseRecord] = await asyncio.to_thread(
            self.caselog.list, status=status, bucket=bucket
        )
        return found

    async def in_flight_actions(self) -> tuple[tuple[CaseRecord, ActionRecord], ...]:
        """Actions sent but never settled (the workstation exited mid-call), oldest first."""
        found = await asyncio.to_thread(self.caselog.in_flight)
        return tuple(found)

    async def resolve_case(self, case_id: str, reason: str | None = None) -> CaseRecord:
        """Mark the case resolved; ``reason`` (why it is resolved with something still open,
        see :meth:`resolve_blockers`) is kept with it and shown in the handoff."""
        why = reason.strip() if reason else ""
        if why:
            record: CaseRecord = await asyncio.to_thread(
                self.caselog.update, case_id, status="resolved", resolve_reason=why
            )
        else:
            record = await asyncio.to_thread(self.caselog.update, case_id, status="resolved")
        return record

    async def resolve_blockers(self, case_id: str, view: CaseView) -> tuple[str, ...]:
        """What is still open on the case — CRITICAL anomalies of the view, refunds it owes,
        failed actions — one sentence each: resolving with any of them asks for a reason."""
        record = await self.case(case_id)
        taken = [taken_from_record(action) for action in record.actions]
        classification = self._classification_of(case_id, record)
        truth = ho.case_truth(view.snapshot, taken, classification, settings=self.settings)
        critical = tuple(f"CRITICAL {a.code}: {a.detail}" for a in truth.critical)
        failed = tuple(f"{a.kind.label} failed: {a.title}" for a in truth.failed)
        return critical + truth.unrefunded + failed

    # --- classify

    def questions(self, view: CaseView) -> tuple[Question, ...]:
        found: tuple[Question, ...] = cl.questions(view.snapshot, view.anomalies)
        return found

    def suggest(
        self, view: CaseView, answers: Answers | None = None, *, ticket: str = ""
    ) -> Classification:
        """The suggested bucket with evidence (raises ``ValueError`` for a bad answer); the
        ``ticket``'s words answer the questions ``answers`` leave open."""
        result: Classification = cl.suggest(
            view.snapshot,
            view.anomalies,
            answers or Answers(),
            self.now(),
            settings=self.settings,
            pre_answers=read_ticket(ticket).pre_answers if ticket.strip() else (),
        )
        return result

    async def record_classification(self, case_id: str, classification: Classification) -> None:
        """Write the classification (and its contract check) to the case."""
        self._classifications[case_id] = classification
        await asyncio.to_thread(
            self.caselog.update,
            case_id,
            classification=decision_json(classification),
            contract=contract_json(classification),
        )

    async def classification(self, case_id: str) -> Classification | None:
        """This session's classification of the case, else the recorded one."""
        if case_id in self._classifications:
            return self._classifications[case_id]
        return self._classification_of(case_id, await self.case(case_id))

    def _classification_of(self, case_id: str, record: CaseRecord) -> Classification | None:
        """:meth:`classification` for a case already read (no second read of its file)."""
        if case_id in self._classifications:
            return self._classifications[case_id]
        return classification_from_record(record)

    # --- act

    def plans(
        self,
        view: CaseView,
        classification: Classification,
        *,
        ledger: CaseLedger | None = None,
    ) -> tuple[act.Plan, ...]:
        """The recommended plans in the safe order; blocked ones carry the reason.

        The plans follow the case: ``ledger`` (default: the last one read of the open case for
        these customers, kept fresh by :meth:`open_case` and :meth:`execute`) marks what the
        case already did and keeps what it still owes. Plans needing a permission this key is
        known to lack (Stripe answered 403 naming it earlier in the session) are greyed out
        with that reason instead of failing again.
        """
        plans = act.recommend(
            classification,
            view.snapshot,
            live=self.live,
            now=self.now(),
            return_url=self.settings.portal_return_url,
            settings=self.settings,
            ledger=self.ledger_for(view) if ledger is None else ledger,
        )
        return tuple(self._permission_guard(p) for p in plans)

    @property
    def lacking_permissions(self) -> frozenset[str]:
        """``rak_…`` permissions Stripe said this key lacks (learned from 403 answers)."""
        return frozenset(self._lacking)

    def _permission_guard(self, plan: act.Plan) -> act.Plan:
        needed = plan.kind.permission
        if plan.blocked_reason is not None or needed is None or needed not in self._lacking:
            return plan
        return replace(
            plan,
            blocked_reason=f"this key lacks {needed} — ask an admin for a key with it, "
            "or use the Dashboard",
        )

    def refund_amount(
        self, view: CaseView, classification: Classification, plan: act.Plan, amount: str
    ) -> act.Plan:
        """The refund ``plan`` for a partial ``amount`` typed by the operator (``"9.50"``);
        raises ``ValueError`` with a sentence for a malformed amount. Guards re-applied."""
        if plan.amount is None:
            raise ValueError("only a refund plan has an amount to change")
        money = act.parse_money(amount, plan.amount.currency)
        return act.with_refund_amount(
            plan, view.snapshot, money, classification=classification, live=self.live
        )

    async def execute(
        self,
        case_id: str,
        view: CaseView,
        plan: act.Plan,
        confirmation: str | None = None,
    ) -> act.ActionOutcome:
        """Run one plan (write-ahead, idempotent). LIVE money moves need ``confirmation`` to
        equal ``plan.confirm_phrase``; otherwise nothing is sent and the outcome is skipped.
        A money move needs the case's customers to be this session's (:meth:`claim`): held
        by another operator, or taken over since, it is skipped naming who holds them."""
        notes: tuple[str, ...] = ()
        if plan.moves_money and plan.possible:
            try:
                notes = await asyncio.to_thread(self._hold, view.customer_ids)
            except CustomerBusy as exc:
                outcome = skipped(plan, str(exc))
                self._outcomes.setdefault(case_id, []).append(outcome)
                return outcome
        outcome = await execute(
            plan,
            self.gateway,
            self.caselog,
            case_id,
            operator=self.operator,
            confirmation=confirmation,
            live=self.live,
        )
        if notes:  # a stale lock reclaimed: the operator is told with the outcome
            outcome = replace(outcome, message=" ".join((*notes, outcome.message)))
        self._outcomes.setdefault(case_id, []).append(outcome)
        failure = outcome.failure
        if failure is not None and failure.permission:
            self._lacking.add(failure.permission)
        self._case_of.setdefault(view.customer_ids, case_id)
        await self.ledger(case_id)
        return outcome

    async def record_no_refund(
        self, case_id: str, view: CaseView, charge_id: str, reason: str
    ) -> act.ActionOutcome:
        """Record "not refunding ``charge_id`` because ``reason``" (no Stripe call): from then
        on the refund the case owed shows as decided, and the handoff says why. Raises
        ``ValueError`` for an empty reason."""
        customer = view.snapshot.primary.id if view.snapshot.customers else None
        plan = plan_no_refund(charge_id, reason, customer_id=customer)
        return await self.execute(case_id, view, plan)

    async def replan(
        self, case_id: str, view: CaseView, classification: Classification
    ) -> tuple[CaseView, tuple[act.Plan, ...]]:
        """After an outcome: Stripe read again, the observation recorded, the ledger read, and
        the plans made from both (raises the gateway's errors when the reload fails)."""
        fresh = await self.refresh(view)
        await self.observe(case_id, fresh)
        return fresh, self.plans(fresh, classification, ledger=self._ledgers[case_id])

    def outcomes(self, case_id: str) -> tuple[act.ActionOutcome, ...]:
        return tuple(self._outcomes.get(case_id, ()))

    async def reconcile(self) -> list[str]:
        """Settle actions a crash left in flight; one message per action. A case whose
        customers another operator holds is left to them."""

        claimed: set[str] = set()
        notes: list[str] = []

        async def may_settle(case: CaseRecord) -> str | None:
            fresh = [c for c in case.customer_ids if not self.locks.holds([c])]
            try:
                notes.extend(await asyncio.to_thread(self._hold, case.customer_ids))
            except CustomerBusy as exc:
                return str(exc)
            claimed.update(fresh)
            return None

        try:
            messages = await reconcile(self.gateway, self.caselog, may_settle=may_settle)
        finally:  # held only to settle: the operator may be about to work on someone else
            await asyncio.to_thread(self.locks.release, claimed)
        return [*notes, *messages]

    # --- one operator at a time per customer

    def _hold(self, customer_ids: Sequence[str]) -> tuple[str, ...]:
        """Hold the customers (claiming them if needed; returns the claim's notes); raises
        ``CustomerBusy``."""
        notes = () if self.locks.holds(customer_ids) else self.locks.claim(customer_ids).notes
        self.locks.check(customer_ids)
        return notes

    async def claim(self, customer_ids: Sequence[str], *, take_over: bool = False) -> Claim:
        """Hold these customers for this session (raises ``CustomerBusy`` naming who holds
        them and since when; ``take_over`` takes them deliberately). ``Claim.notes`` says
        what was reclaimed or taken over."""
        return await asyncio.to_thread(self.locks.claim, customer_ids, take_over=take_over)

    async def take_over(self, customer_ids: Sequence[str]) -> Claim:
        """Take the customers from whoever holds them (the operator decided to)."""
        return await self.claim(customer_ids, take_over=True)

    # --- intents

    def as_new_intent(self, plan: act.Plan) -> act.Plan:
        """``plan`` as a further request on its target (a second partial refund the operator
        really wants): sent as the next intent instead of replaying the last one."""
        return replace(plan, new_intent=True)

    async def prior_intents(self, case_id: str, plan: act.Plan) -> tuple[act.PriorIntent, ...]:
        """What this case and Stripe (refunds tagged with an intent) already did on the
        plan's target, oldest intent first (raises the gateway's errors)."""
        record = await self.case(case_id)
        target = plan.target_id or ""
        seen = await look_in_stripe(self.gateway, plan.kind, target, plan.param_map)
        ours = case_priors(record, plan.kind, target)
        known = {i for p in ours for i in p.stripe_ids}
        extra = tuple(p for p in seen.priors if not known & set(p.stripe_ids))
        return tuple(sorted((*ours, *extra), key=lambda p: p.ordinal))

    # --- demo

    def demo_tickets(self) -> tuple[DemoTicket, ...]:
        """The loaded sandbox scenarios as tickets to practise on (empty outside the demo)."""
        if self.info.mode != "demo":
            return ()
        scenarios = self.connection.scenarios()
        return tuple(
            DemoTicket(identifier=s.identifier, title=s.title, ticket=s.ticket)
            for s in sorted(scenarios, key=lambda s: (s.name != "duplicate-checkout", s.name))
        )

    def demo_ticket_for(self, view: CaseView) -> DemoTicket | None:
        """The practice ticket whose customer this is (None outside the demo, or when the
        scenario's identifier names none of the view's customers)."""
        emails = {e for c in view.snapshot.customers if (e := normalise_email(c.email))}
        ids = set(view.customer_ids)
        for ticket in self.demo_tickets():
            if ticket.identifier in ids or normalise_email(ticket.identifier) in emails:
                return ticket
        return None

    # --- account review

    async def plans_report(
        self,
        *,
        refresh: bool = False,
        max_age: timedelta = timedelta(minutes=30),
        rate: float | None = None,
        on_progress: Callable[[str, SweepProgress], None] | None = None,
    ) -> PlansReport:
        """The account-wide plans report: the cached sweep while it is younger than ``max_age``,
        else a new sweep (at ``rate`` requests a second, when given)."""
        return await account_report(
            self.gateway,
            self.info,
            self.now(),
            refresh=refresh,
            max_age=max_age,
            rate=rate,
            on_progress=on_progress,
            settings=self.settings,
        )

    # --- hand off

    async def check_handoff(self, case_id: str, view: CaseView, doc: ho.Handoff) -> tuple[str, ...]:
        """Why ``doc`` (as the operator edited it) may not be copied or resolved: each claim
        the case's facts contradict, one sentence each (empty: it states only what is true).
        The facts are the view's snapshot (read after the actions) and the case's actions."""
        record = await self.case(case_id)
        classification = self._classification_of(case_id, record)
        taken = [taken_from_record(action) for action in record.actions]
        truth = ho.case_truth(view.snapshot, taken, classification, settings=self.settings)
        templates = await asyncio.to_thread(ho.load_templates)
        return ho.check_handoff(doc, truth, templates)

    async def handoff(
        self,
        case_id: str,
        view: CaseView,
        *,
        locale: str | None = None,
        regenerate: bool = False,
    ) -> ho.Handoff:
        """The six-section handoff for the case; the follow-up and product gaps are saved.

        A follow-up already saved with the case (the operator's edit, or one written by an
        earlier session) is kept; the generated one replaces it only when it was generated by
        this session, or with ``regenerate`` / an explicit ``locale``.
        """
        record = await self.case(case_id)
        classification = self._classification_of(case_id, record)
        url_by_action = {o.action_id: o.url for o in self.outcomes(case_id) if o.url}
        taken: list[ho.TakenAction] = []
        for action in record.actions:
            item = taken_from_record(action)
            url = url_by_action.get(action.id)
            if url:
                item = replace(item, url=url)
            taken.append(item)
        saved = record.follow_up
        ours = saved == self._generated_follow_up.get(case_id)
        keep = bool(saved) and not ours and not regenerate and locale is None
        result = await asyncio.to_thread(  # the follow-up templates are read from disk
            ho.render,
            view.snapshot,
            view.anomalies,
            classification,
            taken,
            case_id=case_id,
            locale=locale,
            follow_up_text=saved if keep else None,
            resolve_reason=record.resolve_reason,
        )
        if not keep:
            self._generated_follow_up[case_id] = result.follow_up
        await asyncio.to_thread(
            self.caselog.update,
            case_id,
            follow_up=result.follow_up,
            product_gaps=[gap.title for gap in result.product_gaps],
        )
        return result

    async def save_follow_up(self, case_id: str, text: str) -> None:
        """The operator's edited follow-up (kept over the generated one from now on)."""
        self._generated_follow_up.pop(case_id, None)
        await asyncio.to_thread(self.caselog.update, case_id, follow_up=text)

    # --- used by the CLI commands (inspect, plans, portal)

    async def inspect(self, text: str) -> Lookup:
        """Resolve ``text`` and load what it points at, without opening a case (``inspect``):
        the snapshot is ``None`` when several unrelated customers match."""
        found: Lookup = await self.gateway.lookup(text)
        return found

    async def portal_findings(self) -> tuple[PortalFinding, ...]:
        """The billing-portal configurations checked against the policy (``portal check``);
        the configurations and the prices are independent reads, made in one round."""
        configs, prices = await asyncio.gather(
            self.gateway.portal_configurations(), self.gateway.active_prices()
        )
        return check_portal(configs, prices)

    async def update_portal_configuration(
        self, configuration_id: str, params: Sequence[tuple[str, str]], *, idempotency_key: str
    ) -> MutationResult[PortalConfiguration]:
        """Apply one portal fix (``portal fix CHECK --yes``)."""
        return await self.gateway.update_portal_configuration(
            configuration_id, params, idempotency_key=idempotency_key
        )
