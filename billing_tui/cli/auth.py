"""``billing-tui login`` / ``logout`` / ``whoami``: the Stripe key in the OS keyring.

- ``login [--profile NAME] [--default] [--insecure-file-store]`` reads the key without echo (or
  from stdin when piped), checks it against Stripe (account + a cheap read per resource), shows
  the account, mode, key kind and capabilities, then stores it;
- ``logout [--profile NAME]`` deletes the profile's stored key;
- ``whoami [--profile NAME] [--json]``: which key would be used, from where, what it may do.

Exit status: 0 ok; 1 Stripe could not be reached; 2 usage, credentials or authentication error.
Messages go to stderr; the key itself is never printed (only ``sk_live_…abcd``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from typing import TYPE_CHECKING

from billing_tui.cli.options import SubParsers, add_connection_options, api_base, opt

if TYPE_CHECKING:  # the gateway loads stripe: only the handlers import it
    from billing_tui.core.keys import SecretKey
    from billing_tui.gateway.probe import KeyProbe

EXIT_OK = 0
EXIT_UNREACHABLE = 1
EXIT_ERROR = 2


def register(subparsers: SubParsers) -> None:
    login = subparsers.add_parser(
        "login",
        help="store a Stripe key in the OS keyring (after checking it)",
        description=(
            "Read a Stripe secret (sk_…) or restricted (rk_…) key — typed without echo, or piped "
            "on stdin — check it against Stripe, show the account, mode, key kind and what the "
            "key may do, and store it in the OS keyring under the profile. Exit status: 0 "
            "stored, 1 Stripe unreachable, 2 refused."
        ),
    )
    login.add_argument(
        "--default",
        action="store_true",
        help="make this profile the default (the first login does this automatically)",
    )
    login.add_argument(
        "--insecure-file-store",
        action="store_true",
        help=(
            "no usable OS keyring: keep the key in a 0600 plain-text file under the config "
            "directory instead (announced every time it is used)"
        ),
    )
    add_connection_options(login)
    login.set_defaults(handler=run_login)

    logout = subparsers.add_parser(
        "logout",
        help="delete the stored Stripe key of a profile",
        description="Delete the profile's key from the OS keyring (and the insecure file).",
    )
    add_connection_options(logout)
    logout.set_defaults(handler=run_logout)

    whoami = subparsers.add_parser(
        "whoami",
        help="show the key in use: profile, source, account, mode, capabilities",
        description=(
            "Show which Stripe key billing-tui would use (profile, where it comes from, masked "
            "key, kind), the account it belongs to, and its capabilities. Exit status: 0 ok, "
            "1 Stripe unreachable, 2 no key or key rejected."
        ),
    )
    whoami.add_argument("--json", action="store_true", help="print JSON")
    add_connection_options(whoami)
    whoami.set_defaults(handler=run_whoami)


def _err(command: str, message: str) -> None:
    print(f"billing-tui {command}: {message}", file=sys.stderr)


def _profile(args: argparse.Namespace) -> tuple[str, bool]:
    """(profile, whether it was given explicitly)."""
    from billing_tui.store.credentials import default_profile

    given = opt(args, "profile")
    return (str(given), True) if given else (default_profile(), False)


def _read_key(profile: str) -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Stripe secret or restricted key for profile {profile!r}: ")
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line


async def _probe(key: SecretKey, base: str | None) -> KeyProbe:
    from billing_tui.gateway.client import build_client, close_client
    from billing_tui.gateway.probe import probe_key

    client = build_client(key.reveal(), api_base=base)
    try:
        return await probe_key(client, key.kind)
    finally:
        await close_client(client)


def _describe(
    *,
    profile: str,
    key: SecretKey,
    source: str,
    probe: KeyProbe,
    base: str | None,
) -> list[str]:
    mode = "LIVE" if key.live else "TEST"
    account = probe.account_name or "(name unknown)"
    if probe.account_id:
        account += f" ({probe.account_id})"
    lines = [
        f"Profile:      {profile}",
        f"Account:      {account}",
        f"Mode:         {mode}" + ("  ← real money" if key.live else ""),
        f"Key:          {key.masked} — {key.kind.label}",
        f"Source:       {source}",
    ]
    if base:
        lines.append(f"API base:     {base}")
    lines.append("Capabilities:")
    width = max(len(c.name) for c in probe.capabilities)
    lines += [f"  {c.name:<{width}}  {c.describe()}" for c in probe.capabilities]
    lines += [f"Note: {note}" for note in probe.notes]
    if not probe.can_read_customers:
        lines.append("Warning: this key cannot read customers — lookups will fail with it.")
    return lines


def _stripe_failure(command: str, exc: Exception) -> int:
    from billing_tui.gateway.errors import AuthFailed, NetworkDown, StripeUnavailable

    if isinstance(exc, AuthFailed):
        _err(
            command,
            "Stripe rejected this key (HTTP 401: revoked, expired or mistyped). Create or copy "
            "a current key in the Dashboard (Developers → API keys) and run `billing-tui login`.",
        )
        return EXIT_ERROR
    _err(command, str(exc))
    return EXIT_UNREACHABLE if isinstance(exc, NetworkDown | StripeUnavailable) else EXIT_ERROR


def run_login(args: argparse.Namespace) -> int:
    from billing_tui.core.keys import parse_key
    from billing_tui.gateway.errors import GatewayError
    from billing_tui.store.config import ConfigError, load_config
    from billing_tui.store.credentials import (
        CredentialsError,
        ResolvedKey,
        check_keyring,
        set_default_profile,
        store_key,
    )

    if opt(args, "demo"):
        _err("login", "--demo uses the built-in sandbox and needs no key; nothing to log in to.")
        return EXIT_ERROR
    insecure = bool(opt(args, "insecure_file_store", False))
    try:
        profile, _explicit = _profile(args)
        if not insecure:
            check_keyring()  # before the operator pastes a key that could not be stored
        try:
            key = parse_key(_read_key(profile))
        except (EOFError, KeyboardInterrupt):
            _err("login", "no key entered; nothing stored.")
            return EXIT_ERROR
    except CredentialsError as exc:
        _err("login", f"{exc}. Nothing stored.")
        return EXIT_ERROR
    base = api_base(args)
    try:
        probe = asyncio.run(_probe(key, base))
    except GatewayError as exc:
        code = _stripe_failure("login", exc)
        print("Nothing stored.", file=sys.stderr)
        return code
    try:
        source = store_key(profile, key, insecure_file=insecure)
    except CredentialsError as exc:
        _err("login", str(exc))
        return EXIT_ERROR
    where = ResolvedKey(key, source, profile).source_label
    for line in _describe(profile=profile, key=key, source=where, probe=probe, base=base):
        print(line)
    if source == "file":
        print(
            "Warning: the key is stored UNENCRYPTED (--insecure-file-store); prefer an OS "
            "keyring and run `billing-tui login` again once one is available.",
            file=sys.stderr,
        )
    try:
        config = load_config()
        if opt(args, "default", False) or not config.default_profile:
            set_default_profile(profile)
            print(f"Stored. {profile!r} is the default profile.")
        else:
            print(
                f"Stored. The default profile is {config.default_profile!r}; use "
                f"--profile {profile} (or `login --profile {profile} --default`)."
            )
    except (ConfigError, CredentialsError) as exc:
        print(f"Stored, but the default profile could not be saved: {exc}", file=sys.stderr)
    _env_note()
    return EXIT_OK


def run_logout(args: argparse.Namespace) -> int:
    from billing_tui.store.credentials import CredentialsError, delete_key

    try:
        profile, _explicit = _profile(args)
        removed = delete_key(profile)
    except CredentialsError as exc:
        _err("logout", str(exc))
        return EXIT_ERROR
    places = {"keyring": "the OS keyring", "file": "the insecure credentials file"}
    if removed:
        where = " and ".join(places[r] for r in removed)
        print(f"Removed the key of profile {profile!r} from {where}.")
    else:
        print(f"No key was stored for profile {profile!r}; nothing to remove.")
    _env_note()
    return EXIT_OK


def _env_note() -> None:
    from billing_tui.store.credentials import ENV_VAR

    if os.environ.get(ENV_VAR, "").strip():
        print(
            f"Note: {ENV_VAR} is set in this environment; it wins over any stored key.",
            file=sys.stderr,
        )


def run_whoami(args: argparse.Namespace) -> int:
    from billing_tui.gateway.errors import GatewayError
    from billing_tui.store.credentials import CredentialsError, resolve_key

    as_json = bool(opt(args, "json", False))
    if opt(args, "demo"):
        if as_json:
            print(json.dumps({"mode": "demo", "source": "built-in sandbox"}))
        else:
            print("Mode:         DEMO — the built-in sandbox; no key is used.")
        return EXIT_OK
    try:
        profile, _explicit = _profile(args)
        resolved = resolve_key(profile)
    except CredentialsError as exc:
        _err("whoami", str(exc))
        return EXIT_ERROR
    if resolved.notice:
        print(f"Note: {resolved.notice}", file=sys.stderr)
    base = api_base(args)
    try:
        probe = asyncio.run(_probe(resolved.key, base))
    except GatewayError as exc:
        return _stripe_failure("whoami", exc)
    key = resolved.key
    if as_json:
        payload = {
            "profile": resolved.profile,
            "source": resolved.source,
            "mode": "live" if key.live else "test",
            "key": key.masked,
            "kind": key.kind.value,
            "api_base": base,
            **probe.to_json(),
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in _describe(
        profile=resolved.profile, key=key, source=resolved.source_label, probe=probe, base=base
    ):
        print(line)
    return EXIT_OK
