"""The calls that change things in Stripe (called by ``billing_tui.desk.execute``), and fresh reads
for before/after diffs and reconciliation.

Every POST carries the caller's idempotency key (written to the case log before the call). The
cancel is a DELETE, which Stripe does not key: a retried cancel that gets ``404
resource_missing`` re-reads the subscription and reports it done if it is canceled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from billing_tui.core.model import Charge, Invoice, Refund, Subscription
from billing_tui.core.results import MutationResult, PortalSession
from billing_tui.gateway import convert
from billing_tui.gateway.base import GatewayPart
from billing_tui.gateway.client import request_id_of
from billing_tui.gateway.errors import InvalidRequest, NotFound

REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
PORTAL_FLOWS = frozenset({"payment_method_update", "subscription_cancel", "subscription_update"})
PRORATION_BEHAVIORS = frozenset({"create_prorations", "none", "always_invoice"})


def _key(idempotency_key: str) -> dict[str, Any]:
    if not idempotency_key or len(idempotency_key) > 255:
        raise ValueError("an idempotency key of 1-255 characters is required")
    return {"idempotency_key": idempotency_key}


def _metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (metadata or {}).items()}


class Writes(GatewayPart):
    """The mutations, and the fresh reads that check them; each write first invalidates the
    shared cache (a snapshot read before a change is stale after it)."""

    # ------------------------------------------------------------------ fresh reads

    async def retrieve_subscription(self, sub_id: str) -> Subscription:
        op = self._op()
        obj = await op.call(
            self.v1.subscriptions.retrieve_async,
            sub_id,
            not_found=f"No such subscription: {sub_id}",
        )
        return convert.subscription(obj, self._cache.product_names)

    async def retrieve_charge(self, charge_id: str) -> Charge:
        op = self._op()
        obj = await op.call(
            self.v1.charges.retrieve_async,
            charge_id,
            {"expand": ["refunds"]},
            not_found=f"No such charge: {charge_id}",
        )
        return convert.charge(obj)

    async def retrieve_invoice(self, invoice_id: str) -> Invoice:
        op = self._op()
        obj = await op.call(
            self.v1.invoices.retrieve_async,
            invoice_id,
            {"expand": ["payments"]},
            not_found=f"No such invoice: {invoice_id}",
        )
        return convert.invoice(obj)

    async def list_refunds(self, charge_id: str) -> tuple[Refund, ...]:
        """Every refund of one charge, read fresh (``GET /v1/refunds?charge=``, all pages):
        what the executor checks for a refund an intent already made before it refunds."""
        op = self._op()
        objs, _ = await op.list_all(self.v1.refunds.list_async, {"charge": charge_id})
        return tuple(convert.refund(obj) for obj in objs)

    # ------------------------------------------------------------------ refunds

    async def create_refund(
        self,
        charge_id: str,
        *,
        amount: int | None,
        reason: str | None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str,
    ) -> MutationResult[Refund]:
        """Refund ``amount`` minor units of one charge (None: the whole remainder)."""
        if amount is not None and amount <= 0:
            raise ValueError("a refund amount must be positive")
        if reason is not None and reason not in REFUND_REASONS:
            raise ValueError(f"refund reason must be one of {sorted(REFUND_REASONS)}")
        params: dict[str, Any] = {"charge": charge_id, "metadata": _metadata(metadata)}
        if amount is not None:
            params["amount"] = amount
        if reason is not None:
            params["reason"] = reason
        self._cache.invalidate()
        op = self._op()
        obj = await op.call(
            self.v1.refunds.create_async,
            params,
            _key(idempotency_key),
            not_found=f"No such charge: {charge_id}",
        )
        return MutationResult(convert.refund(obj), request_id_of(obj), stats=op.stats())

    # ------------------------------------------------------------------ subscriptions

    async def cancel_subscription(
        self,
        sub_id: str,
        *,
        invoice_now: bool = False,
        prorate: bool = False,
        comment: str | None = None,
    ) -> MutationResult[Subscription]:
        """Cancel now (a DELETE: Stripe takes no idempotency key). If the subscription is
        already canceled (a retry after a crash), that is reported as done, with a note."""
        params: dict[str, Any] = {"invoice_now": invoice_now, "prorate": prorate}
        if comment:
            params["cancellation_details"] = {"comment": comment}
        self._cache.invalidate()
        op = self._op()
        try:
            obj = await op.call(self.v1.subscriptions.cancel_async, sub_id, params)
        except NotFound:
            current = await op.call(
                self.v1.subscriptions.retrieve_async,
                sub_id,
                not_found=f"No such subscription: {sub_id}",
            )
            if current.status != "canceled":
                raise
            return MutationResult(
                convert.subscription(current, self._cache.product_names),
                request_id_of(current),
                note=f"{sub_id} was already canceled; nothing was changed.",
                stats=op.stats(),
            )
        except InvalidRequest as exc:
            if "canceled" not in exc.message.lower():
                raise
            current = await op.call(self.v1.subscriptions.retrieve_async, sub_id)
            if current.status != "canceled":
                raise
            return MutationResult(
                convert.subscription(current, self._cache.product_names),
                request_id_of(current),
                note=f"{sub_id} was already canceled; nothing was changed.",
                stats=op.stats(),
            )
        return MutationResult(
            convert.subscription(obj, self._cache.product_names),
            request_id_of(obj),
            stats=op.stats(),
        )

    async def update_subscription(
        self,
        sub_id: str,
        *,
        cancel_at_period_end: bool | None = None,
        cancel_at: datetime | None = None,
        quantity: int | None = None,
        item_id: str | None = None,
        proration_behavior: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str,
    ) -> MutationResult[Subscription]:
        """Schedule/undo a period-end cancel, schedule a cancel on ``cancel_at`` (a future
        time), change the quantity (of ``item_id``, or of the only item), set metadata. Only
        the given fields are sent."""
        if cancel_at is not None and cancel_at_period_end is not None:
            raise ValueError("give cancel_at or cancel_at_period_end, not both")
        if proration_behavior is not None and proration_behavior not in PRORATION_BEHAVIORS:
            raise ValueError(f"proration_behavior must be one of {sorted(PRORATION_BEHAVIORS)}")
        if quantity is not None and quantity < 1:
            raise ValueError("quantity must be at least 1")
        params: dict[str, Any] = {}
        self._cache.invalidate()
        op = self._op()
        if cancel_at_period_end is not None:
            params["cancel_at_period_end"] = cancel_at_period_end
        if cancel_at is not None:
            params["cancel_at"] = int(cancel_at.timestamp())
        if quantity is not None:
            if item_id is None:
                current = await op.call(
                    self.v1.subscriptions.retrieve_async,
                    sub_id,
                    not_found=f"No such subscription: {sub_id}",
                )
                items = list(current["items"].data)
                if len(items) != 1:
                    raise ValueError(
                        f"{sub_id} has {len(items)} items: say which item's quantity to change"
                    )
                item_id = str(items[0].id)
            params["items"] = [{"id": item_id, "quantity": quantity}]
        if proration_behavior is not None:
            params["proration_behavior"] = proration_behavior
        if metadata:
            params["metadata"] = _metadata(metadata)
        if not params:
            raise ValueError("update_subscription() was given nothing to change")
        obj = await op.call(
            self.v1.subscriptions.update_async,
            sub_id,
            params,
            _key(idempotency_key),
            not_found=f"No such subscription: {sub_id}",
        )
        return MutationResult(
            convert.subscription(obj, self._cache.product_names),
            request_id_of(obj),
            stats=op.stats(),
        )

    # ------------------------------------------------------------------ portal, invoices

    async def create_portal_session(
        self,
        customer_id: str,
        *,
        return_url: str,
        flow_type: str | None = None,
        subscription_id: str | None = None,
        configuration: str | None = None,
        idempotency_key: str,
    ) -> MutationResult[PortalSession]:
        """A billing-portal session (its URL is short-lived: create it when it is sent).

        ``flow_type`` deep-links: ``payment_method_update``, or ``subscription_cancel`` /
        ``subscription_update`` (both need ``subscription_id``)."""
        params: dict[str, Any] = {"customer": customer_id, "return_url": return_url}
        if configuration:
            params["configuration"] = configuration
        if flow_type is not None:
            if flow_type not in PORTAL_FLOWS:
                raise ValueError(f"flow_type must be one of {sorted(PORTAL_FLOWS)}")
            flow: dict[str, Any] = {"type": flow_type}
            if flow_type in ("subscription_cancel", "subscription_update"):
                if not subscription_id:
                    raise ValueError(f"the {flow_type} flow needs a subscription id")
                flow[flow_type] = {"subscription": subscription_id}
            params["flow_data"] = flow
        self._cache.invalidate()
        op = self._op()
        obj = await op.call(
            self.v1.billing_portal.sessions.create_async,
            params,
            _key(idempotency_key),
            not_found=f"No such customer: {customer_id}",
        )
        data = convert.as_dict(obj)
        session = PortalSession(
            id=str(data["id"]),
            url=str(data.get("url") or ""),
            customer_id=convert.ref_id(data.get("customer")) or customer_id,
            configuration_id=convert.ref_id(data.get("configuration")),
            flow_type=(data.get("flow") or {}).get("type"),
            return_url=data.get("return_url"),
        )
        return MutationResult(session, request_id_of(obj), stats=op.stats())

    async def pay_invoice(
        self, invoice_id: str, *, idempotency_key: str
    ) -> MutationResult[Invoice]:
        """Retry collecting an open invoice now (a declined card raises ``CardDeclined``)."""
        self._cache.invalidate()
        op = self._op()
        obj = await op.call(
            self.v1.invoices.pay_async,
            invoice_id,
            {"expand": ["payments"]},
            _key(idempotency_key),
            not_found=f"No such invoice: {invoice_id}",
        )
        return MutationResult(convert.invoice(obj), request_id_of(obj), stats=op.stats())
