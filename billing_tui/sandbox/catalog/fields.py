"""Reading a scenario object's fields: types, references to earlier objects, and times.

Every problem raises :class:`FieldError` naming the field; the loader turns it into a
:class:`~billing_tui.sandbox.catalog.schema.ScenarioError` that also names the file and object.

Times follow the sandbox clock: ``"now"``, a relative offset (``"-90d"``, ``"-6mo-8d"``),
``{"after": "<object id>", "seconds": n}`` or absolute unix seconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from billing_tui.sandbox import resources
from billing_tui.sandbox.state import SandboxState

_TERM = re.compile(r"([+-])(\d+)(mo|y|w|d|h|m|s)")
_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}

#: "no default": the field is required.
REQUIRED: Any = ...


def parse_offset(text: str, now: int) -> int:
    """``"-6mo-8d"`` → unix seconds relative to ``now`` (months/years first, calendar-aware)."""
    if text == "now":
        return now
    terms = _TERM.findall(text)
    if not terms or "".join(s + n + u for s, n, u in terms) != text:
        raise ValueError(
            f"{text!r} is not a relative time like '-90d', '+2d', '-3h', '-6mo-8d' or 'now'"
        )
    months = 0
    seconds = 0
    for sign, number, unit in terms:
        value = int(number) * (1 if sign == "+" else -1)
        if unit == "mo":
            months += value
        elif unit == "y":
            months += 12 * value
        else:
            seconds += value * _UNIT_SECONDS[unit]
    base = resources.add_months(now, months) if months else now
    return base + seconds


class FieldError(Exception):
    """A field that cannot be read; becomes a ScenarioError naming file/object/field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


class Fields:
    """Typed reads of scenario entries against a state (for references) and its clock."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.now = state.now()

    def text(self, entry: Mapping[str, Any], key: str, default: Any = REQUIRED) -> Any:
        value = entry.get(key, default)
        if value is REQUIRED:
            raise FieldError(key, "is required")
        if value is not None and not isinstance(value, str):
            raise FieldError(key, f"must be a string, not {type(value).__name__}")
        return value

    def integer(self, entry: Mapping[str, Any], key: str, default: Any = REQUIRED) -> Any:
        value = entry.get(key, default)
        if value is REQUIRED:
            raise FieldError(key, "is required")
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise FieldError(key, f"must be an integer, not {type(value).__name__}")
        return value

    def flag(self, entry: Mapping[str, Any], key: str, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            raise FieldError(key, "must be true or false")
        return value

    def mapping(self, entry: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = entry.get(key, {})
        if not isinstance(value, dict):
            raise FieldError(key, "must be an object")
        return value

    def metadata(self, entry: Mapping[str, Any]) -> dict[str, str]:
        value = self.mapping(entry, "metadata")
        if not all(isinstance(v, str) for v in value.values()):
            raise FieldError("metadata", "values must be strings (Stripe metadata is strings)")
        return value

    def time(self, entry: Mapping[str, Any], key: str, default: Any = REQUIRED) -> Any:
        value = entry.get(key, default)
        if value is REQUIRED:
            raise FieldError(key, "is required")
        return None if value is None else self.at(value, key)

    def at(self, value: Any, key: str) -> int:
        """One time value (see the module docstring) as unix seconds."""
        if isinstance(value, bool):
            raise FieldError(key, "must be a time")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return parse_offset(value, self.now)
            except ValueError as exc:
                raise FieldError(key, str(exc)) from None
        if isinstance(value, dict) and set(value) <= {"after", "seconds"} and "after" in value:
            return self._after(value, key)
        raise FieldError(
            key, "must be 'now', a relative time like '-90d', or {'after': id, 'seconds': n}"
        )

    def _after(self, value: Mapping[str, Any], key: str) -> int:
        other = self.state.find(str(value["after"]))
        if other is None or "created" not in other:
            raise FieldError(key, f"'after' names {value['after']!r}, which is not defined earlier")
        seconds = value.get("seconds", 0)
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            raise FieldError(key, "'seconds' must be an integer")
        return int(other["created"]) + seconds

    def ref(self, entry: Mapping[str, Any], key: str, kind: str, *, required: bool = True) -> Any:
        """The id of an object of ``kind`` defined earlier (or None when optional and absent)."""
        value = self.text(entry, key, REQUIRED if required else None)
        if value is not None and self.state.get(kind, value) is None:
            raise FieldError(key, f"{value!r} is not a {kind} defined earlier")
        return value
