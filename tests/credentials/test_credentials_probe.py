"""probe_key against the in-process sandbox: account, mode and capabilities per key."""

from __future__ import annotations

import pytest

from billing_tui.core.keys import KeyKind, parse_key
from billing_tui.gateway.errors import AuthFailed
from billing_tui.gateway.probe import probe_key
from billing_tui.sandbox import Sandbox

READS = ("read customers", "read subscriptions", "read invoices", "read charges")
WRITES = ("write refunds", "write subscriptions", "create portal sessions")


@pytest.fixture
def sandbox() -> Sandbox:
    sb = Sandbox.demo(scenarios=("restricted-key",))
    keys = sb.state.keys
    keys.declared["sk_test_probeFull0001"] = None
    keys.declared["sk_live_probeLive0001"] = None
    keys.declared["rk_test_probeNoCharges01"] = frozenset(
        {"rak_customer_read", "rak_subscription_write", "rak_invoice_read"}
    )
    keys.declared["rk_live_probeNothing01"] = frozenset()
    keys.revoked.add("sk_test_probeRevoked01")
    return sb


async def _probe(sandbox: Sandbox, key: str):  # type: ignore[no-untyped-def]
    return await probe_key(sandbox.stripe_client(api_key=key))


async def test_full_secret_key_may_do_everything(sandbox: Sandbox) -> None:
    probe = await _probe(sandbox, "sk_test_probeFull0001")
    assert probe.account_name == "Acme Cloud (sandbox)"
    assert probe.account_id == sandbox.state.account["id"]
    assert probe.kind is KeyKind.SECRET_TEST
    assert probe.live is False
    assert [(c.name, c.describe()) for c in probe.capabilities] == [
        (name, "yes") for name in READS + WRITES
    ]


async def test_live_key_is_recognised(sandbox: Sandbox) -> None:
    probe = await _probe(sandbox, "sk_live_probeLive0001")
    assert probe.kind is KeyKind.SECRET_LIVE
    assert probe.live is True


async def test_restricted_key_reads_are_probed_writes_unknown(sandbox: Sandbox) -> None:
    probe = await _probe(sandbox, "rk_test_probeNoCharges01")
    assert probe.kind is KeyKind.RESTRICTED_TEST
    described = {c.name: c.describe() for c in probe.capabilities}
    assert described == {
        "read customers": "yes",
        # write implies read in Stripe's permission model
        "read subscriptions": "yes",
        "read invoices": "yes",
        "read charges": "no — needs rak_charge_read",
        "write refunds": "unknown until used",
        "write subscriptions": "unknown until used",
        "create portal sessions": "unknown until used",
    }
    assert [c.permission for c in probe.missing] == ["rak_charge_read"]
    assert probe.can_read_customers


async def test_restricted_key_without_permissions(sandbox: Sandbox) -> None:
    probe = await _probe(sandbox, "rk_live_probeNothing01")
    assert probe.live is True
    assert not probe.can_read_customers
    assert {c.permission for c in probe.missing} == {
        "rak_customer_read",
        "rak_subscription_read",
        "rak_invoice_read",
        "rak_charge_read",
    }


async def test_probing_changes_nothing(sandbox: Sandbox) -> None:
    before = {kind: dict(objs) for kind, objs in sandbox.state.objects.items()}
    await _probe(sandbox, "sk_test_probeFull0001")
    await _probe(sandbox, "rk_test_probeNoCharges01")
    assert {kind: dict(objs) for kind, objs in sandbox.state.objects.items()} == before


async def test_revoked_key_is_an_auth_failure(sandbox: Sandbox) -> None:
    with pytest.raises(AuthFailed) as exc:
        await _probe(sandbox, "sk_test_probeRevoked01")
    assert "probeRevoked01" not in str(exc.value)


async def test_kind_passed_explicitly_wins(sandbox: Sandbox) -> None:
    key = parse_key("sk_test_probeFull0001")
    probe = await probe_key(sandbox.stripe_client(api_key=key.reveal()), key.kind)
    assert probe.kind is KeyKind.SECRET_TEST
