"""``lookup(text)``: resolution and snapshot pipelined, so one case loads in the fewest rounds.

``resolve()`` then ``snapshot()`` costs: the resolution's rounds (an id needs one to find the
customer and one to find other customers sharing its email) plus the snapshot's round. Most of
the snapshot only needs the customer id, so ``lookup`` overlaps them:

- email: [exact list ∥ search] → [snapshot of every match]: 2 rounds;
- ``cus_``: [snapshot of it (its customer record included)] → [others with its email]: 2 rounds
  (a third only when others exist: their snapshot);
- ``sub_``/``in_``/``ch_``/``pi_``/``re_``/``dp_``, a single GitHub/name match: [find the
  customer] → [its snapshot ∥ others with its email]: 2 rounds (+1 when others exist).

Several unrelated matches of a name search are not loaded: the operator picks one (matches
that all share one email are one person's duplicate records, and are loaded together).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing_tui.core.identify import IdentifierKind, github_username
from billing_tui.core.model import CustomerSnapshot, RequestStats
from billing_tui.core.results import Candidate, Resolution
from billing_tui.core.text import normalise_email
from billing_tui.gateway import convert
from billing_tui.gateway.base import Context, GatewayPart
from billing_tui.gateway.client import Operation
from billing_tui.gateway.resolve import (
    ID_NOUN,
    SEARCH_LAG_NOTE,
    Resolver,
    add_same_email,
    classify_text,
    email_not_found,
)
from billing_tui.gateway.snapshot import RawParts, SnapshotLoader, snapshot_ids


@dataclass(frozen=True)
class Lookup:
    """A resolution and, unless the operator must choose between unrelated matches, the
    snapshot of every candidate. ``stats`` cover the whole pipeline."""

    resolution: Resolution
    snapshot: CustomerSnapshot | None
    stats: RequestStats


class Reads(GatewayPart):
    """Every read of one case: ``resolve``, ``snapshot`` and the pipelined ``lookup``.

    Composed of a :class:`~billing_tui.gateway.resolve.Resolver` and a
    :class:`~billing_tui.gateway.snapshot.SnapshotLoader` over the same context; ``lookup``
    interleaves their steps, and the prefetched snapshot goes through the shared cache.
    """

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._resolver = Resolver(ctx)
        self._loader = SnapshotLoader(ctx)

    async def resolve(self, text: str) -> Resolution:
        """As :meth:`Resolver.resolve`; for an id (or a GitHub user), the customer's
        snapshot is loaded in the same rounds as the same-email check and kept for the
        ``snapshot()`` call that usually follows, so resolve-then-snapshot costs 2 rounds."""
        query, kind = classify_text(text)
        if not self._cache.prefetch_enabled or kind in (
            IdentifierKind.EMAIL,
            IdentifierKind.NAME,
        ):
            return await self._resolver.resolve(text)
        found = await self.lookup(query)
        if found.snapshot is not None:
            self._cache.remember_snapshot(found.snapshot)
        return found.resolution

    async def snapshot(self, customer_ids: Sequence[str]) -> CustomerSnapshot:
        """As :meth:`SnapshotLoader.snapshot`, unless ``resolve()`` just prefetched it."""
        ids = snapshot_ids(customer_ids)
        prefetched = self._cache.take_snapshot(ids)
        if prefetched is not None:
            return prefetched
        return await self._loader.snapshot(ids)

    async def lookup(self, text: str) -> Lookup:
        query, kind = classify_text(text)
        op = self._op()
        notes: list[str] = []
        raw = RawParts()
        object_id: str | None = None
        candidates: list[Candidate]
        if kind is IdentifierKind.EMAIL:
            candidates = await self._resolver.by_email(op, query, notes, strict=True)
            notes.append(SEARCH_LAG_NOTE)
            if not candidates:
                raise email_not_found(query)
            self._cache.remember_customers(c.customer for c in candidates)
            await self._loader.round_one(op, tuple(c.customer.id for c in candidates), raw)
        elif kind is IdentifierKind.CUSTOMER:
            await self._loader.round_one(op, (query,), raw)
            cust = convert.customer(raw.customers[query])
            if cust.deleted:
                notes.append(f"Customer {cust.id} is deleted in Stripe.")
            candidates = [Candidate(cust, "customer id")]
            if cust.email:
                others = await self._resolver.by_email(op, cust.email, notes, strict=False)
                candidates = add_same_email(candidates, others, notes)
                await self._load_more(op, candidates, raw)
        else:
            if kind in ID_NOUN:
                cust = await self._resolver.customer_of(op, kind, query)
                object_id = query
                candidates = [Candidate(cust, f"owner of {ID_NOUN[kind]} {query}")]
            elif kind is IdentifierKind.GITHUB:
                candidates = await self._resolver.by_github(op, github_username(query), notes)
            else:
                candidates = await self._resolver.by_name(op, query, notes)
            self._cache.remember_customers(c.customer for c in candidates)
            if len(candidates) == 1:
                await self._snapshot_with_same_email(op, candidates, notes, raw)
            elif _one_person(candidates):
                # e.g. "Sam Lee" matching two records of one email: a duplicate customer,
                # shown together, not a choice between people.
                await self._loader.round_one(op, tuple(c.customer.id for c in candidates), raw)
            else:
                resolution = Resolution(
                    query, kind, tuple(candidates), tuple(notes), op.stats(), object_id
                )
                return Lookup(resolution, None, op.stats())
        await self._loader.round_two(op, raw)
        ids = tuple(c.customer.id for c in candidates)
        snapshot = self._loader.build(op, ids, raw)
        stats = snapshot.stats  # one figure for the whole pipeline
        resolution = Resolution(query, kind, tuple(candidates), tuple(notes), stats, object_id)
        return Lookup(resolution, snapshot, stats)

    async def _snapshot_with_same_email(
        self, op: Operation, candidates: list[Candidate], notes: list[str], raw: RawParts
    ) -> None:
        """One round: the single candidate's snapshot and the search for others sharing its
        email; then the others' snapshots (only if there are any). Extends ``candidates``."""
        first = candidates[0].customer
        tasks = self._loader.snapshot_tasks(op, (first.id,))
        if first.email:
            tasks.update(self._resolver.email_tasks(op, first.email, prefix="email:"))
        results = await op.round(tasks)
        email_results = {k: v for k, v in results.items() if k.startswith("email:")}
        self._loader.absorb({k: v for k, v in results.items() if not k.startswith("email:")}, raw)
        if first.email:
            others = self._resolver.email_candidates(
                email_results, first.email, notes, strict=False, prefix="email:"
            )
            candidates[:] = add_same_email(candidates, others, notes)
            await self._load_more(op, candidates, raw)

    async def _load_more(self, op: Operation, candidates: list[Candidate], raw: RawParts) -> None:
        self._cache.remember_customers(c.customer for c in candidates)
        extra = tuple(c.customer.id for c in candidates if c.customer.id not in raw.customers)
        if extra:
            await self._loader.round_one(op, extra, raw, shared=False)


def _one_person(candidates: list[Candidate]) -> bool:
    """Several matches that all share one (case-insensitive) email."""
    emails = {normalise_email(c.customer.email) for c in candidates}
    return len(emails) == 1 and None not in emails
