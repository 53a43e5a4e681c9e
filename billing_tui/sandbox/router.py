"""The route table: which handler serves ``METHOD /v1/…``, and the ``rak_*`` permission it needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from billing_tui.sandbox import search
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.endpoints import invoices, portal, reads, refunds, subscriptions
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError

Handler = Callable[..., JSON]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    #: The ``rak_<resource>_<read|write>`` resource name ("" = any valid key).
    permission: str


#: URL segment -> restricted-key permission resource.
PERMISSIONS = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "subscriptions": "subscription",
    "subscription_items": "subscription",
    "invoices": "invoice",
    "invoice_payments": "invoice",  # Stripe groups invoice payments under Invoices
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "payment_methods": "payment_method",
    "billing_portal/configurations": "billing_portal_configuration",
    "billing_portal/sessions": "billing_portal_session",
}

_ID = r"([A-Za-z0-9_\-\.]+)"


def _route(method: str, path: str, handler: Handler, permission: str) -> Route:
    pattern = re.compile("^/v1/" + path.replace("{id}", _ID) + "$")
    return Route(method, pattern, handler, permission)


def _build() -> list[Route]:
    routes: list[Route] = [
        _route("GET", "account", reads.account, ""),
        _route("POST", "refunds", refunds.create_refund, "refund"),
        _route("DELETE", "subscriptions/{id}", subscriptions.cancel_subscription, "subscription"),
        _route("POST", "subscriptions/{id}", subscriptions.update_subscription, "subscription"),
        _route(
            "POST",
            "billing_portal/sessions",
            portal.create_portal_session,
            "billing_portal_session",
        ),
        _route(
            "POST",
            "billing_portal/configurations/{id}",
            portal.update_portal_configuration,
            "billing_portal_configuration",
        ),
        _route("POST", "invoices/{id}/pay", invoices.pay_invoice, "invoice"),
        _route("GET", "invoices/{id}/lines", reads.invoice_lines, "invoice"),
        _route(
            "GET",
            "customers/{id}/payment_methods",
            reads.customer_payment_methods,
            "payment_method",
        ),
        _route(
            "GET",
            "customers/{id}/payment_methods/{id}",
            reads.customer_payment_method,
            "payment_method",
        ),
        _route("GET", "customers/{id}/subscriptions", reads.customer_subscriptions, "subscription"),
        _route("GET", "charges/{id}/refunds", reads.charge_refunds, "refund"),
    ]
    for resource in search.SEARCHABLE:
        routes.append(
            _route(
                "GET",
                f"{resource}/search",
                partial(search.search, resource=resource),
                PERMISSIONS[resource],
            )
        )
    for resource in reads.RESOURCES:
        permission = PERMISSIONS[resource]
        routes.append(
            _route("GET", resource, partial(reads.list_resource, resource=resource), permission)
        )
        routes.append(
            _route("GET", resource + "/{id}", partial(_retrieve, resource=resource), permission)
        )
    return routes


def _retrieve(ctx: Context, obj_id: str, *, resource: str) -> JSON:
    return reads.retrieve(ctx, resource, obj_id)


ROUTES = _build()


def match(method: str, path: str) -> tuple[Route, tuple[str, ...]]:
    """The route for a request, or Stripe's 404 for an unrecognized URL."""
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.pattern.match(path)
        if found:
            return route, found.groups()
    raise ApiError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
    )
