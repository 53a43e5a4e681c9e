"""The scenario catalog: billing cases written as data files, completed into Stripe objects.

A scenario is one JSON file in ``billing_tui/sandbox/scenarios/`` (or any path)::

    {
      "name": "duplicate-checkout",
      "title": "Two subscriptions from one checkout",
      "ticket": "what the customer wrote",
      "identifier": "what the operator types (email, id or GitHub username)",
      "expect": {"anomalies": ["duplicate_subscription"], "bucket": "duplicate_personal",
                 "notes": "why"},
      "keys": {"rk_test_…": ["rak_customer_read"], "sk_live_…": null},   (optional)
      "revoked_keys": ["sk_test_…"],                                       (optional)
      "objects": [ {partial object}, … ]
    }

A scenario that declares ``keys`` or ``revoked_keys`` is not part of ``"all"``: once keys are
declared the sandbox accepts only those, which would lock out the demo's own test key. Load it
by name.

``_base.json`` (same format, no ``expect``) holds the account's product catalog and its default
billing-portal configuration; it is loaded once, before any scenario.

**Objects** are partial: each names its ``object`` type and gives only what matters; the loader
completes it through :mod:`billing_tui.sandbox.resources`. Objects are created in file order, so a
reference (``customer``, ``price``, ``charge`` …) must name an object defined earlier (in this
file, ``_base.json`` or an earlier scenario). Ids are fixed and readable (``cus_dupcheckout1``).

==================================  =========================================================
object                              fields (``*`` = required)
==================================  =========================================================
``product``                         ``id*``, ``name*``, ``description``, ``metadata``, ``created``
``price``                           ``id*``, ``product*``, ``unit_amount*``, ``currency``,
                                    ``interval`` (month/year/week/day or null = one-time),
                                    ``interval_count``, ``nickname``, ``lookup_key``
``customer``                        ``id*``, ``email``, ``name``, ``created``, ``metadata``,
                                    ``balance``, ``currency``, ``preferred_locales``, ``phone``,
                                    ``description``
``payment_method``                  ``id*``, ``customer*``, ``brand``, ``last4``, ``exp_month`` +
                                    ``exp_year`` **or** ``expires`` (a relative time: the card's
                                    last valid month, e.g. ``"-1mo"`` = expired last month),
                                    ``funding``, ``country``, ``created``, ``default`` (true: the
                                    customer's ``invoice_settings.default_payment_method``)
``subscription``                    ``id*``, ``customer*``, ``items*`` (``[{"price", "quantity",
                                    "id"}]``), ``created``, ``status``, ``default_payment_method``,
                                    ``metadata``, ``trial_start``, ``trial_end``,
                                    ``cancel_at_period_end``, ``cancel_at``, ``canceled_at``,
                                    ``ended_at``, ``cancellation_details`` (``reason``,
                                    ``feedback``, ``comment``), ``collection_method``, and the
                                    shortcuts below
``invoice``                         ``id*``, ``customer*``, ``lines*``, ``subscription``,
                                    ``created``, ``status``, ``billing_reason``,
                                    ``starting_balance``, ``pay``, ``failed_attempts``,
                                    ``failure_code``
``refund``                          ``id*``, ``charge*``, ``amount``, ``reason``, ``created``,
                                    ``status``
``dispute``                         ``id*``, ``charge*``, ``amount``, ``reason``, ``status``,
                                    ``created``, ``due_by``
``billing_portal.configuration``    ``id*``, ``is_default``, ``active``, ``name``, ``features``
                                    (``{"subscription_cancel": false}`` or ``{"subscription_cancel":
                                    {"enabled": false}}``; also ``customer_update``,
                                    ``invoice_history``, ``payment_method_update``,
                                    ``subscription_update``)
==================================  =========================================================

**Subscription shortcuts** (the billing history Stripe would have produced):

* ``"invoices"``: ``"all"`` (default) = one invoice per elapsed billing period from ``created``
  (or the trial end) up to now (or until ``ended_at``), each paid by a succeeded PaymentIntent +
  charge + ``invoice_payment``; ``"first"`` = only the first; ``"none"``. A trial adds a $0
  paid invoice at the trial start. Ids derive from the subscription id's body ``X``:
  ``in_X001``, ``pi_X001``, ``ch_X001``, ``inpay_X001`` … (3-digit sequence), items ``si_X1``…
* ``"payment_method"``: the card that pays them (default: ``default_payment_method``, else the
  customer's default).
* ``"latest_invoice"``: ``{"status": "open", "failed_attempts": 3, "failure_code":
  "expired_card"}`` makes the newest generated invoice open with that many declined charges
  (``ch_X00Nf1`` …). ``past_due``/``unpaid``/``incomplete`` subscriptions default to one failed
  attempt.

**Times** follow the sandbox clock, so a scenario means the same thing whatever "now" is:

* ``"now"``; a relative offset made of signed terms: ``"-90d"``, ``"-3h"``, ``"-45m"``,
  ``"-90s"``, ``"+2d"``, ``"-2w"``, ``"-6mo-8d"`` (``mo`` and ``y`` are calendar months/years,
  applied first);
* ``{"after": "<object id>", "seconds": 92}``: that many seconds after another object's
  ``created`` (negative = before);
* an integer: absolute unix seconds (does not follow the clock; avoid).

**Invoice lines** (explicit ``invoice`` objects): ``{"price", "quantity", "amount",
"description", "period": [start, end], "proration", "subscription_item"}``; ``amount`` defaults
to ``unit_amount × quantity`` (required for proration lines), ``period`` to the item's current
period (``"period_start"``/``"period_end"`` name the item's current period bounds), and
``subscription_item`` to the subscription's item with that price. ``"pay": true`` (or
``{"payment_method", "payment_intent", "charge", "invoice_payment"}`` to name the ids) settles a
paid invoice's ``amount_due`` with a card.

A malformed file raises :class:`ScenarioError` naming the file, the object (index and id) and
the field.

Modules: :mod:`.schema` (the file header: :class:`ScenarioInfo`, anomaly codes, bucket names),
:mod:`.files` (finding, reading and loading files), :mod:`.fields` (typed field parsing and
relative times), :mod:`.loader` (dispatch, keys, the simple object types),
:mod:`.subscriptions` (subscriptions and their generated billing history) and
:mod:`.invoices` (explicit invoices).
"""

from billing_tui.sandbox.catalog.fields import parse_offset
from billing_tui.sandbox.catalog.files import (
    BASE_NAME,
    SCENARIO_DIR,
    list_scenarios,
    load,
    scenario_paths,
)
from billing_tui.sandbox.catalog.schema import (
    ANOMALY_CODES,
    BUCKET_NAMES,
    BUCKETS,
    ScenarioError,
    ScenarioInfo,
)

__all__ = [
    "ANOMALY_CODES",
    "BASE_NAME",
    "BUCKETS",
    "BUCKET_NAMES",
    "SCENARIO_DIR",
    "ScenarioError",
    "ScenarioInfo",
    "list_scenarios",
    "load",
    "parse_offset",
    "scenario_paths",
]
