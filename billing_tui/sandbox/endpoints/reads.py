"""Read endpoints: list, retrieve, nested lists and the account; :func:`lookup` finds an
object by id (or answers Stripe's 404) for every endpoint."""

from __future__ import annotations

from billing_tui.sandbox import resources
from billing_tui.sandbox.context import Context
from billing_tui.sandbox.listing import SPECS, build_list
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import bad_param, check_known, clone_obj, no_such, unknown_param

#: URL segment -> (stored object type, the name Stripe's "No such …" message uses).
RESOURCES: dict[str, tuple[str, str]] = {
    "customers": ("customer", "customer"),
    "products": ("product", "product"),
    "prices": ("price", "price"),
    "subscriptions": ("subscription", "subscription"),
    "subscription_items": ("subscription_item", "subscription item"),
    "invoices": ("invoice", "invoice"),
    "invoice_payments": ("invoice_payment", "invoice payment"),
    "payment_intents": ("payment_intent", "payment_intent"),
    "charges": ("charge", "charge"),
    "refunds": ("refund", "refund"),
    "disputes": ("dispute", "dispute"),
    "payment_methods": ("payment_method", "PaymentMethod"),
    "billing_portal/configurations": ("billing_portal.configuration", "configuration"),
}


def lookup(ctx: Context, resource: str, obj_id: str, *, param: str = "id") -> JSON:
    """A stored object by id, or Stripe's 404 ``resource_missing``."""
    kind, label = RESOURCES[resource]
    if kind == "subscription_item":
        obj = ctx.query.find_subscription_item(obj_id)[0]
    else:
        obj = ctx.state.get(kind, obj_id)
    if obj is None:
        raise no_such(label, obj_id, param=param, status=404 if param == "id" else 400)
    return obj


def list_resource(ctx: Context, resource: str) -> JSON:
    url = f"/v1/{resource}"
    spec = SPECS[resource]
    source = None
    ordered = True
    if resource == "subscription_items":
        sub_id = ctx.params.get("subscription")
        if isinstance(sub_id, str):
            sub = ctx.state.get("subscription", sub_id)
            if sub is None:
                raise no_such("subscription", sub_id, param="subscription", status=400)
            source, ordered = ctx.query.subscription_items(sub), False
    page, more = build_list(ctx.query, spec, ctx.params, url, source=source, ordered=ordered)
    return ctx.render_list(url, page, more)


#: Retrieve parameters beside ``expand``, by collection.
RETRIEVE_PARAMS: dict[str, frozenset[str]] = {"payment_intents": frozenset({"client_secret"})}


def retrieve(ctx: Context, resource: str, obj_id: str) -> JSON:
    check_known(ctx.params, {"expand", *RETRIEVE_PARAMS.get(resource, ())})
    obj = lookup(ctx, resource, obj_id)
    if "client_secret" in ctx.params and ctx.params["client_secret"] != obj.get("client_secret"):
        raise bad_param(
            "client_secret",
            "The client_secret provided does not match the client_secret associated with "
            "the PaymentIntent.",
        )
    if obj.get("deleted"):
        return clone_obj(obj)
    return ctx.render(obj)


def _nested_list(
    ctx: Context, url: str, spec: str, source: list[JSON], *, ordered: bool = True
) -> JSON:
    """A list under one parent object (``/v1/<parent>/{id}/<children>``): ``source`` holds the
    parent's children; the request's filters and cursors page through them."""
    page, more = build_list(ctx.query, SPECS[spec], ctx.params, url, source=source, ordered=ordered)
    return ctx.render_list(url, page, more)


def invoice_lines(ctx: Context, invoice_id: str) -> JSON:
    invoice = lookup(ctx, "invoices", invoice_id)
    return _nested_list(
        ctx,
        f"/v1/invoices/{invoice_id}/lines",
        "invoice_lines",
        ctx.query.invoice_lines(invoice),
        ordered=False,
    )


def customer_payment_methods(ctx: Context, customer_id: str) -> JSON:
    customer = lookup(ctx, "customers", customer_id)
    if "customer" in ctx.params:
        raise unknown_param("customer")
    return _nested_list(
        ctx,
        f"/v1/customers/{customer_id}/payment_methods",
        "payment_methods",
        ctx.query.by("payment_method", "customer", customer["id"]),
    )


def customer_payment_method(ctx: Context, customer_id: str, pm_id: str) -> JSON:
    check_known(ctx.params, {"expand"})
    customer = lookup(ctx, "customers", customer_id)
    pm = ctx.state.get("payment_method", pm_id)
    if pm is None or pm.get("customer") != customer["id"]:
        raise no_such("PaymentMethod", pm_id)
    return ctx.render(pm)


def customer_subscriptions(ctx: Context, customer_id: str) -> JSON:
    customer = lookup(ctx, "customers", customer_id)
    return _nested_list(
        ctx,
        f"/v1/customers/{customer_id}/subscriptions",
        "subscriptions",
        ctx.query.by("subscription", "customer", customer["id"]),
    )


def charge_refunds(ctx: Context, charge_id: str) -> JSON:
    charge = lookup(ctx, "charges", charge_id)
    return _nested_list(
        ctx,
        f"/v1/charges/{charge_id}/refunds",
        "refunds",
        ctx.query.by("refund", "charge", charge["id"]),
    )


def account(ctx: Context) -> JSON:
    check_known(ctx.params, {"expand"})
    return resources.account(ctx.state)
