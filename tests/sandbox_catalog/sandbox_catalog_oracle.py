"""An independent, literal reading of docs/anomalies.md over raw sandbox dicts.

It exists to check the catalog's recorded expectations (and the population's planted
duplicates), not to replace ``billing_tui.core.anomalies``: it works on wire dicts, returns only the
codes, and follows the table's wording as directly as possible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from billing_tui.core.settings import DEFAULT_SETTINGS, Settings
from billing_tui.sandbox.state import SandboxState

LIVE = {"active", "trialing", "past_due", "unpaid"}
CLOSED_DISPUTES = {"won", "lost", "warning_closed", "prevented"}
JSON = dict[str, Any]


def _person(sub: JSON, keys: Iterable[str]) -> str | None:
    for key in keys:
        value = sub["metadata"].get(key)
        if value:
            return str(value)
    return None


def _different_people(a: JSON, b: JSON, keys: Iterable[str]) -> bool:
    pa, pb = _person(a, keys), _person(b, keys)
    return pa is not None and pb is not None and pa != pb


def _card_ends_before(card: JSON, when: int) -> bool:
    year, month = card["exp_year"], card["exp_month"] + 1
    if month == 13:
        year, month = year + 1, 1
    return int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()) <= when


def _intervals(sub: JSON) -> set[tuple[str, str, int]]:
    return {
        (i["price"]["product"], i["price"]["recurring"]["interval"],
         i["price"]["recurring"]["interval_count"])
        for i in sub["items"]["data"]
    }  # fmt: skip


def detect(
    state: SandboxState, customer_ids: Iterable[str], settings: Settings = DEFAULT_SETTINGS
) -> dict[str, set[str]]:
    """Anomaly code -> the refs that raised it, for the snapshot of ``customer_ids``."""
    now = state.now()
    cids = list(customer_ids)
    customers = [c for c in (state.get("customer", cid) for cid in cids) if c is not None]
    subs = [s for s in state.all("subscription") if s["customer"] in cids]
    invoices = [i for i in state.all("invoice") if i["customer"] in cids]
    charges = [c for c in state.all("charge") if c["customer"] in cids]
    charge_ids = {c["id"] for c in charges}
    disputes = [d for d in state.all("dispute") if d["charge"] in charge_ids]
    pms = [p for p in state.all("payment_method") if p["customer"] in cids]
    found: dict[str, set[str]] = {}

    def raise_(code: str, *refs: str) -> None:
        found.setdefault(code, set()).update(refs)

    live = [s for s in subs if s["status"] in LIVE]
    keys = settings.person_metadata_keys
    dup_subs: set[str] = set()
    for cust in customers:
        mine = sorted((s for s in live if s["customer"] == cust["id"]), key=lambda s: s["created"])
        for a, b in combinations(mine, 2):
            prices_a = {i["price"]["id"] for i in a["items"]["data"]}
            prices_b = {i["price"]["id"] for i in b["items"]["data"]}
            same = bool(prices_a & prices_b) or bool(_intervals(a) & _intervals(b))
            close = abs(a["created"] - b["created"]) <= settings.duplicate_window_seconds
            singles = all(i["quantity"] == 1 for s in (a, b) for i in s["items"]["data"])
            if same and close and singles and not _different_people(a, b, keys):
                raise_("duplicate_subscription", a["id"], b["id"])
                dup_subs.update({a["id"], b["id"]})
        # team: quantity > 1, or ≥2 live subs to one product naming different people
        for s in mine:
            if any((i["quantity"] or 0) > 1 for i in s["items"]["data"]):
                raise_("team_purchase_pattern", s["id"])
        for a, b in combinations(mine, 2):
            products_a = {i["price"]["product"] for i in a["items"]["data"]}
            products_b = {i["price"]["product"] for i in b["items"]["data"]}
            if products_a & products_b and _different_people(a, b, keys):
                raise_("team_purchase_pattern", a["id"], b["id"])
            by_interval_a = {(p, iv) for p, iv, _ in _intervals(a)}
            by_interval_b = {(p, iv) for p, iv, _ in _intervals(b)}
            for prod in products_a & products_b:
                ivs = {iv for p, iv in by_interval_a | by_interval_b if p == prod}
                if {"month", "year"} <= ivs:
                    raise_("mixed_interval", a["id"], b["id"])

    emails: dict[str, list[JSON]] = {}
    for cust in customers:
        if cust.get("email"):
            emails.setdefault(cust["email"].strip().lower(), []).append(cust)
    for group in emails.values():
        if len(group) >= 2:
            raise_("duplicate_customer", *(c["id"] for c in group))
            for a, b in combinations(group, 2):
                for sa in (s for s in live if s["customer"] == a["id"]):
                    for sb in (s for s in live if s["customer"] == b["id"]):
                        pa = {i["price"]["product"] for i in sa["items"]["data"]}
                        pb = {i["price"]["product"] for i in sb["items"]["data"]}
                        if pa & pb:
                            raise_("cross_customer_duplicate", sa["id"], sb["id"])

    for s in subs:
        if s["status"] in {"past_due", "unpaid"}:
            raise_("payment_failed", s["id"])
        if s["status"] in {"incomplete", "incomplete_expired"}:
            raise_("incomplete_checkout", s["id"])
        if s["status"] in LIVE and (s["cancel_at_period_end"] or s["cancel_at"]):
            raise_("cancel_pending", s["id"])
    for inv in invoices:
        if inv["status"] == "open" and inv["attempt_count"] >= 1:
            raise_("payment_failed", inv["id"])
        recent = inv["created"] >= now - settings.proration_lookback_days * 86400
        lines = inv["lines"]["data"]
        if recent and any(
            (line["parent"] or {}).get(line["parent"]["type"], {}).get("proration")
            for line in lines
            if line["parent"]
        ):
            raise_("proration_activity", inv["id"])

    for cust in customers:
        cid = cust["id"]
        mine = [s for s in live if s["customer"] == cid]
        has_pm = any(p["customer"] == cid for p in pms)
        default = cust["invoice_settings"]["default_payment_method"]
        if default is None:
            default = next(
                (s["default_payment_method"] for s in mine if s["default_payment_method"]), None
            )
        pm = state.get("payment_method", default) if default else None
        if pm is not None and pm["type"] == "card":
            card = pm["card"]
            if _card_ends_before(card, now):
                raise_("card_expired", pm["id"])
            else:
                for s in mine:
                    if s["cancel_at_period_end"] or s["cancel_at"]:
                        continue
                    end = min(i["current_period_end"] for i in s["items"]["data"])
                    if _card_ends_before(card, end):
                        raise_("card_expires_before_renewal", pm["id"], s["id"])
        for s in mine:
            if (
                s["collection_method"] == "charge_automatically"
                and s["status"] != "trialing"
                and not has_pm
            ):
                raise_("no_payment_method", cid, s["id"])
            if (
                s["status"] == "trialing"
                and s["trial_end"] is not None
                and s["trial_end"] - now <= settings.trial_warning_days * 86400
                and not has_pm
            ):
                raise_("trial_ending_without_payment_method", s["id"])
        if cust["balance"] != 0:
            raise_("customer_balance", cid)

        configs = list(state.all("billing_portal.configuration"))
        named = state.get(
            "billing_portal.configuration",
            cust["metadata"].get(settings.portal_configuration_metadata_key, ""),
        )
        config = named if named is not None and named["active"] else None
        if config is None:
            config = next((c for c in configs if c["active"] and c["is_default"]), None)
        if config is None:
            raise_("portal_missing")
        else:
            features = config["features"]
            if not features["subscription_cancel"]["enabled"]:
                raise_("portal_cancel_disabled", config["id"])
            if not features["payment_method_update"]["enabled"]:
                raise_("portal_payment_update_disabled", config["id"])
            if not features["invoice_history"]["enabled"]:
                raise_("portal_invoice_history_disabled", config["id"])

    for d in disputes:
        if d["status"] not in CLOSED_DISPUTES:
            raise_("disputed_charge", d["charge"], d["id"])
    for c in charges:
        if c["disputed"]:
            raise_("disputed_charge", c["id"])
        if c["amount_refunded"] > 0 and c["created"] >= now - settings.recent_days * 86400:
            raise_("refunded_charge", c["id"])

    # double charge: succeeded, not fully refunded, not covered by a duplicate_subscription
    sub_of_charge: dict[str, str | None] = {}
    inv_by_id = {i["id"]: i for i in invoices}
    for inpay in state.all("invoice_payment"):
        inv = inv_by_id.get(inpay["invoice"])
        pi = state.get("payment_intent", inpay["payment"].get("payment_intent") or "")
        if inv is None or pi is None or inv["parent"] is None:
            continue
        for c in charges:
            if c["payment_intent"] == pi["id"]:
                sub_of_charge[c["id"]] = inv["parent"]["subscription_details"]["subscription"]
    ok = sorted(
        (c for c in charges if c["status"] == "succeeded" and not c["refunded"]),
        key=lambda c: c["created"],
    )
    window = settings.double_charge_window_seconds
    for n, a in enumerate(ok):
        for b in ok[n + 1 :]:
            if b["created"] - a["created"] > window:
                break
            if (a["customer"], a["amount"], a["currency"]) != (
                b["customer"],
                b["amount"],
                b["currency"],
            ):
                continue
            covered = (
                sub_of_charge.get(a["id"]) in dup_subs and sub_of_charge.get(b["id"]) in dup_subs
            )
            if not covered:
                raise_("double_charge", a["id"], b["id"])
    return found
