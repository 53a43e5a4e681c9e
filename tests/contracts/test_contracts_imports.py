"""The seams between the packages, enforced: import-linter's contracts (pyproject.toml), no
import cycle, and proof that a broken contract is caught.

The contracts themselves are declared once, in ``[tool.importlinter]`` of pyproject.toml, and
described in HACKING.md. These tests run them inside the ordinary test command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("billing_tui", "screens", "widgets")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the tree at ``root`` (its own pyproject.toml), in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = (
        "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_import_contract_holds() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].split("kept")[0]


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway copy of the sources and pyproject.toml, to break on purpose."""
    root = tmp_path_factory.mktemp("tree")
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.json")
        )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "throwaway", "contract"),
    [
        ("billing_tui/core/model.py", "import textual", "core-pure"),
        ("billing_tui/core/classify.py", "from billing_tui.desk import session", "layers"),
        ("billing_tui/sandbox/state.py", "from billing_tui.core import text", "sandbox-standalone"),
        ("billing_tui/store/config.py", "import textual.app", "textual-in-ui-only"),
        ("billing_tui/core/text.py", "import stripe", "core-pure"),
        ("widgets/tables.py", "import stripe", "stripe-at-the-edge"),
        ("screens/search.py", "from billing_tui.gateway import client", "ui-through-the-session"),
    ],
)
def test_a_throwaway_import_breaks_its_contract(
    tree_copy: Path, module: str, throwaway: str, contract: str
) -> None:
    path = tree_copy / module
    original = path.read_text()
    path.write_text(original + f"\n{throwaway}  # throwaway: this must break {contract}\n")
    try:
        result = _lint(tree_copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    grandchildren = sorted(graph.find_modules_directly_imported_by(child))
                    work.append((child, iter(grandchildren)))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_anywhere() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle(tree_copy: Path) -> None:
    """The check above can fail: a copy with a planted cycle is reported."""
    core = tree_copy / "billing_tui" / "core"
    (core / "_cycle_a.py").write_text("from billing_tui.core import _cycle_b\n")
    (core / "_cycle_b.py").write_text("from billing_tui.core import _cycle_a\n")
    code = (
        "import grimp, sys; sys.path.insert(0, '.');"
        "from tests_cycles import _cycles;"
        "g = grimp.build_graph('billing_tui', cache_dir=None);"
        "print(_cycles(g))"
    )
    shutil.copy(Path(__file__), tree_copy / "tests_cycles.py")
    try:
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tree_copy,
            env={**os.environ, "PYTHONPATH": str(tree_copy)},
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
    finally:
        for name in ("_cycle_a.py", "_cycle_b.py"):
            (tree_copy / "billing_tui" / "core" / name).unlink()
        (tree_copy / "tests_cycles.py").unlink()
    assert "billing_tui.core._cycle_a" in out
    assert "billing_tui.core._cycle_b" in out
