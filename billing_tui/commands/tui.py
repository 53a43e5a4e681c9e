"""Start the full-screen workstation."""

from __future__ import annotations

import argparse


def run_tui(args: argparse.Namespace) -> int:
    from billing_tui.app import BillingApp

    app = BillingApp(demo=bool(getattr(args, "demo", False)))
    app.run()
    return int(app.return_code or 0)
