"""`billing-tui sandbox`: serve the Stripe sandbox over loopback HTTP, list its scenarios."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from billing_tui.cli.options import SandboxHelp, SubParsers, add_sandbox_options

if TYPE_CHECKING:
    from billing_tui.sandbox.catalog import ScenarioInfo

DEFAULT_PORT = 12111

#: ``serve`` words the defaults of the sandbox options it builds (the connection's may differ).
SERVE_HELP = SandboxHelp(
    scenarios="scenarios to load: catalog names, 'all' (default), or scenario file paths",
    population="extra generated customers (deterministic; default 0)",
    now="the sandbox clock, e.g. 2026-11-26T12:00:00Z (default: the current time)",
)


def register(subparsers: SubParsers) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sandbox",
        help="run the built-in Stripe sandbox over HTTP, or list its scenarios",
        description=(
            "The stateful Stripe emulator the demo runs on. 'serve' exposes it on a loopback "
            "port (with optional fault injection) so any Stripe client can talk to it; "
            "'scenarios' lists the seeded ticket scenarios."
        ),
    )
    parser.set_defaults(handler=_no_action, sandbox_parser=parser)
    actions = parser.add_subparsers(dest="sandbox_action", metavar="ACTION")

    serve = actions.add_parser(
        "serve",
        help="serve the sandbox on a loopback port until Ctrl-C",
        description="Serve the sandbox's Stripe API on http://HOST:PORT until Ctrl-C.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    add_sandbox_options(serve, SERVE_HELP)
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help="added latency per request"
    )
    serve.add_argument(
        "--fail",
        default="",
        metavar="STATUS:P,…",
        help="inject errors with probabilities, e.g. 429:0.1,500:0.05 (429, 500, 502, 503)",
    )
    serve.add_argument(
        "--fail-path",
        action="append",
        default=[],
        metavar="PATH:STATUS",
        help="always answer this API path with STATUS, e.g. /v1/disputes:500 (repeatable)",
    )
    serve.add_argument(
        "--drop-after-commit",
        type=float,
        default=0.0,
        metavar="P",
        help="probability that a POST/DELETE is applied but its answer is dropped",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed for the fault injection")
    serve.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding an address other than loopback (anyone on the network could reach it)",
    )
    serve.set_defaults(handler=_serve, sandbox_parser=serve)

    scenarios = actions.add_parser(
        "scenarios",
        help="list the scenario catalog",
        description="List the seeded scenarios: name, bucket, what to type, expected anomalies.",
    )
    scenarios.add_argument("--json", action="store_true", help="machine-readable output")
    scenarios.set_defaults(handler=_scenarios, sandbox_parser=scenarios)


def _no_action(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.sandbox_parser
    parser.print_usage(sys.stderr)
    print("billing-tui sandbox: choose an action: serve or scenarios", file=sys.stderr)
    return 2


def _usage_error(args: argparse.Namespace, message: str) -> int:
    parser: argparse.ArgumentParser = args.sandbox_parser
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


def parse_fail(text: str) -> dict[int, float]:
    """``"429:0.1,500:0.05"`` -> ``{429: 0.1, 500: 0.05}``; ValueError with the reason."""
    result: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        status, sep, probability = part.partition(":")
        if not sep:
            raise ValueError(f"--fail expects STATUS:PROBABILITY pairs, got {part!r}")
        try:
            code = int(status)
            chance = float(probability)
        except ValueError:
            raise ValueError(f"--fail: {part!r} is not STATUS:PROBABILITY (e.g. 429:0.1)") from None
        if code in result:
            raise ValueError(f"--fail: status {code} is given twice")
        result[code] = chance
    return result


def parse_fail_paths(items: Sequence[str]) -> dict[str, int]:
    """``["/v1/disputes:500"]`` -> ``{"/v1/disputes": 500}``; ValueError with the reason."""
    result: dict[str, int] = {}
    for item in items:
        path, sep, status = item.rpartition(":")
        if not sep or not status.isdigit():
            raise ValueError(
                f"--fail-path expects PATH:STATUS, e.g. /v1/disputes:500 (got {item!r})"
            )
        result[path] = int(status)
    return result


def _serve(args: argparse.Namespace) -> int:
    from billing_tui.cli.options import parse_time
    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import (
        SandboxServer,
        is_loopback,
        validate_fail_paths,
        validate_faults,
    )

    scenarios: Sequence[str] = getattr(args, "scenarios", None) or ("all",)
    population = int(getattr(args, "population", 0) or 0)
    try:
        fail = parse_fail(args.fail)
        now = parse_time(args.now) if getattr(args, "now", None) else None
        if population < 0:
            raise ValueError("--population must be 0 or more")
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535 (got {args.port})")
        validate_faults(fail, args.drop_after_commit, args.latency_ms)
        fail_paths = parse_fail_paths(args.fail_path)
        validate_fail_paths(fail_paths)
    except ValueError as error:
        return _usage_error(args, str(error))
    if not args.allow_non_loopback and not is_loopback(args.host):
        return _usage_error(
            args,
            f"--host {args.host} is not a loopback address; anyone on the network could reach "
            "the sandbox. Pass --allow-non-loopback if you really mean it.",
        )
    try:
        sandbox = Sandbox.demo(scenarios=scenarios, population=population, now=now)
    except ImportError:
        print(
            "billing-tui sandbox: the scenario catalog is not available in this build",
            file=sys.stderr,
        )
        return 1
    except (KeyError, ValueError, FileNotFoundError) as error:
        detail = error.args[0] if isinstance(error, KeyError) and error.args else error
        return _usage_error(args, f"can't load scenarios: {detail}")
    try:
        server = SandboxServer(
            sandbox,
            args.host,
            args.port,
            latency_ms=args.latency_ms,
            fail=fail,
            drop_after_commit=args.drop_after_commit,
            seed=args.seed,
            allow_non_loopback=args.allow_non_loopback,
            fail_paths=fail_paths,
        )
    except OSError as error:
        print(
            f"billing-tui sandbox: can't listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    faults = []
    if args.latency_ms:
        faults.append(f"latency {args.latency_ms:g} ms")
    faults += [f"{code} at {p:g}" for code, p in fail.items()]
    faults += [f"{path} always {code}" for path, code in fail_paths.items()]
    if args.drop_after_commit:
        faults.append(f"drop after commit at {args.drop_after_commit:g}")
    customers = len(sandbox.state.objects.get("customer", {}))
    print(
        f"Stripe sandbox on {server.url}  ({customers} customers, scenarios: "
        f"{' '.join(scenarios)}{'; faults: ' + ', '.join(faults) if faults else ''})"
    )
    print(
        f"Point a client at it: billing-tui --api-base {server.url} …  or "
        f"StripeClient(key, base_addresses={{'api': '{server.url}'}}); any sk_test_ key "
        "works. Ctrl-C stops it.",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nsandbox stopped", file=sys.stderr)
    return 0


def _scenario_json(info: ScenarioInfo) -> dict[str, object]:
    data = dataclasses.asdict(info)
    data["anomalies"] = list(info.anomalies)
    return data


def _scenarios(args: argparse.Namespace) -> int:
    try:
        from billing_tui.sandbox.catalog import list_scenarios
    except ImportError:
        print(
            "billing-tui sandbox: the scenario catalog is not available in this build",
            file=sys.stderr,
        )
        return 1
    infos = list_scenarios()
    if args.json:
        print(json.dumps([_scenario_json(i) for i in infos], indent=2, default=str))
        return 0
    headers = ("NAME", "BUCKET", "TYPE THIS", "ANOMALIES", "TITLE")
    table = [
        (i.name, i.bucket or "—", i.identifier, ", ".join(i.anomalies) or "—", i.title)
        for i in infos
    ]
    widths = [max([len(h)] + [len(row[i]) for row in table]) for i, h in enumerate(headers[:-1])]
    for row in [headers, *table]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip())
    print(f"\n{len(infos)} scenarios. Load them with: billing-tui --demo --scenarios NAME …")
    return 0
