"""Property: the gateway survives any object Stripe's schema allows.

Each resource is generated from ``stripe-sdk-schema.json`` (optional fields present or absent,
nullable ones null, expandable ones ids or objects, unknown values in open enums, keys a newer
API version would add) and served through the real SDK client over an in-process transport
(:mod:`tests.robustness.generated_stripe`). For every example the snapshot is built without
raising, every served object is in it (or, if it could not be read, named in a failure the
customer screen shows), and an unknown status or interval is shown as "unknown (<value>)" with
the plans that need it refusing to act.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billing_tui.cli.inspect_report import InspectReport
from billing_tui.core.anomalies import detect
from billing_tui.core.model import KNOWN_INTERVALS, CustomerSnapshot, SubscriptionStatus
from billing_tui.core.open_enums import CHARGE_STATUSES, DISPUTE_STATUSES, INVOICE_STATUSES
from billing_tui.core.plans import plan_cancel, plan_update_quantity
from billing_tui.gateway import Gateway, build_client
from billing_tui.gateway.convert import ref_id
from tests.gateway.conftest import FAST, KEY
from tests.robustness.generated_stripe import (
    CUSTOMER_ID,
    PROFILE,
    Account,
    GeneratedStripe,
    wire_list,
)
from tests.robustness.schema_strategies import strategies

JSON = dict[str, Any]
S = strategies()
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)

#: The one customer the other resources belong to (its own shapes are generated below).
CUSTOMER: JSON = {
    "id": CUSTOMER_ID, "object": "customer", "created": 1_700_000_000, "livemode": False,
    "email": "gen@example.com", "name": "Generated", "metadata": {}, "balance": 0,
    "currency": "usd", "delinquent": False, "invoice_settings": {"default_payment_method": None},
}  # fmt: skip


def _numbered(prefix: str) -> Any:
    """Give generated objects distinct ids (``sub_gen0``, ``sub_gen1``…), Stripe-shaped."""

    def number(objs: list[JSON]) -> list[JSON]:
        return [{**obj, "id": f"{prefix}_gen{i}"} for i, obj in enumerate(objs)]

    return number


def _many(definition: str, prefix: str, *, max_size: int = 2) -> st.SearchStrategy[list[JSON]]:
    return st.lists(S.resource(definition), min_size=1, max_size=max_size).map(_numbered(prefix))


def _one_currency(subs: list[JSON]) -> list[JSON]:
    """Stripe bills a subscription in one currency: its items' prices are in the
    subscription's currency (the schema cannot say so)."""
    for sub in subs:
        for item in sub["items"]["data"]:
            item["price"]["currency"] = sub["currency"]
    return subs


def _carrier_charge(i: int, **fields: Any) -> JSON:
    """A plain charge that carries generated refunds, disputes or payment intents."""
    return {
        "id": f"ch_carrier{i}", "object": "charge", "amount": 5000, "amount_captured": 5000,
        "amount_refunded": 0, "currency": "usd", "created": 1_700_000_100 + i,
        "status": "succeeded", "paid": True, "refunded": False, "disputed": False,
        "customer": CUSTOMER_ID, "livemode": False, "metadata": {}, **fields,
    }  # fmt: skip


def _carrier_invoice(i: int, **fields: Any) -> JSON:
    return {
        "id": f"in_carrier{i}", "object": "invoice", "customer": CUSTOMER_ID, "currency": "usd",
        "status": "paid", "total": 5000, "amount_due": 5000, "amount_paid": 5000,
        "amount_remaining": 0, "created": 1_700_000_200 + i, "livemode": False,
        "lines": wire_list(f"/v1/invoices/in_carrier{i}/lines", []), **fields,
    }  # fmt: skip


def snapshot_of(account: Account) -> CustomerSnapshot:
    """``inspect <customer id>`` on the generated account, as the command runs it: the lookup
    (resolution and snapshot), the detectors and both renderings. Nothing may raise, and only
    requests the account answers are sent."""
    transport = GeneratedStripe(account)
    gateway = Gateway(build_client(KEY, settings=FAST, http_client=transport), settings=FAST)
    found = asyncio.run(gateway.lookup(str(account.customer["id"])))
    assert transport.unexpected == []
    snap = found.snapshot
    assert snap is not None
    report = InspectReport.of(found, snap, detect(snap, now=NOW), mode="test", now=NOW)
    report.text()
    json.dumps(report.to_json())
    return snap


