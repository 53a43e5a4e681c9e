"""A stateful in-memory emulator of the part of the Stripe API the workstation uses.

``Sandbox`` serves a :class:`~billing_tui.sandbox.state.SandboxState` through Stripe's v1 wire
protocol, to the real SDK in-process (``sandbox.stripe_client()``) or over loopback HTTP
(:class:`billing_tui.sandbox.server.SandboxServer`).
"""

from billing_tui.sandbox.engine import API_VERSION, DEFAULT_TEST_NOW, RequestLog, Sandbox

__all__ = ["API_VERSION", "DEFAULT_TEST_NOW", "RequestLog", "Sandbox"]
