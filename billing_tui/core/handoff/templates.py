"""Follow-up templates: data files by locale, loaded once, and the choice of locale.

Wording lives in ``billing_tui/core/templates/<locale>.json`` plus any directory named in
``BILLING_TUI_TEMPLATES``, keyed by bucket and action, so a team adds a language or changes
the tone without code. Reading those files is the only I/O of the handoff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
TEMPLATE_ENV = "BILLING_TUI_TEMPLATES"
DEFAULT_LOCALE = "en"


class TemplateError(ValueError):
    """A follow-up template file is missing, unreadable or malformed (names the file)."""


@dataclass(frozen=True)
class TemplateSet:
    locale: str
    language: str
    match: tuple[str, ...]
    raw: Mapping[str, Any]
    source: Path

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        return value if isinstance(value, str) else ""

    def sentence(
        self, bucket: str, key: str, situations: Sequence[str] = (), *, fallback: bool = True
    ) -> str | None:
        """The template for ``key`` (``kind`` or ``kind:variant``) in ``bucket``.

        Tried in order: ``key:situation`` for each situation, ``key``, the bare kind; first in
        the bucket's table, then (with ``fallback``) in ``_default``.
        """
        buckets = self.raw.get("buckets", {})
        kind = key.split(":", 1)[0]
        candidates = [f"{key}:{s}" for s in situations] + [key, kind]
        for scope in (bucket, "_default") if fallback else (bucket,):
            table = buckets.get(scope, {})
            for candidate in dict.fromkeys(candidates):
                value = table.get(candidate)
                if isinstance(value, str):
                    return value
        return None

    def count(self, unit: str, n: int) -> str:
        """``n`` of ``unit`` in this language's singular or plural (``units`` in the file:
        ``{"seat": {"one": "{n} seat", "other": "{n} seats"}}``); a file without the unit
        writes the bare number."""
        forms = (self.raw.get("units") or {}).get(unit) or {}
        form = forms.get("one" if n == 1 else "other") or forms.get("other")
        return form.format(n=n) if isinstance(form, str) else str(n)

    def closing(self, bucket: str, situations: Sequence[str] = ()) -> str | None:
        return self.sentence(bucket, "closing", situations, fallback=False)

    def date(self, when: datetime | None) -> str:
        if when is None:
            return self.text("missing").format(key="date")
        months = self.raw.get("months") or []
        month_name = months[when.month - 1] if len(months) == 12 else str(when.month)
        return self.text("date_format").format(
            year=when.year, month=when.month, day=when.day, month_name=month_name
        )


_REQUIRED = ("locale", "greeting", "greeting_no_name", "signoff", "date_format", "buckets")


def _load_file(path: Path) -> TemplateSet:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TemplateError(f"follow-up templates {path}: cannot be read ({exc})") from exc
    if not isinstance(raw, dict):
        raise TemplateError(f"follow-up templates {path}: expected a JSON object")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise TemplateError(f"follow-up templates {path}: missing {', '.join(missing)}")
    if not isinstance(raw["buckets"], dict) or "_default" not in raw["buckets"]:
        raise TemplateError(f"follow-up templates {path}: 'buckets' needs a '_default' table")
    locale = str(raw["locale"]).lower()
    match = tuple(str(m).lower() for m in raw.get("match") or [locale])
    return TemplateSet(locale, str(raw.get("language", locale)), match, raw, path)


def template_dirs() -> tuple[Path, ...]:
    extra = os.environ.get(TEMPLATE_ENV, "")
    return (TEMPLATE_DIR, *(Path(p) for p in extra.split(os.pathsep) if p))


@lru_cache(maxsize=8)
def _load_cached(dirs: tuple[Path, ...]) -> Mapping[str, TemplateSet]:
    found: dict[str, TemplateSet] = {}
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.json")):
            templates = _load_file(path)
            found[templates.locale] = templates  # later directories override
    if DEFAULT_LOCALE not in found:
        raise TemplateError(f"no {DEFAULT_LOCALE}.json follow-up templates in {dirs[0]}")
    return MappingProxyType(found)


def load_templates(dirs: Sequence[Path] | None = None) -> Mapping[str, TemplateSet]:
    """Every template set found, by locale (``en``, ``zh``, …)."""
    return _load_cached(tuple(dirs) if dirs is not None else template_dirs())


def available_locales(dirs: Sequence[Path] | None = None) -> tuple[str, ...]:
    return tuple(sorted(load_templates(dirs)))


def choose_locale(
    preferred: Iterable[str],
    override: str | None = None,
    *,
    templates: Mapping[str, TemplateSet] | None = None,
) -> str:
    """The operator's override if it exists, else the customer's first supported locale."""
    sets = templates if templates is not None else load_templates()

    def find(tag: str) -> str | None:
        tag = tag.strip().lower().replace("_", "-")
        for templates_ in sets.values():
            if tag == templates_.locale or tag in templates_.match:
                return templates_.locale
        base = tag.split("-", 1)[0]
        for templates_ in sets.values():
            if base == templates_.locale or base in templates_.match:
                return templates_.locale
        return None

    if override:
        chosen = find(override)
        if chosen is None:
            raise TemplateError(
                f"no follow-up templates for {override!r}; available: {', '.join(sorted(sets))}"
            )
        return chosen
    for tag in preferred:
        chosen = find(tag)
        if chosen is not None:
            return chosen
    return DEFAULT_LOCALE
