"""The code's shape, enforced: no hand-written module over 800 lines, no function ranked worse
than C by radon (the sandbox's parsers included: none needs an exemption), and one home for
each shared rule (key masking, email normalising, the card-brand table, date formats)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from radon.complexity import cc_rank, cc_visit
from radon.visitors import Function

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    p
    for top in ("billing_tui", "screens", "widgets")
    for p in (ROOT / top).rglob("*.py")
    if "__pycache__" not in p.parts
)
MAX_LINES = 800


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_sources_were_found() -> None:
    assert len(SOURCES) > 50


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_no_module_over_800_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_rel(path)} has {lines} lines (at most {MAX_LINES})"


def _too_complex(path: Path) -> list[str]:
    found = []
    for block in cc_visit(path.read_text(encoding="utf-8")):
        if not isinstance(block, Function):
            continue  # a class's methods are listed on their own, with their class name
        owner = f"{block.classname}." if block.classname else ""
        name = f"{_rel(path)}:{owner}{block.name}"
        if cc_rank(block.complexity) > "C":
            found.append(f"{name} {cc_rank(block.complexity)}({block.complexity})")
    return found


def test_no_function_ranked_worse_than_c() -> None:
    found = [f for path in SOURCES for f in _too_complex(path)]
    assert found == [], "\n".join(found)


def test_the_complexity_check_can_fail(tmp_path: Path) -> None:
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(30))
    bad = tmp_path / "bad.py"
    bad.write_text(f"def tangled(x):\n{branches}\n    return -1\n")
    blocks = cc_visit(bad.read_text())
    assert cc_rank(blocks[0].complexity) > "C"


# --------------------------------------------------------------------------- one home per rule

_KEY_REGEX = re.compile(r"re\.compile\([^)]*(?:sk|rk|pk)[|_]")
_BRAND_TABLE = re.compile(r"[\"']american_express[\"']\s*:")
_EMAIL_FOLD = re.compile(r"email[\w.()\[\]\"' ]*\.(?:casefold|lower)\(\)")
#: A date or time shown to people: ``:%Y-%m-%d`` in an f-string or ``strftime("%Y-%m-%d …")``
#: (the case log's file stamps are not a label: no dashes).
_DATE_LABEL = re.compile(r"%Y-%m-%d")
TEXT_MODULE = "billing_tui/core/text.py"


def _offenders(pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{_rel(p)}:{n}"
        for p in SOURCES
        if _rel(p) != TEXT_MODULE and not _rel(p).startswith("billing_tui/sandbox/")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]


def test_one_key_pattern() -> None:
    assert _offenders(_KEY_REGEX) == []


def test_one_brand_table() -> None:
    assert _offenders(_BRAND_TABLE) == []


def test_one_email_normaliser() -> None:
    assert _offenders(_EMAIL_FOLD) == []


def test_one_date_label() -> None:
    # core/text.py's date_label / time_label; the handoff, plans, cases screen and CLI used them
    # beside their own f"{…:%Y-%m-%d}" copies
    assert _offenders(_DATE_LABEL) == []
