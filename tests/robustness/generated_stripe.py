"""A Stripe account made of schema-generated objects, served to the real SDK client through an
in-process ``stripe.HTTPClient`` (no gateway mock: the gateway sends its usual requests and gets
JSON bodies back, as from Stripe).

The server answers the requests ``inspect`` sends — the customer (by id, email or search), its
subscriptions, invoices,
charges and payment methods, the account's disputes, invoice payments by invoice and refunds by
charge — and honours no ``expand`` or include: what it embeds is what was generated (a generated
invoice may lack its ``payments`` list, a charge its ``refunds``). Anything else is a 404 that is
recorded, so a test can tell an unexpected request from an empty answer.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests.structures
import stripe
from hypothesis import HealthCheck, Phase, settings

JSON = dict[str, Any]

#: The CI profile: ≥300 examples per resource, derandomized (the same examples every run, so a
#: red run is reproducible and the time is stable), no deadline on a shared 2-core machine.
#: ``BILLING_TUI_ROBUSTNESS=explore`` runs a randomized, longer exploration instead; ``quick``
#: a few examples while editing.
settings.register_profile(
    "robustness-ci",
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=(
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ),
)
settings.register_profile(
    "robustness-explore",
    parent=settings.get_profile("robustness-ci"),
    max_examples=2_000,
    derandomize=False,
)
settings.register_profile(
    "robustness-quick", parent=settings.get_profile("robustness-ci"), max_examples=40
)
PROFILE = settings.get_profile(f"robustness-{os.environ.get('BILLING_TUI_ROBUSTNESS', 'ci')}")

CUSTOMER_ID = "cus_generated1"


def wire_list(path: str, items: list[JSON]) -> JSON:
    return {"object": "list", "data": items, "has_more": False, "url": path}


@dataclass
class Account:
    """What the server knows. ``invoice_payments`` and ``refunds`` are what the list endpoints
    answer per invoice and per charge (the fallback reads when nothing was embedded)."""

    customer: JSON
    subscriptions: list[JSON] = field(default_factory=list)
    invoices: list[JSON] = field(default_factory=list)
    charges: list[JSON] = field(default_factory=list)
    payment_methods: list[JSON] = field(default_factory=list)
    disputes: list[JSON] = field(default_factory=list)
    invoice_payments: dict[str, list[JSON]] = field(default_factory=dict)
    refunds: dict[str, list[JSON]] = field(default_factory=dict)

    def answer(self, path: str, query: dict[str, str]) -> JSON | None:
        """The body for ``GET path?query``, or None (not an endpoint this server knows)."""
        cid = str(self.customer["id"])
        lists: dict[str, list[JSON]] = {
            f"/v1/customers/{cid}/payment_methods": self.payment_methods,
            "/v1/subscriptions": self.subscriptions,
            "/v1/invoices": self.invoices,
            "/v1/charges": self.charges,
            "/v1/disputes": self.disputes,
            "/v1/invoice_payments": self.invoice_payments.get(query.get("invoice", ""), []),
            "/v1/refunds": self.refunds.get(query.get("charge", ""), []),
            "/v1/products": [],
            "/v1/billing_portal/configurations": [],
        }
        if path == f"/v1/customers/{cid}":
            return self.customer
        if path == "/v1/customers":  # the same-email lookup
            return wire_list(path, [self.customer])
        if path == "/v1/customers/search":
            return {**wire_list(path, [self.customer]), "object": "search_result"}
        if path in lists:
            return wire_list(path, lists[path])
        return None


class GeneratedStripe(stripe.HTTPClient):
    """The in-process transport serving one :class:`Account` (sync and async)."""

    name = "generated-stripe"

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        self.unexpected: list[str] = []

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        body = self.account.answer(parts.path, query) if method.lower() == "get" else None
        status = 200
        if body is None:
            self.unexpected.append(f"{method.upper()} {parts.path}")
            status = 404
            body = {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"Unrecognized request URL ({method.upper()}: {parts.path}).",
                }
            }
        out = requests.structures.CaseInsensitiveDict({"Request-Id": "req_generated"})
        return json.dumps(body).encode(), status, out

    async def request_async(
        self, method: str, url: str, headers: Any, post_data: Any = None
    ) -> Any:
        return self.request(method, url, headers, post_data)

    async def sleep_async(self, secs: float) -> None:
        return None

    async def close_async(self) -> None:
        return None
