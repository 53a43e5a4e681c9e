"""What ``billing-tui inspect`` prints, as one typed value built from the gateway's ``Lookup``.

:class:`InspectReport` (one person's billing state) and :class:`ChoiceReport` (several unrelated
customers matched) are frozen dataclasses of rows (:mod:`billing_tui.cli.inspect_rows`);
``to_json()`` is the ``--json`` document and ``text()`` the readable summary, both derived from
the same value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from billing_tui.cli.inspect_rows import (
    AnomalyRow,
    CandidateRow,
    ChargeRow,
    CustomerRow,
    DisputeRow,
    FailureRow,
    InvoiceRow,
    JSONValue,
    PaymentMethodRow,
    PortalRow,
    Requests,
    SubscriptionRow,
    iso,
    json_of,
)

if TYPE_CHECKING:
    from billing_tui.core.anomalies import Anomaly
    from billing_tui.core.model import CustomerSnapshot
    from billing_tui.gateway import Lookup

#: Invoices and payments listed before "… N more".
LISTED = 15


@dataclass(frozen=True)
class InspectReport:
    """One person's billing state: every customer record behind the identifier."""

    query: str
    kind: str
    mode: str
    now: str | None
    email_collision: bool
    customers: tuple[CustomerRow, ...]
    subscriptions: tuple[SubscriptionRow, ...]
    invoices: tuple[InvoiceRow, ...]
    payments: tuple[ChargeRow, ...]
    disputes: tuple[DisputeRow, ...]
    payment_methods: tuple[PaymentMethodRow, ...]
    anomalies: tuple[AnomalyRow, ...]
    portal: PortalRow | None
    portal_known: bool
    failures: tuple[FailureRow, ...]
    notes: tuple[str, ...]
    requests: Requests

    @classmethod
    def of(
        cls,
        found: Lookup,
        snapshot: CustomerSnapshot,
        anomalies: Sequence[Anomaly],
        *,
        mode: str,
        now: datetime,
    ) -> InspectReport:
        resolution = found.resolution
        matched = {c.customer.id: c.matched_by for c in resolution.candidates}
        return cls(
            query=resolution.query,
            kind=str(resolution.kind),
            mode=mode,
            now=iso(now),
            email_collision=resolution.email_collision,
            customers=tuple(CustomerRow.of(c, matched.get(c.id)) for c in snapshot.customers),
            subscriptions=tuple(SubscriptionRow.of(s) for s in snapshot.subscriptions),
            invoices=tuple(InvoiceRow.of(i) for i in snapshot.invoices),
            payments=tuple(ChargeRow.of(c) for c in snapshot.charges),
            disputes=tuple(DisputeRow.of(d) for d in snapshot.disputes),
            payment_methods=tuple(PaymentMethodRow.of(p) for p in snapshot.payment_methods),
            anomalies=tuple(AnomalyRow.of(a) for a in anomalies),
            portal=None if snapshot.portal is None else PortalRow.of(snapshot.portal),
            portal_known=snapshot.portal_known,
            failures=tuple(FailureRow(f.part, f.message, f.customer_id) for f in snapshot.failures),
            notes=tuple(resolution.notes),
            requests=Requests.of(found.stats),
        )

    def to_json(self) -> JSONValue:
        """The ``inspect --json`` document."""
        fields = {f.name: json_of(getattr(self, f.name)) for f in dataclasses.fields(self)}
        requests = fields.pop("requests")
        return {**fields, "ambiguous": False, "requests": requests}

    def text(self) -> str:
        """The readable identity summary."""
        lines = [f"{self.query}  ({self.kind}, {self.mode})"]
        lines += self._customer_lines()
        lines += self._subscription_lines()
        lines += _listed("INVOICES", [i.line() for i in self.invoices])
        lines += _listed("PAYMENTS", [p.line() for p in self.payments])
        lines += ["", f"ANOMALIES ({len(self.anomalies)})"]
        lines += [line for a in self.anomalies for line in a.lines()]
        lines += self._portal_lines()
        lines += [f"! could not load {f.part}: {f.message}" for f in self.failures]
        lines += [f"note: {note}" for note in self.notes]
        lines.append(self.requests.line())
        return "\n".join(lines)

    def _customer_lines(self) -> list[str]:
        lines = ["", f"CUSTOMERS ({len(self.customers)})"]
        lines += [c.line() for c in self.customers]
        if self.email_collision:
            lines.append("  ! several customers share this email")
        return lines

    def _subscription_lines(self) -> list[str]:
        live = [s for s in self.subscriptions if not s.canceled]
        ended = [s for s in self.subscriptions if s.canceled]
        lines: list[str] = []
        for title, subs in (("ACTIVE SUBSCRIPTIONS", live), ("CANCELED SUBSCRIPTIONS", ended)):
            lines += ["", f"{title} ({len(subs)})"]
            lines += [s.line() for s in subs]
        return lines

    def _portal_lines(self) -> list[str]:
        if not self.portal_known:
            return ["", "PORTAL  unknown (could not be read)"]
        if self.portal is None:
            return ["", "PORTAL  no active configuration applies"]
        return ["", self.portal.line()]


def _listed(title: str, lines: list[str]) -> list[str]:
    more = [f"  … {len(lines) - LISTED} more"] if len(lines) > LISTED else []
    return ["", f"{title} ({len(lines)})", *lines[:LISTED], *more]


#: What a choice says after the resolution's own notes.
CHOOSE_NOTE = "Several customers match: inspect one of them by id."


@dataclass(frozen=True)
class ChoiceReport:
    """Several unrelated customers matched (a name search): they are listed, none is loaded."""

    query: str
    kind: str
    mode: str
    now: str | None
    email_collision: bool
    customers: tuple[CandidateRow, ...]
    notes: tuple[str, ...]
    requests: Requests

    @classmethod
    def of(cls, found: Lookup, *, mode: str, now: datetime) -> ChoiceReport:
        resolution = found.resolution
        return cls(
            query=resolution.query,
            kind=str(resolution.kind),
            mode=mode,
            now=iso(now),
            email_collision=resolution.email_collision,
            customers=tuple(CandidateRow.of(c) for c in resolution.candidates),
            notes=(*resolution.notes, CHOOSE_NOTE),
            requests=Requests.of(found.stats),
        )

    def to_json(self) -> JSONValue:
        """The ``inspect --json`` document (the same keys as a report, nothing loaded)."""
        return {
            "query": self.query,
            "kind": self.kind,
            "mode": self.mode,
            "now": self.now,
            "ambiguous": True,
            "email_collision": self.email_collision,
            "customers": json_of(self.customers),
            "subscriptions": [],
            "invoices": [],
            "anomalies": [],
            "portal": None,
            "failures": [],
            "notes": list(self.notes),
            "requests": json_of(self.requests),
        }

    def text(self) -> str:
        lines = [f"{self.query}  ({self.kind}): {len(self.customers)} customers match"]
        lines += [c.line() for c in self.customers]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)
