"""What is true of a case when its handoff is written: the one source of every count, amount,
id and claim in the follow-up, and what :mod:`billing_tui.core.handoff.check` holds it to.

Built from the final snapshot (re-read after the actions) and the actions as the case log
reports them; the anomalies are detected afresh from that snapshot, so a CRITICAL finding the
case did not fix is still here. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing_tui.core import anomalies as an
from billing_tui.core.anomalies import Anomaly, Severity
from billing_tui.core.classify import Bucket, Classification
from billing_tui.core.handoff.document import TakenAction
from billing_tui.core.model import CustomerSnapshot, Invoice, Money, Subscription
from billing_tui.core.plans import ActionKind
from billing_tui.core.plans.impact import by_currency
from billing_tui.core.plans.ledger import NO_REFUND
from billing_tui.core.plans.recommend import paid_charges_of
from billing_tui.core.plans.replan import OwedRefund, owed_refunds_of_cancels
from billing_tui.core.queries import DuplicateGroup, cancellable, duplicate_groups
from billing_tui.core.settings import DEFAULT_SETTINGS, Settings

#: Account-wide findings: true of the account, not something the customer still has to do.
_ACCOUNT_CODES = frozenset(
    {
        an.PORTAL_MISSING,
        an.PORTAL_CANCEL_DISABLED,
        an.PORTAL_PAYMENT_UPDATE_DISABLED,
        an.PORTAL_INVOICE_HISTORY_DISABLED,
    }
)
_DUPLICATE_CODES = frozenset({an.DUPLICATE_SUBSCRIPTION, an.CROSS_CUSTOMER_DUPLICATE})


@dataclass(frozen=True)
class CaseTruth:
    """The facts a handoff may state (see the module)."""

    live: tuple[Subscription, ...]
    #: Duplicate groups whose extra members still renew (live and not set to cancel).
    open_duplicates: tuple[DuplicateGroup, ...]
    #: Every duplicate group the case had, live or since ended: (members, spread in seconds).
    duplicate_shapes: tuple[tuple[int, int], ...]
    #: Succeeded immediate cancels / period-end cancels (subscription ids).
    cancelled_now: tuple[str, ...]
    cancelled_at_period_end: tuple[str, ...]
    #: Each succeeded refund's amount, and their totals per currency.
    refunds: tuple[Money, ...]
    refund_totals: tuple[Money, ...]
    duplicate_refunds: int
    failed: tuple[TakenAction, ...]
    #: CRITICAL customer-level anomalies still open in the final snapshot.
    critical: tuple[Anomaly, ...]
    open_invoices: tuple[Invoice, ...]
    #: MRR of the live subscriptions, per currency (never summed across currencies).
    mrr: tuple[Money, ...]
    primary: Bucket | None = None
    secondary: tuple[Bucket, ...] = ()
    #: Refunds the case still owes: charges of duplicates it canceled, not refunded yet and
    #: not declined with a reason (the planner's rule, :mod:`~billing_tui.core.plans.replan`).
    owed_refunds: tuple[OwedRefund, ...] = ()
    #: The operator's recorded "not refunding because …": (charge id, reason).
    declined_refunds: tuple[tuple[str, str], ...] = ()

    @property
    def unrefunded(self) -> tuple[str, ...]:
        """The refunds the case still owes, one sentence each."""
        return tuple(
            f"the charge {debt.charge.id} of the canceled duplicate {debt.duplicate.id} "
            f"is not refunded ({debt.charge.refundable.format()} refundable)"
            for debt in self.owed_refunds
        )

    @property
    def owed(self) -> tuple[str, ...]:
        """What the case still owes, one sentence each (empty: nothing is owed)."""
        owed: list[str] = []
        for group in self.open_duplicates:
            extras = ", ".join(s.id for s in group.extras)
            owed.append(
                f"{extras} still duplicate{'s' if len(group.extras) == 1 else ''} "
                f"{group.original.id} and renew{'s' if len(group.extras) == 1 else ''}"
            )
        owed += self.unrefunded
        for inv in self.open_invoices:
            owed.append(f"{inv.id} is open with {inv.amount_remaining.format()} due")
        for action in self.failed:
            owed.append(f"{action.kind.label} failed: {action.title}")
        return tuple(owed)

    @property
    def open_issues(self) -> bool:
        """A CRITICAL anomaly or an owed action remains: the customer is not done."""
        return bool(self.critical or self.owed)

    def live_count(self, product_name: str | None = None) -> int:
        """Live subscriptions (to one product, by its name), counted."""
        if product_name is None:
            return len(self.live)
        wanted = product_name.casefold()
        return sum(
            1 for s in self.live if any(i.price.product_name.casefold() == wanted for i in s.items)
        )


def case_truth(
    snapshot: CustomerSnapshot,
    actions: Sequence[TakenAction],
    classification: Classification | None = None,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> CaseTruth:
    """The facts of the case from its final snapshot and its actions."""
    done = [a for a in actions if a.status == "succeeded"]
    open_groups = _open_duplicates(snapshot, settings)
    ever = duplicate_groups(snapshot, settings, include_ended=True)
    refunds = tuple(a.amount for a in done if a.kind == ActionKind.REFUND and a.amount is not None)
    declined = _declined(done)
    return CaseTruth(
        live=tuple(snapshot.live_subscriptions),
        open_duplicates=open_groups,
        duplicate_shapes=tuple((len(g.subscriptions), g.spread_seconds) for g in ever),
        cancelled_now=_cancelled(done, "immediately"),
        cancelled_at_period_end=_cancelled(done, "at_period_end"),
        refunds=refunds,
        refund_totals=by_currency(refunds),
        duplicate_refunds=sum(
            1 for a in done if a.kind == ActionKind.REFUND and a.params.get("reason") == "duplicate"
        ),
        failed=tuple(a for a in actions if a.status == "failed"),
        critical=_critical(snapshot, settings, bool(open_groups), {c for c, _ in declined}),
        open_invoices=_open_invoices(snapshot),
        mrr=by_currency(s.mrr for s in snapshot.live_subscriptions),
        primary=classification.working if classification is not None else None,
        secondary=classification.secondary if classification is not None else (),
        owed_refunds=_owed_refunds(snapshot, done, {c for c, _ in declined}),
        declined_refunds=declined,
    )


def _declined(done: Sequence[TakenAction]) -> tuple[tuple[str, str], ...]:
    """The recorded "not refunding because …" decisions: (charge id, reason)."""
    found = {
        charge: a.params.get("reason", "")
        for a in done
        if a.kind == ActionKind.NO_OP
        and a.params.get("decision") == NO_REFUND
        and (charge := a.params.get("charge"))
    }
    return tuple(found.items())


def _owed_refunds(
    snapshot: CustomerSnapshot, done: Sequence[TakenAction], declined: set[str]
) -> tuple[OwedRefund, ...]:
    cancels: dict[str, str | None] = {
        sub: None
        for a in done
        if a.kind == ActionKind.CANCEL_SUBSCRIPTION and (sub := a.params.get("subscription"))
    }
    paid = {s.id: paid_charges_of(snapshot, s) for s in snapshot.subscriptions}
    owed = owed_refunds_of_cancels(snapshot, cancels, paid)
    return tuple(o for o in owed if o.charge.id not in declined)


def _open_duplicates(snapshot: CustomerSnapshot, settings: Settings) -> tuple[DuplicateGroup, ...]:
    """Duplicate groups with an extra member that still renews (not set to cancel)."""
    groups = cancellable(duplicate_groups(snapshot, settings, across_customers=True), settings)
    return tuple(
        g for g in groups if any(not (s.cancel_at_period_end or s.cancel_at) for s in g.extras)
    )


def _critical(
    snapshot: CustomerSnapshot, settings: Settings, duplicates_open: bool, declined: set[str]
) -> tuple[Anomaly, ...]:
    """CRITICAL customer-level anomalies of the snapshot; a duplicate only while it renews; a
    double charge only while none of its charges has a recorded "not refunding because …"."""
    found = an.detect(snapshot, settings, snapshot.loaded_at)
    return tuple(
        a
        for a in found
        if a.severity == Severity.CRITICAL
        and a.code not in _ACCOUNT_CODES
        and (a.code not in _DUPLICATE_CODES or duplicates_open)
        and not (a.code == an.DOUBLE_CHARGE and declined & set(a.refs))
    )


def _open_invoices(snapshot: CustomerSnapshot) -> tuple[Invoice, ...]:
    """Open invoices with something still due, oldest first."""
    return tuple(
        sorted(
            (i for i in snapshot.invoices if i.status == "open" and i.amount_remaining.amount),
            key=lambda i: (i.created, i.id),
        )
    )


def _cancelled(done: Sequence[TakenAction], mode: str) -> tuple[str, ...]:
    return tuple(
        sub
        for a in done
        if a.kind == ActionKind.CANCEL_SUBSCRIPTION
        and (a.params.get("mode") or "immediately") == mode
        and (sub := a.params.get("subscription"))
    )
