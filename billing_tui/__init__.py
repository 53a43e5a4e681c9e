"""billing-tui: a keyboard-driven terminal workstation for Stripe billing support."""

__version__ = "0.1.0"
