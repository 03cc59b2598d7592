"""The dependency rule holds and can fail: import-linter's contracts (pyproject.toml) pass on the
tree, and break when a feature imports web/, a customer page imports the staff side (or any two
of web/'s customer, staff, API and hooks packages import each other) or carriers/ imports
tracking/; no module hides an import at its bottom (the old cycle workaround)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for name in ("tracking", "carriers"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _plant(tree: Path, module: str, line: str):
    path = tree / module
    original = path.read_text()
    path.write_text(original + f"\n{line}\n")
    return lambda: path.write_text(original)


def test_the_contracts_are_kept(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("tracking/returns/policy.py", "import tracking.web.staff.auth", "tracking/: web and demo"),
        ("tracking/orders/lookup.py", "import tracking.page.view", "tracking/: web and demo"),
        ("tracking/estimates/refresh.py", "import tracking.sync.apply", "tracking/: web and demo"),
        ("carriers/numbers.py", "import tracking.timeutil", "carriers/ is a library"),
        ("tracking/web/customer/portal.py", "import tracking.web.staff.auth", "web/: the customer"),
        ("tracking/web/api/routes.py", "import tracking.web.hooks.shop", "web/: the customer"),
        (
            "tracking/web/hooks/carrier.py",
            "import tracking.web.customer.tokens",
            "web/: the customer",
        ),
    ],
)
def test_an_upward_import_breaks_a_contract(tree, module, line, contract):
    restore = _plant(tree, module, line)
    try:
        result = _lint(tree)
    finally:
        restore()
    assert result.returncode != 0
    broken = [ln for ln in result.stdout.splitlines() if "BROKEN" in ln or contract in ln]
    assert any(contract in ln for ln in broken), result.stdout


def _late_imports(path: Path) -> list[int]:
    """Line numbers of module-level imports that come after the first def or class."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    seen_code, late = False, []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            seen_code = True
        elif seen_code and isinstance(node, ast.Import | ast.ImportFrom):
            late.append(node.lineno)
    return late


def test_no_import_at_the_bottom_of_a_module():
    offenders = {
        str(path.relative_to(ROOT)): lines
        for package in ("tracking", "carriers")
        for path in (ROOT / package).rglob("*.py")
        if (lines := _late_imports(path))
    }
    assert offenders == {}


def test_the_late_import_check_sees_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\n\ndef f():\n    return os\n\n\nfrom sys import path  # noqa\n")
    assert _late_imports(sample) == [8]