def assert_kept(snap: CustomerSnapshot, part: str, served: list[str], kept: list[str]) -> None:
    """Every served object is in the snapshot, or named in a failure of its part."""
    notes = [f.message for f in snap.failures if f.part == part]
    for obj_id in served:
        assert obj_id in kept or any(obj_id in note for note in notes), (
            f"{part}: {obj_id} vanished without a note (failures: {snap.failures})"
        )


def expected_status(raw: Any, known: frozenset[str], default: str) -> str:
    value = str(raw or default)
    return value if value in known else f"unknown ({value})"


# --------------------------------------------------------------------------- customers


@PROFILE
@given(
    customer=st.one_of(S.resource("Customers.Customer"), S.resource("Customers.DeletedCustomer"))
)
def test_any_customer_is_shown(customer: JSON) -> None:
    account = Account(customer={**customer, "id": CUSTOMER_ID})
    snap = snapshot_of(account)
    assert snap.customer_ids == (CUSTOMER_ID,)
    assert snap.primary.deleted == bool(customer.get("deleted"))
    assert snap.failures == ()


# --------------------------------------------------------------------------- subscriptions


@PROFILE
@given(subs=_many("Subscriptions.Subscription", "sub").map(_one_currency))
def test_any_subscription_is_shown_and_unknowns_block_its_plans(subs: list[JSON]) -> None:
    snap = snapshot_of(Account(customer=CUSTOMER, subscriptions=subs))
    assert_kept(snap, "subscriptions", [s["id"] for s in subs], [s.id for s in snap.subscriptions])
    for raw in subs:
        sub = snap.subscription(raw["id"])
        assert sub is not None
        known = {s.value for s in SubscriptionStatus} - {"unknown"}
        status = str(raw["status"])
        assert sub.status_label == (status if status in known else f"unknown ({status})")
        items = raw["items"]["data"]
        assert [i.id for i in sub.items] == [str(i["id"]) for i in items]
        for item, raw_item in zip(sub.items, items, strict=True):
            interval = (raw_item["price"].get("recurring") or {}).get("interval")
            if interval is not None and interval not in KNOWN_INTERVALS:
                assert f"unknown ({interval})" in item.price.label
        sub.mrr.format()  # never a KeyError: an unknown interval has no monthly figure
        for at_period_end in (False, True):
            plan = plan_cancel(snap, sub.id, at_period_end=at_period_end)
            if sub.unknown_values:
                assert plan.blocked_reason is not None
                assert "unknown (" in plan.blocked_reason
        seats = plan_update_quantity(snap, sub.id, sub.quantity + 1)
        if sub.unknown_values:
            assert seats.blocked_reason is not None
            assert "unknown (" in seats.blocked_reason


# --------------------------------------------------------------------------- invoices


@PROFILE
@given(invoices=_many("Invoices.Invoice", "in"), drop_payments=st.booleans())
def test_any_invoice_is_shown_with_its_lines(invoices: list[JSON], drop_payments: bool) -> None:
    if drop_payments:  # a server that ignored the include: the fallback read answers []
        invoices = [{k: v for k, v in inv.items() if k != "payments"} for inv in invoices]
    snap = snapshot_of(Account(customer=CUSTOMER, invoices=invoices))
    assert_kept(snap, "invoices", [i["id"] for i in invoices], [i.id for i in snap.invoices])
    for raw in invoices:
        inv = snap.invoice(raw["id"])
        assert inv is not None
        assert inv.status == expected_status(raw["status"], INVOICE_STATUSES, "draft")
        assert len(inv.lines) == len(raw["lines"]["data"])
        embedded = raw.get("payments")
        if isinstance(embedded, dict):
            assert [p.id for p in inv.payments] == [str(p["id"]) for p in embedded["data"]]


@PROFILE
@given(payments=_many("InvoicePayments.InvoicePayment", "inpay", max_size=3), embed=st.booleans())
def test_any_invoice_payment_is_kept_embedded_or_read_again(
    payments: list[JSON], embed: bool
) -> None:
    if embed:
        invoice = _carrier_invoice(0, payments=wire_list("/v1/invoice_payments", payments))
        served: dict[str, list[JSON]] = {}
    else:  # not embedded: only the fallback read can find them
        invoice, served = _carrier_invoice(0), {"in_carrier0": payments}
    snap = snapshot_of(Account(customer=CUSTOMER, invoices=[invoice], invoice_payments=served))
    inv = snap.invoice("in_carrier0")
    assert inv is not None
    assert [p.id for p in inv.payments] == [p["id"] for p in payments]
    for payment, raw in zip(inv.payments, payments, strict=True):
        assert payment.payment_intent_id == ref_id((raw.get("payment") or {}).get("payment_intent"))


# --------------------------------------------------------------------------- payments


