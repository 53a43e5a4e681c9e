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


@pytest.mark.parametrize("text", ["ch_12", "cus_!!", "sub_", "in_ab"])
async def test_malformed_id_is_refused_without_a_request(
    gateway: Gateway, transport: _NoNetwork, text: str
) -> None:
    with pytest.raises(MalformedId) as err:
        await gateway.resolve(text)
    assert text in str(err.value)
    assert transport.sent == []


async def test_malformed_charge_id_says_charge(gateway: Gateway) -> None:
    with pytest.raises(MalformedId, match="charge id"):
        await gateway.resolve("ch_12")


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
