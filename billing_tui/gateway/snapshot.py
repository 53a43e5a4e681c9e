"""The customer snapshot: everything about one case, loaded in one round of parallel requests.

Round 1 (always), concurrently, per customer: the customer, its subscriptions (``status=all``;
prices are embedded on items), invoices with their ``payments`` included, charges with their
refunds expanded, payment methods; once per snapshot: the most recent page of the account's
disputes (disputes have no customer filter) and — when not cached yet — the billing-portal
configurations and the first page of products (for names; a price only carries the product id,
and ``data.items.data.price.product`` is deeper than Stripe's 4-level expand limit).

Round 2 (only when needed): disputes of disputed charges that the first page did not cover,
names of products not seen yet, and invoice payments when a server ignored the ``payments``
include. Lists page only while ``has_more``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from billing_tui.core.model import (
    Charge,
    Customer,
    CustomerSnapshot,
    Dispute,
    Invoice,
    PartFailure,
    PaymentMethod,
    PortalConfiguration,
    Subscription,
)
from billing_tui.gateway import convert, wire
from billing_tui.gateway.base import GatewayPart
from billing_tui.gateway.client import Operation
from billing_tui.gateway.errors import (
    AuthFailed,
    GatewayError,
    NetworkDown,
    NotFound,
    PermissionDenied,
    RateLimited,
)


@dataclass
class RawParts:
    """What round 1 and 2 brought back, before conversion."""

    customers: dict[str, Any] = field(default_factory=dict)
    subscriptions: list[Any] = field(default_factory=list)
    invoices: list[Any] = field(default_factory=list)
    invoice_payments: dict[str, list[Any]] = field(default_factory=dict)
    charges: list[Any] = field(default_factory=list)
    refunds: dict[str, list[Any]] = field(default_factory=dict)  # charge id → refunds
    disputes: dict[str, Any] = field(default_factory=dict)
    payment_methods: dict[str, Any] = field(default_factory=dict)
    failures: list[PartFailure] = field(default_factory=list)

    def take(self, part: str, key: str, result: Any) -> None:
        """One successful request's result: ``customer:<id>`` is the object, the others
        ``(items, has_more)`` lists."""
        if part == "customer":
            self.customers[key] = result
        elif part == "subscriptions":
            self.subscriptions.extend(result[0])
        elif part == "invoices":
            self.invoices.extend(result[0])
        elif part == "charges":
            self.charges.extend(result[0])
        elif part == "payment_methods":
            self.payment_methods.update((str(pm["id"]), pm) for pm in result[0])
        elif part == "disputes":
            self.disputes.update((str(dp["id"]), dp) for dp in result[0])
        elif part == "invoice_payments":
            self.invoice_payments[key] = result[0]
        elif part == "refunds":
            self.refunds[key] = result[0]

    def failed(self, part: str) -> bool:
        return any(f.part == part for f in self.failures)


#: Parts that go to the cache, not into the snapshot's raw parts.
_CACHED_PARTS = frozenset({"portal", "products"})


class SnapshotLoader(GatewayPart):
    """Round 1 (:meth:`round_one`), round 2 (:meth:`round_two`) and :meth:`build`: the steps
    of a snapshot, which :class:`~billing_tui.gateway.lookup.Reads` also interleaves with
    resolution."""

    async def snapshot(self, customer_ids: Sequence[str]) -> CustomerSnapshot:
        """Load everything about ``customer_ids`` (one or several records of one person).

        A part that fails becomes a :class:`PartFailure` in the snapshot (never an empty list
        pretending success). A revoked key, the network being down on every part, or an
        unknown customer raise instead: there is nothing to show.
        """
        ids = snapshot_ids(customer_ids)
        op = self._op()
        raw = RawParts()
        await self.round_one(op, ids, raw)
        await self.round_two(op, raw)
        return self.build(op, ids, raw)

    # ------------------------------------------------------------------ round 1

    async def round_one(
        self, op: Operation, ids: tuple[str, ...], raw: RawParts, *, shared: bool = True
    ) -> None:
        results = await op.round(self.snapshot_tasks(op, ids, shared=shared))
        self.absorb(results, raw)

    def snapshot_tasks(
        self, op: Operation, ids: Sequence[str], *, shared: bool = True
    ) -> dict[str, Any]:
        """Round-1 requests for ``ids``; ``shared`` adds the account-wide parts (disputes page,
        portal configurations and products when not cached)."""
        tasks: dict[str, Any] = {}
        for cid in ids:
            tasks.update(self._customer_tasks(op, cid))
        if shared:
            tasks.update(self._shared_tasks(op))
        return tasks

    def _customer_tasks(self, op: Operation, cid: str) -> dict[str, Any]:
        client = self._client
        since = self._cache.customer_since(cid)
        return {
            f"customer:{cid}": op.call(
                wire.getter(client, wire.path("customers", cid)),
                {},
                not_found=f"No such customer: {cid}",
            ),
            f"subscriptions:{cid}": op.list_fast(
                wire.lister(client, "/v1/subscriptions"),
                {"customer": cid, "status": "all"},
                since=since,
            ),
            f"invoices:{cid}": op.list_fast(
                wire.lister(client, "/v1/invoices"),
                {"customer": cid, "expand": ["data.payments"]},
                since=since,
            ),
            f"charges:{cid}": op.list_fast(
                wire.lister(client, "/v1/charges"),
                {"customer": cid, "expand": ["data.refunds"]},
                since=since,
            ),
            f"payment_methods:{cid}": op.list_all(
                wire.lister(client, wire.path("customers", cid, "payment_methods")), {}
            ),
        }

    def _shared_tasks(self, op: Operation) -> dict[str, Any]:
        client = self._client
        tasks: dict[str, Any] = {
            "disputes": op.list_all(wire.lister(client, "/v1/disputes"), {}, max_pages=1)
        }
        if self._cache.needs_portal():
            tasks["portal"] = op.list_all(
                wire.lister(client, "/v1/billing_portal/configurations"), {}
            )
        if not self._cache.products_listed:
            tasks["products"] = op.list_all(wire.lister(client, "/v1/products"), {}, max_pages=1)
        return tasks

    def absorb(self, results: Mapping[str, Any], raw: RawParts) -> None:
        """Take round-1 results into ``raw``. A failed part becomes a PartFailure; a revoked
        key, or a customer record that cannot be read, raises (there is nothing to show)."""
        _raise_if_nothing_to_show(results)
        for name, result in results.items():
            part, _, cid = name.partition(":")
            if isinstance(result, GatewayError):
                if part == "customer":
                    raise result
                raw.failures.append(failure_of(part, result, cid or None))
            elif part in _CACHED_PARTS:
                self._cache_part(part, result[0])
            else:
                raw.take(part, cid, result)

    def _cache_part(self, part: str, items: list[Any]) -> None:
        if part == "portal":
            self._cache.remember_portal(convert.portal_configuration(c) for c in items)
        else:
            self._cache.remember_products(items)
            self._cache.mark_products_listed()

    # ------------------------------------------------------------------ round 2

    async def round_two(self, op: Operation, raw: RawParts) -> None:
        """Only when needed: our charges' missing disputes, unseen product names, and invoice
        payments a server did not include."""
        tasks = {
            **self._dispute_tasks(op, raw),
            **self._product_tasks(op, raw),
            **self._payment_tasks(op, raw),
            **self._refund_tasks(op, raw),
        }
        if not tasks:
            return
        results = await op.round(tasks)
        for name, result in results.items():
            part, _, key = name.partition(":")
            if isinstance(result, GatewayError):
                if isinstance(result, AuthFailed):
                    raise result
                if not raw.failed(part):
                    raw.failures.append(failure_of(part, result))
            elif part == "products":
                self._cache.remember_products(result[0])
            else:
                raw.take(part, key, result)

    def _dispute_tasks(self, op: Operation, raw: RawParts) -> dict[str, Any]:
        """Our charges' disputes: the account-wide first page is filtered to our charges; a
        disputed charge whose dispute it did not cover is asked for by charge."""
        charge_ids = {str(c["id"]) for c in raw.charges}
        raw.disputes = {
            k: d for k, d in raw.disputes.items() if convert.ref_id(d.get("charge")) in charge_ids
        }
        if raw.failed("disputes"):
            return {}
        covered = {convert.ref_id(d.get("charge")) for d in raw.disputes.values()}
        return {
            f"disputes:{charge['id']}": op.list_all(
                wire.lister(self._client, "/v1/disputes"), {"charge": charge["id"]}
            )
            for charge in raw.charges
            if charge.get("disputed") and charge["id"] not in covered
        }

    def _product_tasks(self, op: Operation, raw: RawParts) -> dict[str, Any]:
        """Names of products the cache has not seen (new products, or a long catalog)."""
        if raw.failed("products"):
            return {}
        missing = sorted(
            {
                product
                for sub in raw.subscriptions
                for item in (convert.as_dict(sub).get("items") or {}).get("data") or []
                if isinstance(product := (item.get("price") or {}).get("product"), str)
                and not self._cache.knows_product(product)
            }
        )
        return {
            f"products:{start}": op.list_all(
                wire.lister(self._client, "/v1/products"), {"ids": missing[start : start + 100]}
            )
            for start in range(0, len(missing), 100)
        }

    def _payment_tasks(self, op: Operation, raw: RawParts) -> dict[str, Any]:
        """Invoice payments, only if the server ignored the ``payments`` include."""
        return {
            f"invoice_payments:{inv['id']}": op.list_all(
                wire.lister(self._client, "/v1/invoice_payments"), {"invoice": inv["id"]}
            )
            for inv in raw.invoices
            if not convert.invoice_has_payments(inv) and inv.get("status") in ("paid", "open")
        }

    def _refund_tasks(self, op: Operation, raw: RawParts) -> dict[str, Any]:
        """Refunds of refunded charges, only if the server ignored the ``refunds`` expansion
        (without them a refunded charge would look as if nothing had been refunded)."""
        return {
            f"refunds:{charge['id']}": op.list_all(
                wire.lister(self._client, "/v1/refunds"), {"charge": charge["id"]}
            )
            for charge in raw.charges
            if not convert.charge_has_refunds(charge) and charge.get("amount_refunded")
        }

    # ------------------------------------------------------------------ build

    def build(self, op: Operation, ids: tuple[str, ...], raw: RawParts) -> CustomerSnapshot:
        names = self._cache.product_names
        customers: list[Customer] = [
            convert.customer(raw.customers[cid]) for cid in ids if cid in raw.customers
        ]
        failures = raw.failures
        subs: list[Subscription] = _converted(
            "subscriptions", _dedupe(raw.subscriptions),
            lambda s: convert.subscription(s, names), failures,
        )  # fmt: skip
        invoices: list[Invoice] = _converted(
            "invoices", _dedupe(raw.invoices),
            lambda i: convert.invoice(i, raw.invoice_payments.get(str(i["id"]))), failures,
        )  # fmt: skip
        charges: list[Charge] = _converted(
            "charges", _dedupe(raw.charges),
            lambda c: convert.charge(c, raw.refunds.get(str(c["id"]))), failures,
        )  # fmt: skip
        disputes: list[Dispute] = _converted(
            "disputes", list(raw.disputes.values()), convert.dispute, failures
        )
        methods: list[PaymentMethod] = _converted(
            "payment_methods", list(raw.payment_methods.values()), convert.payment_method,
            failures, newest_first=False,
        )  # fmt: skip
        failures += _embedded_gaps(raw)
        configurations = self._cache.portal_configurations
        portal_known = configurations is not None and not raw.failed("portal")
        portal: PortalConfiguration | None = None
        if portal_known and configurations is not None:
            primary = customers[0] if customers else None
            portal = convert.applicable_portal(
                list(configurations),
                primary.metadata if primary else None,
                self._settings.portal_configuration_metadata_key,
            )
        return CustomerSnapshot(
            customers=tuple(customers),
            subscriptions=tuple(subs),
            invoices=tuple(invoices),
            charges=tuple(charges),
            disputes=tuple(disputes),
            payment_methods=tuple(methods),
            portal=portal,
            portal_known=portal_known,
            failures=tuple(raw.failures),
            loaded_at=datetime.now(UTC),
            livemode=any(c.livemode for c in customers),
            stats=op.stats(),
        )


def snapshot_ids(customer_ids: Sequence[str]) -> tuple[str, ...]:
    """The distinct, non-empty ids, in order; raises ``ValueError`` when there is none."""
    ids = tuple(dict.fromkeys(i for i in customer_ids if i))
    if not ids:
        raise ValueError("snapshot() needs at least one customer id")
    return ids


_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def failure_of(part: str, error: GatewayError, customer_id: str | None = None) -> PartFailure:
    """A part that could not be loaded, with the short cause ("HTTP 500") beside the
    sentence: the cause is what the money guards quote."""
    return PartFailure(part, str(error), customer_id, reason=short_reason(error))


def short_reason(error: GatewayError) -> str:
    """``HTTP 500``, ``HTTP 429``, ``no answer from Stripe``, … for one failed request."""
    if isinstance(error, RateLimited):
        return "HTTP 429"
    if isinstance(error, NetworkDown):
        return "no answer from Stripe"
    if isinstance(error, PermissionDenied):
        return f"the key lacks {error.permission}" if error.permission else "HTTP 403"
    if isinstance(error, NotFound):
        return "HTTP 404"
    found = _HTTP_STATUS.search(str(error))
    return f"HTTP {found.group(1)}" if found else str(error)


def _embedded_gaps(raw: RawParts) -> list[PartFailure]:
    """Embedded lists that stopped early (``has_more`` on a charge's refunds or an invoice's
    payments): those parts are incomplete, never read as the whole list."""
    gaps: list[PartFailure] = []
    for part, owners, key in (
        ("refunds", raw.charges, "refunds"),
        ("invoice_payments", raw.invoices, "payments"),
    ):
        for owner in owners:
            data = convert.as_dict(owner)
            embedded = data.get(key)
            if isinstance(embedded, Mapping) and embedded.get("has_more"):
                gaps.append(
                    PartFailure(
                        part,
                        f"{data.get('id', '?')} has more {part.replace('_', ' ')} than one "
                        "page: the rest were not loaded",
                        reason="only the first page was loaded",
                    )
                )
    return gaps


def _raise_if_nothing_to_show(results: Mapping[str, Any]) -> None:
    """A revoked key, or every request of the round failing, leaves nothing to show."""
    errors = [r for r in results.values() if isinstance(r, GatewayError)]
    for err in errors:
        if isinstance(err, AuthFailed):
            raise err
    if errors and len(errors) == len(results):
        raise errors[0]


_M = TypeVar("_M", Subscription, Invoice, Charge, Dispute, PaymentMethod)


def _converted(
    part: str,
    objs: list[Any],
    fn: Callable[[Any], _M],
    failures: list[PartFailure],
    *,
    newest_first: bool = True,
) -> list[_M]:
    """Convert each object; one that cannot be read (a server that answers in an unexpected
    shape) becomes a PartFailure naming it, instead of sinking the whole snapshot."""
    out: list[_M] = []
    for obj in objs:
        try:
            out.append(fn(obj))
        except (KeyError, TypeError, ValueError) as exc:
            obj_id = obj.get("id", "?") if isinstance(obj, Mapping) else "?"
            failures.append(PartFailure(part, f"could not read {obj_id}: {exc!r}"))
    if newest_first:
        out.sort(key=lambda m: m.created, reverse=True)
    return out


def _dedupe(objs: list[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for obj in objs:
        seen.setdefault(str(obj["id"]), obj)
    return list(seen.values())
