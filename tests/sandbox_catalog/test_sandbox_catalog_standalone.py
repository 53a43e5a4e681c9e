"""The emulator stands alone: it imports nothing of billing_tui outside billing_tui.sandbox,
and its own copies of the workstation's vocabulary (bucket names, money text) agree with the
originals."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from billing_tui.core.classify import Bucket
from billing_tui.core.model import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES, Money
from billing_tui.sandbox import catalog, resources, wire

CURRENCIES = ("usd", "eur", "gbp", "jpy", "krw", "cny", "inr", "cad", "aud", "chf", "sek", "brl")
OTHERS = ("kwd", "bhd", "clp", "vnd", "mxn", "nok", "XAF", "USD")


def test_scenario_bucket_names_are_the_classifier_buckets() -> None:
    assert set(catalog.BUCKET_NAMES) == {b.value for b in Bucket}
    assert frozenset(catalog.BUCKET_NAMES) == catalog.BUCKETS
    assert len(catalog.BUCKET_NAMES) == len(set(catalog.BUCKET_NAMES))


def test_scenario_info_bucket_compares_equal_to_the_enum() -> None:
    info = next(i for i in catalog.list_scenarios() if i.name == "failed-renewal")
    assert isinstance(info.bucket, str)
    assert info.bucket == Bucket.FAILED_PAYMENT


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    currency=st.sampled_from(CURRENCIES + OTHERS),
)
def test_description_money_text_is_money_format(amount: int, currency: str) -> None:
    assert resources.format_amount(amount, currency) == Money(amount, currency).format()


def test_the_sandbox_zero_decimal_table_is_the_workstation_one() -> None:
    assert wire.ZERO_DECIMAL == ZERO_DECIMAL_CURRENCIES


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    currency=st.sampled_from(sorted(ZERO_DECIMAL_CURRENCIES | THREE_DECIMAL_CURRENCIES)),
)
def test_description_money_text_knows_every_minor_unit(amount: int, currency: str) -> None:
    assert resources.format_amount(amount, currency) == Money(amount, currency).format()


def test_the_sandbox_imports_nothing_else_of_billing_tui() -> None:
    code = (
        "import sys\n"
        "from billing_tui.sandbox import Sandbox\n"
        "from billing_tui.sandbox import catalog, population, server\n"
        "Sandbox.demo(population=5)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('billing_tui'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(done.stdout.split())
    assert "billing_tui.sandbox.catalog" in loaded
    outside = {m for m in loaded if m != "billing_tui" and not m.startswith("billing_tui.sandbox")}
    assert outside == set()
