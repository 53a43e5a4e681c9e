"""Identifier resolution: whatever the operator pasted → the candidate customers behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_tui.core.identify import (
    ID_PREFIXES,
    IdentifierKind,
    detect_kind,
    github_username,
    malformed_reason,
    normalise,
)
from billing_tui.core.model import Customer
from billing_tui.core.results import Candidate, Resolution
from billing_tui.core.text import normalise_email
from billing_tui.gateway import convert
from billing_tui.gateway.base import GatewayPart
from billing_tui.gateway.client import Operation
from billing_tui.gateway.errors import (
    AuthFailed,
    GatewayError,
    InvalidQuery,
    MalformedId,
    NotFound,
)

SEARCH_LAG_NOTE = (
    "Case variants of an email come from Stripe Search, which can lag by up to a minute: a "
    "customer created moments ago may only show up under its exact spelling."
)

ID_NOUN = {
    IdentifierKind.CUSTOMER: "customer",
    IdentifierKind.SUBSCRIPTION: "subscription",
    IdentifierKind.INVOICE: "invoice",
    IdentifierKind.CHARGE: "charge",
    IdentifierKind.PAYMENT_INTENT: "payment intent",
    IdentifierKind.REFUND: "refund",
    IdentifierKind.DISPUTE: "dispute",
}


def search_quote(value: str) -> str:
    """A Search API string literal: single-quoted, with ``\\`` and ``'`` escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _merge(found: dict[str, tuple[Customer, list[str]]], customers: list[Any], how: str) -> None:
    for obj in customers:
        cust = convert.customer(obj)
        if cust.id in found:
            if how not in found[cust.id][1]:
                found[cust.id][1].append(how)
        else:
            found[cust.id] = (cust, [how])


def classify_text(text: str) -> tuple[str, IdentifierKind]:
    """The normalised query and its kind; raises for empty text and malformed ids (before
    any request is sent)."""
    query = normalise(text)
    kind = detect_kind(query)
    if kind is IdentifierKind.EMPTY:
        raise InvalidQuery(
            "Type an email, a Stripe id (cus_, sub_, in_, ch_, pi_, re_, dp_), a GitHub "
            "user or a customer name."
        )
    if kind is IdentifierKind.MALFORMED_ID:
        prefix = query.split("_", 1)[0]
        noun = ID_NOUN.get(_prefix_kind(prefix), "Stripe")
        raise MalformedId(
            f"'{query}' looks like a {noun} id but is malformed: {malformed_reason(query)}. "
            "Check the ticket for a truncated or mistyped id."
        )
    return query, kind


def email_not_found(query: str) -> NotFound:
    return NotFound(
        f"No customer has the email '{query}' (exact match and case-insensitive search; "
        "Search can lag by a minute for brand-new customers)."
    )


