"""What the gateway refuses before sending anything."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billing_tui.gateway import Gateway, InvalidQuery, MalformedId


class _NoNetwork(stripe.HTTPClient):
    """Fails the test if any request is made."""

    name = "no-network"
    sent: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.sent = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        self.sent.append(url)
        raise AssertionError(f"unexpected request {method} {url}")

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return self.request(method, url, headers, post_data)

    async def close_async(self) -> None:
        return None


@pytest.fixture
def transport() -> _NoNetwork:
    return _NoNetwork()


@pytest.fixture
def gateway(transport: _NoNetwork) -> Gateway:
    return Gateway(stripe.StripeClient("sk_test_offline", http_client=transport))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ch_12.", "contains '.'"),
        ("cus_!!", "contains '!'"),
        ("sub_", "nothing follows the underscore"),
        ("in_a b", "contains a space"),
        ("sub_sched_1Mr3", "contains '_'"),
    ],
)
async def test_malformed_id_is_refused_without_a_request_saying_what_was_expected(
    gateway: Gateway, transport: _NoNetwork, text: str, found: str
) -> None:
    with pytest.raises(MalformedId) as err:
        await gateway.resolve(text)
    message = str(err.value)
    assert text in message
    prefix = text.split("_", 1)[0]
    assert f"expected {prefix}_ followed by letters and digits only" in message
    assert found in message
    assert transport.sent == []


async def test_malformed_charge_id_says_charge(gateway: Gateway) -> None:
    with pytest.raises(MalformedId, match="charge id"):
        await gateway.resolve("ch_12.")


@pytest.mark.parametrize("text", ["cus_zh1", "ch_12", "in_ab", "py_x", "cus_NffrFeUfNV2Hib"])
async def test_every_stripe_id_shape_is_asked_for_not_refused(
    gateway: Gateway, transport: _NoNetwork, text: str
) -> None:
    """Stripe promises no id length: a prefix and letters/digits is an id (the catalog's
    ``cus_zh1`` too), so the request goes out instead of a "malformed" refusal."""
    with pytest.raises(AssertionError, match="unexpected request"):  # it went out
        await gateway.resolve(text)
    assert transport.sent


@pytest.mark.parametrize("text", ["", "   ", "''"])
async def test_empty_input_is_refused(gateway: Gateway, transport: _NoNetwork, text: str) -> None:
    with pytest.raises(InvalidQuery):
        await gateway.resolve(text)
    assert transport.sent == []


async def test_short_name_is_refused(gateway: Gateway, transport: _NoNetwork) -> None:
    with pytest.raises(InvalidQuery, match="3 characters"):
        await gateway.resolve("J.")  # not a GitHub name: a name, too short to search
    assert transport.sent == []


def test_gateway_repr_never_shows_the_key(gateway: Gateway) -> None:
    assert "sk_test" not in repr(gateway)
