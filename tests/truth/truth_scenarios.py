"""The scenarios in ``billing_tui/sandbox/scenarios/more/`` (kept out of the demo's ``"all"``),
loaded one at a time through the real path: sandbox → gateway → snapshot → detect → suggest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_tui.core.anomalies import Anomaly, detect
from billing_tui.core.classify import Answers, Classification, suggest
from billing_tui.core.model import CustomerSnapshot
from billing_tui.gateway import Gateway
from billing_tui.sandbox import Sandbox
from billing_tui.sandbox.catalog import SCENARIO_DIR
from billing_tui.sandbox.engine import DEFAULT_TEST_NOW

MORE_DIR = SCENARIO_DIR / "more"
MORE = sorted(MORE_DIR.glob("*.json"))


@dataclass(frozen=True)
class Loaded:
    name: str
    data: dict[str, Any]
    sandbox: Sandbox
    gateway: Gateway
    snapshot: CustomerSnapshot
    anomalies: tuple[Anomaly, ...]

    def classify(self, answers: Answers | None = None) -> Classification:
        return suggest(self.snapshot, self.anomalies, answers or Answers())


async def load_more(path: Path) -> Loaded:
    data = json.loads(path.read_text(encoding="utf-8"))
    sandbox = Sandbox.demo(scenarios=[str(path)], now=DEFAULT_TEST_NOW)
    gateway = Gateway(sandbox.stripe_client())
    resolution = await gateway.resolve(data["identifier"])
    snap = await gateway.snapshot(resolution.customer_ids)
    return Loaded(path.stem, data, sandbox, gateway, snap, detect(snap))


async def load_named(name: str) -> Loaded:
    return await load_more(MORE_DIR / f"{name}.json")