class Resolver(GatewayPart):
    """Resolution alone (no snapshot): ``resolve()`` for emails, names and ``prefetch=False``,
    and the steps the pipelined :class:`~billing_tui.gateway.lookup.Reads` reuses."""

    async def resolve(self, text: str) -> Resolution:
        """The candidate customers behind ``text`` (email, Stripe id, GitHub user or name).

        Raises :class:`MalformedId` (before any request) for a broken id, :class:`NotFound`
        when nothing matches, :class:`InvalidQuery` for empty or too-short text.
        """
        query, kind = classify_text(text)
        op = self._op()
        notes: list[str] = []
        object_id: str | None = None
        if kind is IdentifierKind.EMAIL:
            candidates = await self.by_email(op, query, notes, strict=True)
            notes.append(SEARCH_LAG_NOTE)
            if not candidates:
                raise email_not_found(query)
        elif kind is IdentifierKind.CUSTOMER:
            obj = await op.call(
                self.v1.customers.retrieve_async, query, not_found=f"No such customer: {query}"
            )
            cust = convert.customer(obj)
            if cust.deleted:
                notes.append(f"Customer {cust.id} is deleted in Stripe.")
            candidates = [Candidate(cust, "customer id")]
            candidates = await self._with_same_email(op, candidates, notes)
        elif kind in ID_NOUN:
            cust = await self.customer_of(op, kind, query)
            object_id = query
            candidates = [Candidate(cust, f"owner of {ID_NOUN[kind]} {query}")]
            candidates = await self._with_same_email(op, candidates, notes)
        elif kind is IdentifierKind.GITHUB:
            candidates = await self.by_github(op, github_username(query), notes)
            if len(candidates) == 1:
                candidates = await self._with_same_email(op, candidates, notes)
        else:
            candidates = await self.by_name(op, query, notes)
        self._cache.remember_customers(c.customer for c in candidates)
        return Resolution(
            query=query,
            kind=kind,
            candidates=tuple(candidates),
            notes=tuple(notes),
            stats=op.stats(),
            object_id=object_id,
        )

    # ------------------------------------------------------------------ email

    async def by_email(
        self, op: Operation, email: str, notes: list[str], *, strict: bool
    ) -> list[Candidate]:
        """One round: exact ``list(email=…)`` (as typed, and normalised if different) and a
        case-insensitive ``search(email:'…')`` concurrently, merged and deduplicated.

        ``strict``: a failure of the exact list is raised (otherwise it becomes a note)."""
        results = await op.round(self.email_tasks(op, email))
        return self.email_candidates(results, email, notes, strict=strict)

    def email_tasks(self, op: Operation, email: str, prefix: str = "") -> dict[str, Any]:
        customers = self.v1.customers
        tasks: dict[str, Any] = {
            f"{prefix}exact": op.list_all(customers.list_async, {"email": email})
        }
        folded = normalise_email(email)
        if folded is not None and folded != email:
            tasks[f"{prefix}exact_lower"] = op.list_all(customers.list_async, {"email": folded})
        tasks[f"{prefix}search"] = op.search_all(
            customers.search_async, f"email:{search_quote(email)}"
        )
        return tasks

    def email_candidates(
        self,
        results: Mapping[str, Any],
        email: str,
        notes: list[str],
        *,
        strict: bool,
        prefix: str = "",
    ) -> list[Candidate]:
        found: dict[str, tuple[Customer, list[str]]] = {}
        target = normalise_email(email)
        for name in ("exact", "exact_lower"):
            result = results.get(prefix + name)
            if isinstance(result, GatewayError):
                if strict or isinstance(result, AuthFailed):
                    raise result
                notes.append(f"Exact email lookup failed: {result}")
                continue
            if result is not None:
                _merge(found, result[0], "exact email")
        search = results[prefix + "search"]
        if isinstance(search, GatewayError):
            if isinstance(search, AuthFailed):
                raise search
            notes.append(
                f"Case-insensitive email search failed ({search}); only exact-case matches "
                "are shown."
            )
        else:
            matches = [c for c in search[0] if normalise_email(_email_of(c)) == target]
            _merge(found, matches, "email search (case-insensitive)")
        return [Candidate(cust, " + ".join(how)) for cust, how in found.values()]

    async def _with_same_email(
        self, op: Operation, candidates: list[Candidate], notes: list[str]
    ) -> list[Candidate]:
        """Add every other customer that shares the (single) candidate's email."""
        if len(candidates) != 1 or not candidates[0].customer.email:
            return candidates
        email = candidates[0].customer.email
        others = await self.by_email(op, email, notes, strict=False)
        return add_same_email(candidates, others, notes)

    # ------------------------------------------------------------------ ids

    async def customer_of(self, op: Operation, kind: IdentifierKind, obj_id: str) -> Customer:
        """The customer behind a subscription/invoice/charge/PI/refund/dispute id, using
        ``expand`` so it is one request (a second only if the customer was not expandable)."""
        noun = ID_NOUN[kind]
        missing = f"No such {noun}: {obj_id}"
        v1 = self.v1
        if kind is IdentifierKind.SUBSCRIPTION:
            obj = await op.call(
                v1.subscriptions.retrieve_async, obj_id, {"expand": ["customer"]},
                not_found=missing,
            )  # fmt: skip
            ref = obj.customer
        elif kind is IdentifierKind.INVOICE:
            obj = await op.call(
                v1.invoices.retrieve_async, obj_id, {"expand": ["customer"]}, not_found=missing
            )
            ref = getattr(obj, "customer", None)
        elif kind is IdentifierKind.CHARGE:
            obj = await op.call(
                v1.charges.retrieve_async, obj_id, {"expand": ["customer"]}, not_found=missing
            )
            ref = getattr(obj, "customer", None)
        elif kind is IdentifierKind.PAYMENT_INTENT:
            obj = await op.call(
                v1.payment_intents.retrieve_async, obj_id, {"expand": ["customer"]},
                not_found=missing,
            )  # fmt: skip
            ref = getattr(obj, "customer", None)
        elif kind is IdentifierKind.REFUND:
            obj = await op.call(
                v1.refunds.retrieve_async, obj_id, {"expand": ["charge.customer"]},
                not_found=missing,
            )  # fmt: skip
            charge = getattr(obj, "charge", None)
            ref = (getattr(charge, "customer", None) if charge is not None else None) or getattr(
                obj, "customer", None
            )
        else:
            obj = await op.call(
                v1.disputes.retrieve_async, obj_id, {"expand": ["charge.customer"]},
                not_found=missing,
            )  # fmt: skip
            charge = getattr(obj, "charge", None)
            ref = getattr(charge, "customer", None) if charge is not None else None
        if ref is None:
            raise NotFound(
                f"The {noun} {obj_id} has no customer attached (a guest payment): look the "
                "payer up by the email on the receipt instead."
            )
        if isinstance(ref, str):
            ref = await op.call(
                v1.customers.retrieve_async, ref, not_found=f"No such customer: {ref}"
            )
        return convert.customer(ref)

    # ------------------------------------------------------------------ github / name

    async def by_github(self, op: Operation, username: str, notes: list[str]) -> list[Candidate]:
        key = self._settings.github_metadata_key
        query = f"metadata[{search_quote(key)}]:{search_quote(username)}"
        items, _ = await op.search_all(self.v1.customers.search_async, query)
        if items:
            return [
                Candidate(convert.customer(c), f"GitHub user in metadata['{key}']") for c in items
            ]
        if len(username) < 3:
            raise NotFound(f"No customer has GitHub user '{username}' in metadata['{key}'].")
        notes.append(
            f"No customer has metadata['{key}'] = '{username}'; showing customers whose name "
            f"contains '{username}'."
        )
        candidates = await self.by_name(op, username, notes, missing_ok=True)
        if not candidates:
            raise NotFound(
                f"No customer has GitHub user '{username}' in metadata['{key}'], and no customer "
                f"name contains '{username}'."
            )
        return candidates

    async def by_name(
        self, op: Operation, name: str, notes: list[str], *, missing_ok: bool = False
    ) -> list[Candidate]:
        if len(name) < 3:
            raise InvalidQuery("A name search needs at least 3 characters.")
        items, more = await op.search_all(
            self.v1.customers.search_async, f"name~{search_quote(name)}"
        )
        if more:
            notes.append(
                f"More than {len(items)} customers match '{name}': showing the first "
                f"{len(items)}. Refine the name or use an email or id."
            )
        if not items and not missing_ok:
            raise NotFound(f"No customer name contains '{name}'.")
        return [Candidate(convert.customer(c), "name search") for c in items]


def add_same_email(
    candidates: list[Candidate], others: list[Candidate], notes: list[str]
) -> list[Candidate]:
    first = candidates[0].customer
    out = list(candidates)
    for cand in others:
        if cand.customer.id != first.id:
            out.append(Candidate(cand.customer, f"same email as {first.id}"))
    if len(out) > 1:
        notes.append(
            f"{len(out)} customers share the email of {first.id}: all are shown (a "
            "duplicate-customer signal)."
        )
    return out


def _prefix_kind(prefix: str) -> IdentifierKind:
    return ID_PREFIXES.get(prefix, IdentifierKind.MALFORMED_ID)


def _email_of(obj: Any) -> str | None:
    value = obj.get("email") if isinstance(obj, Mapping) else getattr(obj, "email", None)
    return str(value) if value else None
