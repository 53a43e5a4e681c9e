"""Which scenario files exist, reading them, and loading them (with ``_base.json``) into a state."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from billing_tui.sandbox.catalog.loader import Loader
from billing_tui.sandbox.catalog.schema import (
    BASE_NAME,
    SCENARIO_DIR,
    ScenarioError,
    ScenarioInfo,
    in_all,
    info_from,
)
from billing_tui.sandbox.state import SandboxState

__all__ = ["BASE_NAME", "SCENARIO_DIR", "list_scenarios", "load", "scenario_paths"]


def scenario_paths() -> dict[str, Path]:
    """Packaged scenario files by name (``_base.json`` excluded)."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.json")) if not p.stem.startswith("_")}


def list_scenarios() -> list[ScenarioInfo]:
    """The packaged scenarios' descriptions and expectations (nothing is loaded)."""
    infos = []
    for path in scenario_paths().values():
        data = _read(path)
        infos.append(info_from(data, path, customer_ids=_customer_ids(data)))
    return infos


def load(state: SandboxState, names: Sequence[str]) -> list[ScenarioInfo]:
    """Load scenarios (catalog names, ``"all"``, or paths to JSON files) into ``state``.

    ``_base.json`` is loaded first, once per state. Each scenario's :class:`ScenarioInfo` is
    also stored in ``state.scenarios[name]``.
    """
    if isinstance(names, str):
        names = [names]
    available = scenario_paths()
    paths: list[Path] = []
    for name in names:
        if name == "all":
            paths.extend(p for p in available.values() if in_all(_read(p)))
        elif name in available:
            paths.append(available[name])
        elif name.endswith(".json") or "/" in name or Path(name).is_file():
            path = Path(name)
            if not path.is_file():
                raise ScenarioError(f"{name}: no such scenario file")
            paths.append(path)
        else:
            raise ScenarioError(
                f"unknown scenario {name!r}; known: all, {', '.join(sorted(available))}"
            )
    _load_base(state)
    infos: list[ScenarioInfo] = []
    seen: set[Path] = set()
    for path in paths:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        data = _read(path)
        info = info_from(data, path, customer_ids=())
        if info.name in state.scenarios:
            infos.append(state.scenarios[info.name])
            continue
        created = Loader(state, path).run(data)
        info = info_from(data, path, customer_ids=tuple(created.get("customer", [])))
        state.scenarios[info.name] = info
        infos.append(info)
    return infos


def _load_base(state: SandboxState) -> None:
    path = SCENARIO_DIR / f"{BASE_NAME}.json"
    data = _read(path)
    first = next(iter(data.get("objects", [])), None)
    if first is not None and state.find(str(first.get("id"))) is not None:
        return  # already loaded into this state
    Loader(state, path).run(data)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: the file must hold a JSON object")
    return data


def _customer_ids(data: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        str(o.get("id"))
        for o in data.get("objects", [])
        if isinstance(o, dict) and o.get("object") == "customer"
    )
