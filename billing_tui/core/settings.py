"""Thresholds and tunables in one place: detectors and the gateway read them from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # --- identification
    #: Customer metadata key that maps a GitHub username or support handle to a customer.
    github_metadata_key: str = "github"
    #: Customer metadata key naming the billing-portal configuration that applies to them.
    portal_configuration_metadata_key: str = "portal_configuration"
    #: Where a billing-portal session returns to when its configuration has no
    #: ``default_return_url`` (None: such a portal link cannot be created).
    portal_return_url: str | None = None
    #: Subscription metadata keys that name the person a subscription is for.
    person_metadata_keys: tuple[str, ...] = ("for", "seat_holder", "user", "assignee")
    #: Subscription metadata keys that say its seats are a team's (a team name, seat holders):
    #: the evidence of team intent that a quantity alone is not.
    team_metadata_keys: tuple[str, ...] = ("team", "seat_holders", "seats_assigned")

    # --- gateway
    #: Retries the SDK itself makes for connection errors, 409 and 5xx.
    max_network_retries: int = 2
    #: Per-request timeout in seconds (the SDK's default of 80 s is too long for a TUI).
    request_timeout: float = 20.0
    #: Our own bounded backoff for 429s, which the SDK never retries.
    rate_limit_retries: int = 3
    rate_limit_backoff: float = 0.5  # seconds; doubled per attempt
    #: Page size for list calls.
    page_size: int = 100

    # --- anomalies
    #: Two subscriptions to one price/product created this close together: a double checkout.
    duplicate_window_seconds: int = 7 * 24 * 3600
    #: Two successful charges of the same amount this close together are a double charge.
    double_charge_window_seconds: int = 10 * 60
    #: Proration lines this recent raise ``proration_activity``.
    proration_lookback_days: int = 45
    #: A trial ending this soon without a payment method raises an anomaly.
    trial_warning_days: int = 7
    #: Look this far back for disputes/refunds worth flagging.
    recent_days: int = 120


DEFAULT_SETTINGS = Settings()
