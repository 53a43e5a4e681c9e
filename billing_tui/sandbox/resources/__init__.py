"""One factory per Stripe object, complete and wire-shaped (API version ``2026-10-28.endive``).

Each factory takes the fields that matter (keyword-only), fills every other field with the
default Stripe would return, stores the object in the :class:`SandboxState` and returns it.
References to other objects are ids (unexpanded), exactly as the API returns them. The scenario
loader, the population generator and the write endpoints all build objects here, so an object
looks the same whichever path created it.

The shapes follow Stripe's current API (see ``shared/reference/stripe-api.md`` §1); each module's
docstring says what is particular to its family. Money is always integer minor units.

==================  ===========================================================================
module              objects
==================  ===========================================================================
``products``        ``product``, ``price``
``customers``       ``customer``, ``payment_method`` (and the ``card`` hash charges copy)
``subscriptions``   ``subscription`` with its ``subscription_item`` objects
``invoices``        ``invoice``, its ``line_item`` lines, pending ``invoiceitem`` objects
``payments``        ``payment_intent``, ``charge``, ``invoice_payment``, ``refund``
``disputes``        ``dispute``
``portal``          ``billing_portal.configuration``, ``billing_portal.session``
``account``         the ``account`` of ``GET /v1/account``
``lists``           the ``list`` envelope
``collection``      paying / declining an invoice (the objects it leaves), ``mark_paid``
``periods``         calendar arithmetic for billing periods
``money``           amounts as text in the sandbox's own descriptions
==================  ===========================================================================
"""

from billing_tui.sandbox.resources.account import account
from billing_tui.sandbox.resources.base import SANDBOX_WEB
from billing_tui.sandbox.resources.collection import fail_invoice, mark_paid, pay_invoice
from billing_tui.sandbox.resources.customers import card_details, customer, payment_method
from billing_tui.sandbox.resources.disputes import dispute
from billing_tui.sandbox.resources.invoices import invoice, invoice_item, invoice_line
from billing_tui.sandbox.resources.lists import list_object
from billing_tui.sandbox.resources.money import format_amount
from billing_tui.sandbox.resources.payments import (
    charge,
    decline_error,
    invoice_payment,
    payment_intent,
    refund,
)
from billing_tui.sandbox.resources.periods import (
    add_interval,
    add_months,
    current_period,
    period_starts,
)
from billing_tui.sandbox.resources.portal import (
    portal_configuration,
    portal_session,
    update_product,
)
from billing_tui.sandbox.resources.products import price, product
from billing_tui.sandbox.resources.subscriptions import (
    LIVE_STATUSES,
    cancellation_details,
    subscription,
)

__all__ = [
    "LIVE_STATUSES",
    "SANDBOX_WEB",
    "account",
    "add_interval",
    "add_months",
    "cancellation_details",
    "card_details",
    "charge",
    "current_period",
    "customer",
    "decline_error",
    "dispute",
    "fail_invoice",
    "format_amount",
    "invoice",
    "invoice_item",
    "invoice_line",
    "invoice_payment",
    "list_object",
    "mark_paid",
    "pay_invoice",
    "payment_intent",
    "payment_method",
    "period_starts",
    "portal_configuration",
    "portal_session",
    "price",
    "product",
    "refund",
    "subscription",
    "update_product",
]
