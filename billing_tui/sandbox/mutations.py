"""Write endpoints (refunds, cancel, update, portal, pay): arriving in the next commit."""

from __future__ import annotations

from typing import Any

from billing_tui.sandbox.context import Context
from billing_tui.sandbox.state import JSON
from billing_tui.sandbox.wire import ApiError


def _not_yet(ctx: Context, *args: Any) -> JSON:
    raise ApiError(
        501, f"{ctx.method} {ctx.path} is not implemented by the sandbox yet.", type="api_error"
    )


create_refund = cancel_subscription = update_subscription = _not_yet
create_portal_session = update_portal_configuration = pay_invoice = _not_yet
