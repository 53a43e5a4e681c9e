"""The ticket's words as evidence: which phrases pre-answer which wizard questions, and when not."""

from __future__ import annotations

import pytest

from billing_tui.core.anomalies import detect
from billing_tui.core.classify import Answers, Bucket, question, suggest
from billing_tui.core.ticket import PHRASES, MatchStatus, Request, TicketReading, read_ticket
from tests.domain.domain_builders import paid_subscription, world


def answered(text: str) -> dict[str, str]:
    return {p.question_id: p.value for p in read_ticket(text).pre_answers}


def only(reading: TicketReading) -> tuple[str, MatchStatus, str]:
    (item,) = reading.evidence
    return item.quote, item.status, item.cue


# --------------------------------------------------------------------------- English


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was charged twice for Pro", {"q_complaint": "charged_twice"}),
        ("You double-charged me!", {"q_complaint": "charged_twice"}),
        ("Why am I paying for Acme Pro twice?", {"q_complaint": "charged_twice"}),
        ("My payment failed this morning", {"q_complaint": "payment_failed"}),
        ("The card expired, sorry", {"q_complaint": "payment_failed"}),
        ("I can’t cancel my plan", {"q_complaint": "cannot_cancel", "q_cancel": "no"}),
        ("the service was down all day", {"q_complaint": "product_broken"}),
        ("Another outage today.", {"q_complaint": "product_broken"}),
        ("Please add two seats for the team", {"q_team": "yes"}),
        ("My colleagues use the other one", {"q_team": "yes", "q_people": "yes"}),
        ("It's just me on this account", {"q_people": "no"}),
        ("Can you confirm my plan renews next month?", {}),
    ],
)
def test_english_phrases_pre_answer_their_questions(text: str, expected: dict[str, str]) -> None:
    assert answered(text) == expected


def test_matching_ignores_case_and_spacing_and_quotes_the_words_as_written() -> None:
    text = "Hello. I was CHARGED \n   twice!"
    reading = read_ticket(text)
    (item,) = reading.evidence
    assert item.quote == "CHARGED twice"
    assert text[item.start : item.end] == "CHARGED \n   twice"
    assert reading.lines() == ("from the ticket: 'CHARGED twice' → q_complaint=charged_twice",)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("I was not charged twice", "not"),
        ("I haven't been double charged", "haven't"),
        ("We never had an outage", "never"),
    ],
)
def test_a_negated_phrase_is_shown_but_answers_nothing(text: str, cue: str) -> None:
    reading = read_ticket(text)
    _, status, found_cue = only(reading)
    assert (status, found_cue) == (MatchStatus.NEGATED, cue)
    assert reading.pre_answers == ()
    assert f"negated by '{cue}': not used" in reading.lines()[0]


def test_negation_in_another_clause_does_not_cancel_the_phrase() -> None:
    assert answered("It is not the card, but I was charged twice") == {
        "q_complaint": "charged_twice"
    }


def test_a_yes_no_question_is_asked_not_stated() -> None:
    reading = read_ticket("I switched to yearly. Did you double charge me?")
    assert only(reading)[1:] == (MatchStatus.ASKED, "Did")
    assert reading.pre_answers == ()
    assert answered("Am I going to be charged twice? My card got declined.") == {
        "q_complaint": "payment_failed"
    }


def test_the_first_stated_complaint_wins_and_the_others_stay_visible() -> None:
    reading = read_ticket("The service was down and then I was charged twice.")
    assert answered(reading.text) == {"q_complaint": "product_broken"}
    assert [e.quote for e in reading.evidence] == ["was down", "charged twice"]


def test_requests_are_evidence_without_an_answer() -> None:
    reading = read_ticket("Please refund one! And reduce our plan to 3 seats.")
    assert reading.requests == (Request.REFUND, Request.CHANGE_SEATS)
    assert answered(reading.text) == {"q_team": "yes"}
    assert read_ticket("Support refunded it last week").requests == ()


# --------------------------------------------------------------------------- Chinese (and Japanese)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我被扣了两次钱", {"q_complaint": "charged_twice"}),
        ("这个月重复扣款了", {"q_complaint": "charged_twice"}),
        ("我无法取消订阅", {"q_complaint": "cannot_cancel", "q_cancel": "no"}),
        ("你们的服务中断了两天", {"q_complaint": "product_broken"}),
        ("服务上周宕机了", {"q_complaint": "product_broken"}),
        ("我的支付失败了", {"q_complaint": "payment_failed"}),
        ("我们团队买了席位", {"q_team": "yes"}),
        ("二重に請求されました", {"q_complaint": "charged_twice"}),
    ],
)
def test_chinese_phrases_pre_answer_their_questions(text: str, expected: dict[str, str]) -> None:
    assert answered(text) == expected


def test_chinese_spacing_negation_and_questions() -> None:
    assert answered("我被 扣 了 两次") == {"q_complaint": "charged_twice"}
    negated = read_ticket("我没有被扣了两次")
    assert only(negated)[1:] == (MatchStatus.NEGATED, "没")
    asked = read_ticket("你们扣了两次吗？")
    assert only(asked)[1:] == (MatchStatus.ASKED, "吗")
    assert read_ticket("请退款").requests == (Request.REFUND,)
    assert only(read_ticket("二重に請求されていません"))[1] == MatchStatus.NEGATED


# --------------------------------------------------------------------------- the table and the seam


def test_every_phrase_answers_with_an_option_its_question_offers() -> None:
    for phrase in PHRASES:
        assert phrase.answers or phrase.request, phrase.text
        for answer in phrase.answers:
            allowed = [value for value, _ in question(answer.question_id).options]
            assert answer.value in allowed, phrase.text


def test_the_ticket_decides_a_healthy_billing_case_and_is_quoted_as_evidence() -> None:
    snap = world(paid_subscription())
    found = detect(snap)
    assert suggest(snap, found).suggested is None
    reading = read_ticket("Your platform was down for two days")
    result = suggest(snap, found, pre_answers=reading.pre_answers)
    assert result.suggested == Bucket.PRODUCT_FAILURE
    assert result.answers.get("q_complaint") == "product_broken"
    assert (
        "From the ticket: 'was down' → q_complaint = the product did not work (outage, missing "
        "feature)"
    ) in [e.sentence for e in result.evidence_for(Bucket.PRODUCT_FAILURE) if e.supports]


def test_the_operators_answer_overrides_the_ticket() -> None:
    snap = world(paid_subscription())
    pre = read_ticket("the service was down").pre_answers
    result = suggest(
        snap, detect(snap), Answers().with_answer("q_complaint", "other"), pre_answers=pre
    )
    assert result.answers.get("q_complaint") == "other"
    assert result.pre_answers == ()
    assert result.suggested is None
    assert not any("From the ticket" in e.sentence for e in result.evidence)
