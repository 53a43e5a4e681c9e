"""The seams between the packages, enforced: import-linter's contracts (pyproject.toml, no import
cycle among them), and proof that each broken contract is caught.

The contracts themselves are declared once, in ``[tool.importlinter]`` of pyproject.toml, and
described in HACKING.md. These tests run them inside the ordinary test command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("billing_tui", "screens", "widgets")


def _lint(root: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the tree at ``root`` (its own pyproject.toml), in a fresh process;
    only ``contract`` when one is named."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    only = (contract,) if contract else ()
    code = (
        "from importlinter.cli import lint_imports; "
        f"raise SystemExit(lint_imports(no_cache=True, limit_to_contracts={only!r}))"
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
        ("billing_tui/core/text.py", "from billing_tui.core import model", "acyclic"),
    ],
)
def test_a_throwaway_import_breaks_its_contract(
    tree_copy: Path, module: str, throwaway: str, contract: str
) -> None:
    path = tree_copy / module
    original = path.read_text()
    path.write_text(original + f"\n{throwaway}  # throwaway: this must break {contract}\n")
    try:
        result = _lint(tree_copy, contract)
    finally:
        path.write_text(original)
    assert result.returncode != 0, result.stdout  # this contract alone is broken
    assert "BROKEN" in result.stdout or "broken" in result.stdout
    assert module.removesuffix(".py").rsplit("/", 1)[-1] in result.stdout
