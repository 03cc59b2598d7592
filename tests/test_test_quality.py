"""Tests that cannot fail are worse than none: this walks every test file's syntax tree and
fails on the patterns that made assertions pass whatever the code did (docs/testing.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_isinstance(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "isinstance"
    )


def problems(source: str) -> list[str]:
    """``line: what`` for each pattern that makes a check unable to fail."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_or = isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)
        if is_or and any(_is_true(v) for v in node.values):
            found.append(f"{node.lineno}: `or True` makes the expression always true")
        if isinstance(node, ast.Assert):
            test = node.test
            if isinstance(test, ast.Constant) and test.value:
                found.append(f"{node.lineno}: assert of a true constant")
            elif _is_isinstance(test) or (
                isinstance(test, ast.BoolOp) and all(_is_isinstance(v) for v in test.values)
            ):
                found.append(f"{node.lineno}: type-only assertion (assert the value)")
    for node in ast.walk(ast.parse(source)):
        is_test = isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        if is_test and not any(_checks(n) for n in ast.walk(node)):
            found.append(f"{node.lineno}: {node.name} asserts nothing")
    return found


def _checks(node: ast.AST) -> bool:
    """An assert, a ``pytest.raises``/``warns`` block, or a call to an ``assert_*``/``expect*``
    helper (Playwright's ``expect``, ``mock.assert_called``…)."""
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in {"raises", "warns", "fail"} or name.startswith(("assert", "expect", "check"))
    return False


def test_no_test_file_has_an_assertion_that_cannot_fail():
    bad = {}
    for path in sorted(TESTS.rglob("*.py")):
        found = problems(path.read_text(encoding="utf-8"))
        if found:
            bad[str(path.relative_to(TESTS))] = found
    assert bad == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def test_a():\n    assert x == 1 or True\n", ["2: `or True`"]),
        ("def test_a():\n    assert isinstance(x, int)\n", ["2: type-only"]),
        ("def test_a():\n    assert isinstance(x, int) and isinstance(y, str)\n", ["2: type-only"]),
        ("def test_a():\n    assert True\n", ["2: assert of a true constant"]),
        ("def test_a():\n    f(x)\n", ["1: test_a asserts nothing"]),
        ("def test_a():\n    assert isinstance(x, int) and x == 3\n", []),
        ("def test_a():\n    with pytest.raises(ValueError):\n        f()\n", []),
        ("def test_a():\n    expect(page).to_have_title('x')\n", []),
        ("def helper():\n    f(x)\n", []),
    ],
)
def test_the_checker_catches_each_pattern(source, expected):
    found = problems(source)
    assert len(found) == len(expected), found
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want), (got, want)
