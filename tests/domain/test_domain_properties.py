"""Properties of the detectors and the classifier over generated billing states (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_tui.core.anomalies import codes, detect
from billing_tui.core.classify import Answers, Bucket, suggest
from billing_tui.core.model import Charge, CustomerSnapshot, Invoice, Price, Subscription
from tests.domain.domain_builders import (
    PRO_ANNUAL,
    PRO_MONTHLY,
    PRO_MONTHLY_V2,
    TEAM_MONTHLY,
    ago,
    card,
    charge,
    customer,
    invoice,
    snapshot,
    subscription,
)

PRICES = (PRO_MONTHLY, PRO_ANNUAL, TEAM_MONTHLY, PRO_MONTHLY_V2)
STATUSES = ("active", "active", "trialing", "past_due", "unpaid", "canceled", "incomplete")
CARDS = (card("4242", fingerprint="fpA"), card("5555", brand="mastercard", fingerprint="fpB"))

sub_specs = st.tuples(
    st.sampled_from(PRICES),
    st.sampled_from((1, 1, 1, 2, 5)),
    st.sampled_from(STATUSES),
    st.integers(0, 20 * 86400),  # created, seconds ago
    st.sampled_from((None, "alice", "bob")),
    st.sampled_from(("cus_a", "cus_b")),
    st.sampled_from((None, *CARDS)),  # None: no first invoice
)
charge_specs = st.tuples(
    st.sampled_from((1900, 2900)),
    st.integers(0, 3600),
    st.sampled_from(("succeeded", "succeeded", "failed")),
    st.sampled_from(("cus_a", "cus_b")),
    st.sampled_from(CARDS),
)

Spec = tuple[Price, int, str, int, str | None, str, object]


def build(
    subs: list[Spec],
    extra_charges: list[tuple[int, int, str, str, object]],
    same_email: bool,
) -> CustomerSnapshot:
    customers = (
        customer("cus_a", email="pat@example.com", created=ago(days=90)),
        customer(
            "cus_b",
            email="PAT@example.com" if same_email else "sam@example.com",
            created=ago(days=9),
        ),
    )
    made: list[Subscription] = []
    invoices: list[Invoice] = []
    charges: list[Charge] = []
    for i, (price, qty, status, age, who, cus, paid_with) in enumerate(subs):
        sub = subscription(
            cus,
            sub_id=f"sub_h{i}",
            price=price,
            quantity=qty,
            status=status,
            created=ago(seconds=age),
            metadata={"for": who} if who else None,
        )
        made.append(sub)
        if paid_with is not None:
            ch = charge(
                cus,
                ch_id=f"ch_s{i}",
                amount=sub.period_amount.amount,
                created=sub.created + timedelta(seconds=4),
                details=paid_with,  # type: ignore[arg-type]
            )
            charges.append(ch)
            invoices.append(invoice(sub, inv_id=f"in_h{i}", paid_by=ch))
    for j, (amount, age, status, cus, details) in enumerate(extra_charges):
        charges.append(
            charge(
                cus,
                ch_id=f"ch_x{j}",
                amount=amount,
                status=status,
                created=ago(seconds=age),
                details=details,  # type: ignore[arg-type]
            )
        )
    return snapshot(customers=customers, subscriptions=made, invoices=invoices, charges=charges)


states = st.builds(
    build,
    st.lists(sub_specs, max_size=5),
    st.lists(charge_specs, max_size=4),
    st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(snap=states, data=st.data())
def test_order_of_rows_never_changes_anomalies_or_classification(
    snap: CustomerSnapshot, data: st.DataObject
) -> None:
    shuffled = replace(
        snap,
        customers=tuple(data.draw(st.permutations(snap.customers))),
        subscriptions=tuple(data.draw(st.permutations(snap.subscriptions))),
        invoices=tuple(data.draw(st.permutations(snap.invoices))),
        charges=tuple(data.draw(st.permutations(snap.charges))),
    )
    found = detect(snap)
    assert detect(shuffled) == found
    a, b = suggest(snap, found), suggest(shuffled, detect(shuffled))
    assert (a.suggested, a.confidence, a.contract) == (b.suggested, b.confidence, b.contract)
    assert set(a.evidence) == set(b.evidence)


@settings(max_examples=60, deadline=None)
@given(spec=sub_specs, extra=st.lists(charge_specs, max_size=4), same=st.booleans())
def test_a_single_subscription_is_never_a_duplicate(
    spec: Spec, extra: list[tuple[int, int, str, str, object]], same: bool
) -> None:
    assert "duplicate_subscription" not in codes(detect(build([spec], extra, same)))


@settings(max_examples=60, deadline=None)
@given(
    subs=st.lists(sub_specs, max_size=4),
    canceled=sub_specs,
    same=st.booleans(),
)
def test_adding_a_canceled_subscription_never_adds_a_duplicate(
    subs: list[Spec], canceled: Spec, same: bool
) -> None:
    before = [a for a in detect(build(subs, [], same)) if a.code == "duplicate_subscription"]
    gone = (*canceled[:2], "canceled", *canceled[3:])
    after = [
        a for a in detect(build([*subs, gone], [], same)) if a.code == "duplicate_subscription"
    ]
    assert after == before


@settings(max_examples=60, deadline=None)
@given(
    monthly=sub_specs.map(lambda s: (PRO_MONTHLY, 1, "active", *s[3:])),
    annual=sub_specs.map(lambda s: (PRO_ANNUAL, 1, "active", *s[3:])),
)
def test_monthly_plus_annual_of_one_product_is_never_a_duplicate(
    monthly: Spec, annual: Spec
) -> None:
    annual = (*annual[:5], monthly[5], annual[6])  # same customer
    found = codes(detect(build([monthly, annual], [], False)))
    assert "duplicate_subscription" not in found
    assert "mixed_interval" in found


@settings(max_examples=60, deadline=None)
@given(
    snap=states,
    complaint=st.sampled_from(
        (None, "charged_twice", "bought_for_team", "payment_failed", "cannot_cancel",
         "product_broken", "other")
    ),
    team=st.sampled_from((None, "yes", "no")),
)  # fmt: skip
def test_classification_is_well_formed(
    snap: CustomerSnapshot, complaint: str | None, team: str | None
) -> None:
    answers = Answers()
    if complaint:
        answers = answers.with_answer("q_complaint", complaint)
    if team:
        answers = answers.with_answer("q_team", team)
    result = suggest(snap, detect(snap), answers)
    assert 0.0 <= result.confidence <= 1.0
    assert (result.suggested is None) == (result.confidence == 0.0)
    assert {e.bucket for e in result.evidence} == set(Bucket)
    assert all(e.sentence and not e.sentence[0].islower() for e in result.evidence)
    if result.suggested is not None:
        assert result.evidence_for(result.suggested)
