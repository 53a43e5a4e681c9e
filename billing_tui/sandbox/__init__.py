"""A stateful in-memory emulator of the part of the Stripe API the workstation uses."""
