"""Direct requests for every operation and expansion the project uses, beside its flows: each
collection listed, searched and retrieved, each expansion the gateway asks for, and the error
bodies (unknown id, unknown parameter, bad key, missing permission, declined card)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import stripe

from billing_tui.sandbox import Sandbox
from billing_tui.sandbox.state import JSON

#: ``(collection, object type, expansions a retrieve asks for)``.
RETRIEVES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("customers", "customer", ()),
    ("products", "product", ()),
    ("prices", "price", ("product",)),
    ("subscriptions", "subscription", ("customer",)),
    ("subscription_items", "subscription_item", ()),
    ("invoices", "invoice", ("customer", "payments")),
    ("invoice_payments", "invoice_payment", ()),
    ("payment_intents", "payment_intent", ("customer",)),
    ("charges", "charge", ("customer", "refunds")),
    ("refunds", "refund", ("charge.customer",)),
    ("disputes", "dispute", ("charge.customer",)),
    ("payment_methods", "payment_method", ()),
    ("billing_portal/configurations", "billing_portal.configuration", ()),
)

#: List expansions the gateway asks for, by collection.
LIST_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "invoices": ("data.payments",),
    "charges": ("data.refunds",),
}

SEARCHES: dict[str, str] = {
    "customers": "email:'ann@example.com'",
    "subscriptions": "status:'active'",
    "invoices": "status:'paid'",
    "charges": "status:'succeeded'",
    "payment_intents": "status:'succeeded'",
}


def _first(sandbox: Sandbox, kind: str) -> JSON:
    for obj in sandbox.state.all(kind):
        return obj
    raise AssertionError(f"the demo population has no {kind}")


def _quietly(call: Callable[[], Any]) -> None:
    with contextlib.suppress(stripe.StripeError):  # an error answer is recorded like any other
        call()


def send_direct_requests(sandbox: Sandbox) -> None:
    client = sandbox.stripe_client("sk_test_contract1234", max_network_retries=0)
    for collection, kind, expand in RETRIEVES:
        obj = _first(sandbox, kind)
        obj_id = obj["id"]
        client.raw_request("get", f"/v1/{collection}/{obj_id}")
        if expand:
            client.raw_request("get", f"/v1/{collection}/{obj_id}", expand=list(expand))
        scope = {"subscription": obj["subscription"]} if kind == "subscription_item" else {}
        client.raw_request("get", f"/v1/{collection}", limit=3, **scope)
        if collection in LIST_EXPANSIONS:
            client.raw_request(
                "get", f"/v1/{collection}", limit=3, expand=list(LIST_EXPANSIONS[collection])
            )
    for collection, query in SEARCHES.items():
        client.raw_request("get", f"/v1/{collection}/search", query=query, limit=2)
    customer = _first(sandbox, "customer")["id"]
    invoice = _first(sandbox, "invoice")["id"]
    method = _first(sandbox, "payment_method")
    client.raw_request("get", "/v1/account")
    client.raw_request("get", f"/v1/invoices/{invoice}/lines", limit=5)
    client.raw_request("get", f"/v1/customers/{method['customer']}/payment_methods")
    client.raw_request("get", f"/v1/customers/{method['customer']}/payment_methods/{method['id']}")
    _population_shapes(sandbox, client)
    _every_object(sandbox, client)
    open_invoice = next(i for i in sandbox.state.all("invoice") if i["status"] == "open")
    client.raw_request("post", f"/v1/invoices/{open_invoice['id']}/pay", paid_out_of_band=True)
    _errors(sandbox, client, customer)


#: What the account sweep of the flows does not list in full (it lists every customer and
#: subscription; test_every_stored_object_was_served holds this to account).
UNSWEPT = (
    "invoices",
    "charges",
    "products",
    "prices",
    "payment_intents",
    "refunds",
    "disputes",
    "invoice_payments",
    "payment_methods",
    "billing_portal/configurations",
)


def _every_object(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    """Every stored object of the collections the sweep leaves out, listed page by page (the
    catalog's scenarios and the population, whatever the flows happened to read)."""
    for collection in UNSWEPT:
        params: dict[str, Any] = {"limit": 100}
        while True:
            body = client.raw_request("get", f"/v1/{collection}", **params).data
            if not body["has_more"]:
                break
            params["starting_after"] = body["data"][-1]["id"]


def _population_shapes(sandbox: Sandbox, client: stripe.StripeClient) -> None:
    """The shapes only the generated population has: add-on items, trials, pending
    cancellations, full and partial refunds, disputes in every state it plants."""
    info = sandbox.state.scenarios["population"]
    planted = {
        "multi-item": info.multi_item_customer_ids,
        "trialing": info.trialing_customer_ids,
        "cancel-pending": info.cancel_pending_customer_ids,
        "refunds": info.refund_ids,
        "disputes": info.dispute_ids,
    }
    empty = [name for name, ids in planted.items() if not ids]
    assert not empty, f"the demo population planted no {empty}: grow POPULATION"
    for customer in (*info.multi_item_customer_ids[:2], *info.trialing_customer_ids[:2]):
        client.raw_request("get", "/v1/subscriptions", customer=customer, status="all")
    for customer in info.cancel_pending_customer_ids[:2]:
        client.raw_request("get", "/v1/subscriptions", customer=customer)
        client.raw_request("get", "/v1/invoices", customer=customer, expand=["data.payments"])
    for refund in info.refund_ids[:4]:
        client.raw_request("get", f"/v1/refunds/{refund}", expand=["charge.customer"])
    for dispute in info.dispute_ids[:4]:
        client.raw_request("get", f"/v1/disputes/{dispute}", expand=["charge.customer"])


def _errors(sandbox: Sandbox, client: stripe.StripeClient, customer: str) -> None:
    _quietly(lambda: client.raw_request("get", "/v1/customers/cus_doesnotexist"))
    _quietly(lambda: client.raw_request("get", "/v1/customers", colour="blue"))
    _quietly(lambda: client.raw_request("get", "/v1/customers", limit="many"))
    _quietly(
        lambda: client.raw_request("post", "/v1/refunds", charge="ch_doesnotexist", amount=100)
    )
    revoked = sandbox.stripe_client("sk_test_", max_network_retries=0)
    _quietly(lambda: revoked.raw_request("get", "/v1/customers", limit=1))
    _quietly(lambda: client.raw_request("get", f"/v1/customers/{customer}/subscriptions/x"))
