"""``billing-tui portal check [--json]`` and ``billing-tui portal fix CHECK [--yes]``.

``check`` validates the account's default billing-portal configuration against the policy in
:mod:`billing_tui.core.portal_policy`; ``fix`` shows the configuration change for one failing check
as a diff and applies it only with ``--yes`` (and ``--live`` for a live key).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from typing import TYPE_CHECKING, Any, TypeVar

from billing_tui.cli.options import SubParsers, add_connection_options
from billing_tui.core.portal_policy import DEFAULT_POLICY, PortalFinding

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from billing_tui.desk.session import Session

T = TypeVar("T")


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "portal",
        help="validate the billing-portal configuration and fix what fails",
        description="Validate the account's billing-portal configuration against the policy.",
    )
    actions = parser.add_subparsers(dest="portal_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="list every check, failing ones first")
    check.add_argument("--json", action="store_true", help="print JSON")
    add_connection_options(check)
    check.set_defaults(handler=handle_check)
    fix = actions.add_parser("fix", help="show (and with --yes apply) the fix for one check")
    fix.add_argument("check", help="the check id, e.g. cancel_enabled")
    fix.add_argument("--yes", action="store_true", help="apply the change")
    fix.add_argument("--live", action="store_true", help="required as well for a live key")
    add_connection_options(fix)
    fix.set_defaults(handler=handle_fix)


def _open(args: argparse.Namespace) -> Session | None:
    from billing_tui.cli.opening import command_session
    from billing_tui.desk.connection import ConnectionFailed
    from billing_tui.store.caselog import CaseLogError

    try:
        return command_session(args, "portal")
    except (ConnectionFailed, CaseLogError) as exc:
        print(f"billing-tui portal: {exc}", file=sys.stderr)
        return None


def finding_json(f: PortalFinding) -> dict[str, Any]:
    return {
        "check": f.check,
        "ok": f.ok,
        "title": f.title,
        "detail": f.detail,
        "product_gap": f.product_gap,
        "fix": None
        if f.fix is None
        else {
            "configuration": f.fix.configuration_id,
            "api_call": f.fix.api_call,
            "diff": [{"field": a, "before": b, "after": c} for a, b, c in f.fix.diff],
        },
    }


def handle_check(args: argparse.Namespace) -> int:
    from billing_tui.gateway import GatewayError

    session = _open(args)
    if session is None:
        return 2
    try:
        findings = asyncio.run(_with_close(session, session.portal_findings()))
    except GatewayError as exc:
        print(f"billing-tui portal: {exc}", file=sys.stderr)
        return 2
    ordered = sorted(findings, key=lambda f: f.ok)
    if args.json:
        print(
            json.dumps(
                {
                    "policy": list(DEFAULT_POLICY.describe()),
                    "findings": [finding_json(f) for f in ordered],
                },
                indent=2,
            )
        )
    else:
        print("POLICY: " + "; ".join(DEFAULT_POLICY.describe()))
        for f in ordered:
            mark = "ok  " if f.ok else "FAIL"
            print(f"[{mark}] {f.check}: {f.title}")
            if not f.ok:
                print(f"       {f.detail}")
                if f.product_gap:
                    print(f"       product gap: {f.product_gap}")
                if f.fix:
                    print(f"       fix: billing-tui portal fix {f.check}")
    return 0 if all(f.ok for f in findings) else 1


def handle_fix(args: argparse.Namespace) -> int:
    from billing_tui.gateway import GatewayError

    session = _open(args)
    if session is None:
        return 2
    try:
        return asyncio.run(_with_close(session, _fix(session, args)))
    except GatewayError as exc:
        print(f"billing-tui portal: {exc}", file=sys.stderr)
        return 2


async def _fix(session: Session, args: argparse.Namespace) -> int:
    findings = {f.check: f for f in await session.portal_findings()}
    finding = findings.get(args.check)
    if finding is None:
        print(
            f"billing-tui portal: no check named {args.check!r} (checks: "
            f"{', '.join(sorted(findings))})",
            file=sys.stderr,
        )
        return 2
    if finding.ok:
        print(f"{finding.check}: already passes, nothing to change")
        return 0
    if finding.fix is None:
        print(f"{finding.check}: no configuration change fixes this; {finding.detail}")
        return 1
    fix = finding.fix
    print(f"{finding.check}: {finding.title}")
    for field, before, after in fix.diff:
        print(f"  {field}: {before} → {after}")
    print(f"  call: {fix.api_call}")
    print("  reversible: apply the opposite change the same way")
    if not args.yes:
        print("dry run: nothing was changed; add --yes to apply")
        return 0
    if session.info.live and not args.live:
        print(
            "billing-tui portal: this is a LIVE key; add --live as well as --yes", file=sys.stderr
        )
        return 2
    digest = hashlib.sha256(repr((fix.configuration_id, fix.params)).encode()).hexdigest()
    key = f"portal-fix:{digest[:32]}"
    result = await session.update_portal_configuration(
        fix.configuration_id, fix.params, idempotency_key=key
    )
    print(f"applied to {result.obj.id} (request {result.request_id or '—'})")
    return 0


async def _with_close(session: Session, work: Awaitable[T]) -> T:
    try:
        return await work
    finally:
        await session.aclose()
