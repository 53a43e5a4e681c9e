"""Words from facts: the seat count in singular or plural in every language, and a business
greeted by its name, never by its first word ("Hi Quillfeather," for "Quillfeather Studio")."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from billing_tui.core import handoff as ho
from billing_tui.core.classify import Bucket
from billing_tui.core.handoff.follow_up import is_business
from billing_tui.core.plans import ActionKind
from tests.actions.actions_builders import classified, customer, price, snapshot, subscription
from tests.truth.truth_scenarios import load_named


def _seat_change(to: int, *, locale: str, seats_before: int = 5) -> str:
    sub = subscription("sub_team0001", p=price(1000, name="Team"), quantity=seats_before)
    change = ho.TakenAction(
        kind=ActionKind.UPDATE_QUANTITY,
        status="succeeded",
        title=f"Change sub_team0001 to {to}",
        params=MappingProxyType({"subscription": sub.id, "quantity": str(to)}),
    )
    snap = snapshot(subs=(sub,))
    return ho.render(snap, (), classified(Bucket.TEAM_INTENT), (change,), locale=locale).follow_up


@pytest.mark.parametrize(
    ("to", "locale", "said"),
    [
        (1, "en", "I have changed Team to 1 seat."),
        (3, "en", "I have changed Team to 3 seats."),
        (1, "zh", "我已将 Team 调整为 1 个席位。"),
        (3, "zh", "我已将 Team 调整为 3 个席位。"),
    ],
)
def test_the_seat_count_is_worded_from_the_fact(to: int, locale: str, said: str) -> None:
    text = _seat_change(to, locale=locale)
    assert said in text
    assert "seat(s)" not in text


def test_the_renewal_after_a_seat_change_on_an_add_on_counts_every_item() -> None:
    base = subscription("sub_addon0001", p=price(1900, name="Pro"), quantity=1)
    seats = subscription("sub_addon0001", p=price(1000, pid="price_seat", name="Seat"), quantity=5)
    sub = replace(base, items=(*base.items, replace(seats.items[0], id="si_addon0001seat")))
    change = ho.TakenAction(
        kind=ActionKind.UPDATE_QUANTITY,
        status="succeeded",
        title="Change sub_addon0001 to 3 seats",
        params=MappingProxyType({"subscription": sub.id, "item": "si_addon0001seat",
                                 "quantity": "3"}),
    )  # fmt: skip
    snap = snapshot(subs=(sub,))
    text = ho.render(snap, (), classified(Bucket.TEAM_INTENT), (change,), locale="en").follow_up
    assert "to 3 seats" in text
    assert "will be for $49.00." in text  # Pro $19.00 + 3 × $10.00


def test_no_template_of_any_language_writes_a_count_with_s_in_brackets() -> None:
    for ts in ho.load_templates().values():
        for table in ts.raw["buckets"].values():
            for sentence in table.values():
                assert "(s)" not in sentence, (ts.locale, sentence)
    en = ho.load_templates()["en"]
    assert (en.count("seat", 1), en.count("seat", 2)) == ("1 seat", "2 seats")


@pytest.mark.parametrize(
    ("name", "email", "metadata", "business"),
    [
        ("Quillfeather Studio", "it.quillfeather@example.com", {}, True),  # a role mailbox
        ("Helios Analytics", "finance.helios@example.com", {"company": "Helios Analytics"}, True),
        ("Vogt GmbH", "lena@example.com", {}, True),  # a legal form
        ("Acme Inc.", "x@example.com", {}, True),
        ("Dana Whitfield", "dana.whitfield@example.com", {}, False),
        ("Dana Whitfield", "billing.acme@example.com", {}, False),  # a role box, not her name
        ("Lena Vogt", "lena.vogt@example.com", {"company": "Vogt Consulting"}, False),
    ],
)
def test_a_business_is_told_apart_by_evidence_in_the_record(
    name: str, email: str, metadata: dict[str, str], business: bool
) -> None:
    record = customer(name=name, email=email, metadata=MappingProxyType(metadata))
    assert is_business(record) is business


def test_a_person_is_greeted_by_first_name_a_business_by_its_name() -> None:
    person = snapshot()
    assert ho.render(person, (), classified(Bucket.TEAM_INTENT)).follow_up.startswith("Hi Jane,")
    studio = replace(
        person,
        customers=(customer(name="Quillfeather Studio", email="it.quillfeather@example.com"),),
    )
    text = ho.render(studio, (), classified(Bucket.TEAM_INTENT)).follow_up
    assert text.startswith("Hi Quillfeather Studio,")


async def test_the_team_bought_twice_scenario_greets_the_studio_by_its_name() -> None:
    loaded = await load_named("team-bought-twice")
    found = loaded.classify().confirm()
    text = ho.render(loaded.snapshot, loaded.anomalies, found).follow_up
    assert text.startswith("Hi Quillfeather Studio,")
    assert "Hi Quillfeather," not in text
