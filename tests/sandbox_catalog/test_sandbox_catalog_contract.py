"""Every object the catalog and the population emit has Stripe's current wire shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from billing_tui.sandbox.state import PREFIXES, SandboxState
from tests.sandbox_catalog.sandbox_catalog_shapes import SDK_CLASSES, fixtures, unknown_keys

#: Keys the current API (2026-10-28.endive) removed; they must never appear.
REMOVED: dict[str, tuple[str, ...]] = {
    "subscription": ("current_period_start", "current_period_end", "plan", "quantity", "price"),
    "invoice": ("charge", "payment_intent", "subscription", "paid", "paid_out_of_band"),
    "charge": ("invoice", "refunds"),
    "payment_intent": ("invoice", "charges"),
    "dispute": ("customer",),
}


def _objects(st: SandboxState) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind, bucket in st.objects.items():
        for obj in bucket.values():
            yield kind, obj


@pytest.fixture
def loaded(loaded_all: SandboxState) -> SandboxState:
    return loaded_all


def test_every_emitted_key_exists_on_stripes_fixture_or_sdk_class(loaded: SandboxState) -> None:
    problems = sorted({p for kind, obj in _objects(loaded) for p in unknown_keys(kind, obj)})
    assert problems == []


def test_every_kind_the_catalog_emits_is_checked(loaded: SandboxState) -> None:
    kinds = {kind for kind, _ in _objects(loaded)}
    assert kinds <= set(SDK_CLASSES)
    assert {"subscription", "invoice", "invoice_payment", "charge", "payment_method"} <= kinds
    assert set(SDK_CLASSES) <= set(fixtures())


def test_removed_fields_are_absent(loaded: SandboxState) -> None:
    for kind, obj in _objects(loaded):
        present = [k for k in REMOVED.get(kind, ()) if k in obj]
        assert present == [], f"{obj['id']} carries removed fields {present}"


def test_objects_are_stored_with_their_own_type_and_prefix(loaded: SandboxState) -> None:
    for kind, obj in _objects(loaded):
        assert obj["object"] == kind
        assert obj["id"].startswith(PREFIXES[kind] + "_")
        assert obj.get("livemode", False) is False


def test_subscriptions_carry_what_the_workstation_reads(loaded: SandboxState) -> None:
    for sub in loaded.all("subscription"):
        assert sub["items"]["object"] == "list"
        for item in sub["items"]["data"]:
            assert item["current_period_start"] < item["current_period_end"]
            assert item["price"]["recurring"]["interval"] in {"day", "week", "month", "year"}
            assert isinstance(item["price"]["product"], str)
            assert item["quantity"] >= 1
            assert loaded.get("subscription_item", item["id"]) is item


def test_invoices_link_to_subscription_lines_and_payments(loaded: SandboxState) -> None:
    payments = {p["invoice"]: p for p in loaded.all("invoice_payment")}
    for inv in loaded.all("invoice"):
        parent = inv["parent"]
        if parent is not None:
            sub_id = parent["subscription_details"]["subscription"]
            assert loaded.get("subscription", sub_id) is not None
        assert inv["total"] == sum(line["amount"] for line in inv["lines"]["data"])
        for line in inv["lines"]["data"]:
            if line["parent"]["type"] == "subscription_item_details":
                details = line["parent"]["subscription_item_details"]
                assert isinstance(details["proration"], bool)
                assert loaded.get("subscription_item", details["subscription_item"]) is not None
        if inv["status"] == "paid" and inv["amount_paid"] > 0:
            inpay = payments[inv["id"]]
            assert inpay["amount_paid"] == inv["amount_paid"]
            pi = loaded.get("payment_intent", inpay["payment"]["payment_intent"])
            assert pi is not None
            assert pi["status"] == "succeeded"
            ch = loaded.get("charge", pi["latest_charge"])
            assert ch is not None
            assert ch["status"] == "succeeded"
            assert ch["amount"] == inv["amount_paid"]
            assert ch["currency"] == inv["currency"]
            card = ch["payment_method_details"]["card"]
            assert {"brand", "last4", "exp_month", "exp_year"} <= set(card)


def test_charge_refund_totals_agree(loaded: SandboxState) -> None:
    refunded: dict[str, int] = {}
    for re_ in loaded.all("refund"):
        refunded[re_["charge"]] = refunded.get(re_["charge"], 0) + re_["amount"]
    for ch in loaded.all("charge"):
        assert ch["amount_refunded"] == refunded.get(ch["id"], 0)
        assert ch["refunded"] == (ch["amount_refunded"] == ch["amount"])


def _has(obj: Any, path: str) -> bool:
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


#: Paths the gateway reads; every object of the kind must carry them (values may be null).
RELIED_ON: dict[str, tuple[str, ...]] = {
    "subscription": ("customer", "status", "items.data", "latest_invoice", "cancel_at_period_end",
                     "cancel_at", "trial_end", "default_payment_method", "metadata", "created"),
    "invoice": ("customer", "status", "total", "amount_due", "amount_paid", "amount_remaining",
                "attempt_count", "next_payment_attempt", "lines.data", "parent",
                "status_transitions.paid_at", "billing_reason", "number", "hosted_invoice_url"),
    "invoice_payment": ("invoice", "payment.type", "payment.payment_intent", "amount_paid",
                        "amount_requested", "status", "is_default"),
    "payment_intent": ("latest_charge", "status", "customer", "amount", "currency"),
    "charge": ("payment_method_details.card.brand", "payment_method_details.card.last4",
               "payment_method_details.card.exp_month", "payment_method_details.card.exp_year",
               "payment_method_details.card.fingerprint", "payment_intent", "customer",
               "amount_refunded", "refunded", "disputed", "status"),
    "customer": ("email", "name", "metadata", "balance", "preferred_locales",
                 "invoice_settings.default_payment_method", "currency", "delinquent"),
    "payment_method": ("customer", "card.brand", "card.last4", "card.exp_month",
                       "card.exp_year", "card.fingerprint"),
    "refund": ("charge", "amount", "status", "reason", "payment_intent"),
    "dispute": ("charge", "payment_intent", "status", "is_charge_refundable",
                "evidence_details.due_by", "amount"),
    "billing_portal.configuration": (
        "active", "is_default", "features.subscription_cancel.enabled",
        "features.payment_method_update.enabled", "features.invoice_history.enabled",
        "features.customer_update.enabled", "features.subscription_update.enabled"),
}  # fmt: skip


def test_the_keys_the_workstation_relies_on_are_present(loaded_later: SandboxState) -> None:
    for kind, obj in _objects(loaded_later):
        missing = [p for p in RELIED_ON.get(kind, ()) if not _has(obj, p)]
        assert missing == [], f"{obj['id']} lacks {missing}"
    for sub in loaded_later.all("subscription"):
        for item in sub["items"]["data"]:
            assert _has(item, "current_period_end")
            assert _has(item, "price.recurring.interval")
            assert _has(item, "price.recurring.interval_count")
    for inv in loaded_later.all("invoice"):
        if inv["parent"] is not None:
            assert _has(inv, "parent.subscription_details.subscription")