@PROFILE
@given(charges=_many("Charges.Charge", "ch"), refunds=_many("Refunds.Refund", "re"))
def test_any_charge_is_shown_with_its_refunds(charges: list[JSON], refunds: list[JSON]) -> None:
    served: dict[str, list[JSON]] = {}
    for charge in charges:
        if not isinstance(charge.get("refunds"), dict) and charge.get("amount_refunded"):
            served[charge["id"]] = refunds  # not embedded: the fallback read must find these
    snap = snapshot_of(Account(customer=CUSTOMER, charges=charges, refunds=served))
    assert_kept(snap, "charges", [c["id"] for c in charges], [c.id for c in snap.charges])
    for raw in charges:
        charge = snap.charge(raw["id"])
        assert charge is not None
        assert charge.status == expected_status(raw["status"], CHARGE_STATUSES, "pending")
        embedded = raw.get("refunds")
        expected = (
            [str(r["id"]) for r in embedded["data"]]
            if isinstance(embedded, dict)
            else [r["id"] for r in served.get(raw["id"], [])]
        )
        assert [r.id for r in charge.refunds] == expected
        charge.refundable.format()


@PROFILE
@given(refunds=_many("Refunds.Refund", "re", max_size=3), embed=st.booleans())
def test_any_refund_is_kept_embedded_or_read_again(refunds: list[JSON], embed: bool) -> None:
    refunds = [{**r, "charge": "ch_carrier0"} for r in refunds]
    if embed:
        charge = _carrier_charge(0, amount_refunded=100, refunds=wire_list("/v1/refunds", refunds))
        served: dict[str, list[JSON]] = {}
    else:  # a server that ignored the expansion
        charge, served = _carrier_charge(0, amount_refunded=100), {"ch_carrier0": refunds}
    snap = snapshot_of(Account(customer=CUSTOMER, charges=[charge], refunds=served))
    found = snap.charge("ch_carrier0")
    assert found is not None
    assert [r.id for r in found.refunds] == [r["id"] for r in refunds]


@PROFILE
@given(intents=_many("PaymentIntents.PaymentIntent", "pi"))
def test_any_payment_intent_expanded_on_a_charge_or_payment_is_read(intents: list[JSON]) -> None:
    charges = [_carrier_charge(i, payment_intent=pi) for i, pi in enumerate(intents)]
    payments = [
        {"id": f"inpay_carrier{i}", "object": "invoice_payment", "invoice": "in_carrier0",
         "currency": "usd", "amount_requested": 5000, "amount_paid": 5000, "status": "paid",
         "created": 1_700_000_300, "is_default": True, "livemode": False,
         "payment": {"type": "payment_intent", "payment_intent": pi}}
        for i, pi in enumerate(intents)
    ]  # fmt: skip
    invoice = _carrier_invoice(0, payments=wire_list("/v1/invoice_payments", payments))
    snap = snapshot_of(Account(customer=CUSTOMER, charges=charges, invoices=[invoice]))
    assert snap.failures == ()
    ids = [pi["id"] for pi in intents]
    assert sorted(str(c.payment_intent_id) for c in snap.charges) == sorted(ids)
    inv = snap.invoice("in_carrier0")
    assert inv is not None
    assert [p.payment_intent_id for p in inv.payments] == ids


@PROFILE
@given(disputes=_many("Disputes.Dispute", "dp"), expand=st.booleans())
def test_any_dispute_on_the_customers_charge_is_shown(disputes: list[JSON], expand: bool) -> None:
    charge = _carrier_charge(0, disputed=True)
    on_charge = charge if expand else "ch_carrier0"
    disputes = [{**d, "charge": on_charge} for d in disputes]
    snap = snapshot_of(Account(customer=CUSTOMER, charges=[charge], disputes=disputes))
    assert_kept(snap, "disputes", [d["id"] for d in disputes], [d.id for d in snap.disputes])
    for raw in disputes:
        dispute = next(d for d in snap.disputes if d.id == raw["id"])
        assert dispute.charge_id == "ch_carrier0"
        assert dispute.status == expected_status(raw["status"], DISPUTE_STATUSES, "needs_response")


@PROFILE
@given(methods=_many("PaymentMethods.PaymentMethod", "pm", max_size=3))
def test_any_payment_method_is_shown(methods: list[JSON]) -> None:
    snap = snapshot_of(Account(customer=CUSTOMER, payment_methods=methods))
    assert_kept(
        snap, "payment_methods", [m["id"] for m in methods], [m.id for m in snap.payment_methods]
    )
    for method in snap.payment_methods:
        if method.card is not None:
            method.card.label()
