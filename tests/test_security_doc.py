"""docs/security.md names, for each control, the code that holds it and the test that proves it:
every test it names exists (a test function in that file), and so does every code path, so the
document cannot promise a test that was renamed or removed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import ROOT

HEADER = ["Control", "Where in code", "Test"]
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")
CODE_REF = re.compile(r"`((?:tracking|carriers|templates|static|tests/support)/[\w/.]*|app\.py)`")


def control_rows(markdown: str) -> list[list[str]]:
    """The rows of every table whose header is Control | Where in code | Test."""
    rows, in_table = [], False
    for line in markdown.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells == HEADER:
            in_table = True
        elif in_table and not set(line) <= set("|-: "):
            rows.append(cells)
    return rows


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def problems(markdown: str, root: Path) -> list[str]:
    found = []
    for control, where, test in control_rows(markdown):
        refs = TEST_REF.findall(test)
        if not refs:
            found.append(f"{control[:40]}: names no test")
        for path, name in refs:
            file = root / path
            if not name:
                found.append(f"{path}: a file, not a test")
            elif not file.is_file():
                found.append(f"{path}: no such file")
            elif name not in _test_names(file):
                found.append(f"{path}::{name}: no such test")
        for path in CODE_REF.findall(where):
            if not (root / path).exists():
                found.append(f"{path}: no such code")
    return found


def test_every_test_and_code_path_named_in_the_security_doc_exists():
    markdown = (ROOT / "docs/security.md").read_text(encoding="utf-8")
    assert len(control_rows(markdown)) >= 30  # the tables were read at all
    assert problems(markdown, ROOT) == []


PLANTED = """
| Control | Where in code | Test |
|---|---|---|
| real | `tracking/security.py` | `tests/test_security_doc.py::test_the_checker_finds_each_kind_of_planted_mistake` |
| renamed test | `tracking/security.py` | `tests/test_security_doc.py::test_gone` |
| moved file | `tracking/security.py` | `tests/nowhere.py::test_x` |
| file only | `tracking/security.py` | `tests/test_security_doc.py` |
| no test | `tracking/security.py` | none yet |
| moved code | `tracking/nowhere.py` | `tests/test_security_doc.py::test_every_test_and_code_path_named_in_the_security_doc_exists` |
| half | `tracking/security.py` | `tests/test_security_doc.py::test_also_gone`<br>`tests/test_security_doc.py::test_the_checker_finds_each_kind_of_planted_mistake` |

| Other | table | `tests/nowhere.py::test_not_a_control` |
|---|---|---|
"""


def test_the_checker_finds_each_kind_of_planted_mistake():
    assert len(control_rows(PLANTED)) == 7
    assert problems(PLANTED, ROOT) == [
        "tests/test_security_doc.py::test_gone: no such test",
        "tests/nowhere.py: no such file",
        "tests/test_security_doc.py: a file, not a test",
        "no test: names no test",
        "tracking/nowhere.py: no such code",
        "tests/test_security_doc.py::test_also_gone: no such test",
    ]
