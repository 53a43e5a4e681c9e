"""Textual screens of the workstation: what the operator sees. No Stripe calls, no file I/O."""
