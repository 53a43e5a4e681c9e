"""The handoff: six sections, localized follow-ups from data files, product gaps, redaction."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from billing_tui.core import handoff as ho
from billing_tui.core.anomalies import Anomaly, Severity
from billing_tui.core.classify import Bucket
from billing_tui.core.model import Money
from billing_tui.core.plans import ActionOutcome, recommend
from billing_tui.core.text import redact
from tests.actions.actions_builders import (
    classified,
    customer,
    duplicate_snapshot,
    portal,
    snapshot,
    subscription,
)

DUP = Anomaly(
    "duplicate_subscription",
    Severity.CRITICAL,
    "Duplicate subscription",
    "2 subscriptions to Pro created 94 s apart",
    ("sub_orig0001", "sub_dupe0002"),
)


def duplicate_outcomes() -> list[ActionOutcome]:
    plans = recommend(classified(Bucket.DUPLICATE_PERSONAL), duplicate_snapshot())
    cancel, _later, refund, note = plans
    return [
        ActionOutcome(cancel, "succeeded", "canceled", ("sub_dupe0002",), "req_1", "k1"),
        ActionOutcome(refund, "succeeded", "refunded", ("re_0001abcd",), "req_2", "k2"),
        ActionOutcome(note, "succeeded", "documented"),
    ]


def test_handoff_has_exactly_the_six_sections_in_order() -> None:
    result = ho.render(
        duplicate_snapshot(),
        (DUP,),
        classified(Bucket.DUPLICATE_PERSONAL),
        duplicate_outcomes(),
        case_id="case-202611-01-abcdef12",
    )
    assert [name for name, _ in result.sections] == list(ho.SECTION_TITLES)
    text = result.text()
    assert text.startswith("CUSTOMER\ncase case-202611-01-abcdef12\nJane Doe / j***@example.com")
    assert "jane.doe@example.com" not in text
    action = result.section("ACTION TAKEN")
    assert "re_0001abcd" in action
    assert "refund $19.00" in action
    assert "MRR -$19.00, ARR -$228.00" in action
    assert "[critical] duplicate_subscription" in result.section("BILLING STATE")
    assert result.section("DECISION").startswith("duplicate_personal (confirmed)")
    assert result.section("FOLLOW-UP") == result.follow_up
    assert "Checkout lets a customer buy the same subscription twice" in result.section(
        "PRODUCT GAP"
    )


def test_english_follow_up_names_amount_card_and_refund_timing() -> None:
    result = ho.render(
        duplicate_snapshot(), (DUP,), classified(Bucket.DUPLICATE_PERSONAL), duplicate_outcomes()
    )
    assert result.locale == "en"
    message = result.follow_up
    assert message.startswith("Hi Jane,")
    assert "I have cancelled the extra one" in message
    assert "$19.00" in message
    assert "Visa card ending in 4242" in message
    assert "5–10 business days" in message
    assert "[" not in message, "every placeholder is filled"


def test_chinese_follow_up_is_chosen_from_preferred_locales_and_can_be_overridden() -> None:
    snap = duplicate_snapshot()
    zh_customer = replace(snap.customers[0], preferred_locales=("zh-CN", "en"))
    snap = replace(snap, customers=(zh_customer,))
    result = ho.render(snap, (DUP,), classified(Bucket.DUPLICATE_PERSONAL), duplicate_outcomes())
    assert result.locale == "zh"
    assert result.follow_up.startswith("Jane Doe，您好：")
    assert "$19.00" in result.follow_up
    assert "5–10 个工作日" in result.follow_up
    assert "尾号 4242 的 Visa 卡" in result.follow_up
    english = ho.render(
        snap, (DUP,), classified(Bucket.DUPLICATE_PERSONAL), duplicate_outcomes(), locale="en"
    )
    assert english.locale == "en"
    assert english.follow_up.startswith("Hi Jane,")


def test_period_end_cancel_follow_up_gives_the_access_date() -> None:
    sub = subscription("sub_stay0001")
    snap = snapshot(subs=(sub,), portal_config=portal(cancel_enabled=False))
    plans = recommend(classified(Bucket.MISSING_SELF_SERVE), snap)
    cancel = next(p for p in plans if p.param("mode") == "at_period_end")
    result = ho.render(
        snap, (), classified(Bucket.MISSING_SELF_SERVE), [ActionOutcome(cancel, "succeeded", "ok")]
    )
    assert "You keep access until December 21, 2026" in result.follow_up
    gaps = [g.code for g in result.product_gaps]
    assert gaps == ["no_cancellation_flow"]
    gap = result.product_gaps[0]
    assert gap.body.startswith("## Problem")
    assert "## Done when" in gap.body


def test_portal_link_goes_into_the_follow_up_and_unfilled_values_stay_visible() -> None:
    sub = subscription("sub_late0001")
    snap = snapshot(subs=(sub,), portal_config=portal())
    portal_plan = recommend(classified(Bucket.FAILED_PAYMENT), snap)[0]
    sent = ActionOutcome(portal_plan, "succeeded", "ok", url="https://billing.example/p/abc")
    result = ho.render(snap, (), classified(Bucket.FAILED_PAYMENT), [sent])
    assert "https://billing.example/p/abc" in result.follow_up
    assert "[invoice_amount]" in result.follow_up  # no open invoice in this snapshot: flagged


def test_product_gaps_for_a_missing_portal_and_a_product_failure() -> None:
    snap = snapshot(subs=(subscription("sub_x0000001"),), portal_config=None)
    missing = Anomaly("portal_missing", Severity.CRITICAL, "No billing portal", "")
    gaps = ho.product_gaps(snap, (missing,), Bucket.PRODUCT_FAILURE, case_id="case-1")
    assert [g.code for g in gaps] == ["no_billing_portal", "no_usage_visibility"]
    assert all(g.title and "case-1" in g.body for g in gaps)
    team = ho.product_gaps(snap, (), Bucket.TEAM_INTENT)
    assert [g.code for g in team] == ["no_billing_portal", "no_plan_seat_explanation"]


def test_redaction_masks_keys_emails_and_card_numbers() -> None:
    text = (
        "key sk_live_" + "a1B2" * 6 + " mail bob@example.org card 4242 4242 4242 4242 on 2026-12-20"
    )
    redacted = redact(text)
    assert "sk_live_…" + "a1B2" in redacted
    assert "a1B2a1B2" not in redacted
    assert "b***@example.org" in redacted
    assert "4242 4242" not in redacted
    assert "2026-12-20" in redacted


def test_operator_edited_follow_up_is_used_but_redacted() -> None:
    result = ho.render(
        duplicate_snapshot(),
        (),
        classified(Bucket.DUPLICATE_PERSONAL),
        (),
        follow_up_text="Hi, write to jane.doe@example.com",
    )
    assert result.follow_up == "Hi, write to j***@example.com"
    assert result.section("ACTION TAKEN") == (
        "no action: documented only\nstill owed by this case:\n"
        "- sub_dupe0002 still duplicates sub_orig0001 and renews"
    )


def test_a_team_adds_a_language_with_a_data_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    french = json.loads((ho.TEMPLATE_DIR / "en.json").read_text(encoding="utf-8"))
    french.update(locale="fr", language="Français", match=["fr"], greeting="Bonjour {name},")
    (tmp_path / "fr.json").write_text(json.dumps(french), encoding="utf-8")
    monkeypatch.setenv(ho.TEMPLATE_ENV, str(tmp_path))
    snap = replace(duplicate_snapshot(), customers=(customer(preferred_locales=("fr-FR",)),))
    result = ho.render(snap, (), classified(Bucket.DUPLICATE_PERSONAL), duplicate_outcomes())
    assert result.locale == "fr"
    assert result.follow_up.startswith("Bonjour Jane,")
    assert set(ho.available_locales()) >= {"en", "zh", "fr"}


def test_a_broken_template_file_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text('{"locale": "en"}', encoding="utf-8")
    with pytest.raises(ho.TemplateError, match=r"en\.json: missing greeting"):
        ho.load_templates([tmp_path])
    with pytest.raises(ho.TemplateError, match="no follow-up templates for 'xx'"):
        ho.choose_locale((), "xx")


def test_jpy_amounts_are_formatted_in_the_customer_currency() -> None:
    from tests.actions.actions_builders import paid_invoice_and_charge, price

    sub = subscription("sub_yen00001", p=price(1200, "jpy", pid="price_yen"))
    inv, ch = paid_invoice_and_charge(sub)
    snap = snapshot(subs=(sub,), invoices=(inv,), charges=(ch,), portal_config=portal())
    refund = recommend(classified(Bucket.PRODUCT_FAILURE), snap)[0]
    assert refund.amount == Money(1200, "jpy")
    result = ho.render(
        snap, (), classified(Bucket.PRODUCT_FAILURE), [ActionOutcome(refund, "succeeded", "ok")]
    )
    assert "¥1,200" in result.follow_up


def test_a_recorded_handoff_has_the_same_sections_from_the_one_assembler() -> None:
    live = ho.render(
        duplicate_snapshot(),
        (DUP,),
        classified(Bucket.DUPLICATE_PERSONAL),
        duplicate_outcomes(),
        case_id="case-1",
    )
    recorded = ho.render_recorded(
        case_id="case-1",
        masked_email="j***@example.com",
        customer_ids=("cus_1",),
        anomaly_codes=("duplicate_subscription",),
        livemode=True,
        classification=classified(Bucket.DUPLICATE_PERSONAL),
        actions=[ho.TakenAction.from_outcome(o) for o in duplicate_outcomes()],
        follow_up="",
        gap_titles=[gap.title for gap in live.product_gaps],
    )
    assert [name for name, _ in recorded.sections] == [name for name, _ in live.sections]
    assert tuple(ho.Section) == ho.SECTION_TITLES
    assert recorded.section(ho.Section.CUSTOMER) == "case case-1\nj***@example.com · cus_1"
    assert recorded.section(ho.Section.BILLING_STATE) == (
        "recorded anomalies: duplicate_subscription\nLIVE mode"
    )
    for same in (ho.Section.DECISION, ho.Section.PRODUCT_GAP):
        assert recorded.section(same) == live.section(same)
    # the same actions; what the case still owes needs Stripe's state, which a record lacks
    taken, owed = live.section(ho.Section.ACTION_TAKEN).split("\nstill owed by this case:\n")
    assert recorded.section(ho.Section.ACTION_TAKEN) == taken
    assert "ch_dupe0002 of the canceled duplicate sub_dupe0002 is not refunded" in owed
    assert recorded.section(ho.Section.FOLLOW_UP) == "(no follow-up saved)"
    assert recorded.follow_up == ""
    assert recorded.locale == ""
