"""Views parse input, call a service and render: no module under tracking/web/ runs a query
itself. Read from the syntax trees, so a query cannot hide behind a helper in the same module;
the queries live in the feature package that owns the table (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "tracking" / "web"

# What running a query looks like: building a SELECT, executing a statement, the legacy query
# API, and loading a row by primary key.
QUERY_CALLS = {"select", "exec", "execute", "scalar", "scalars"}


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _name_of(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def queries_in(source: str) -> list[tuple[int, str]]:
    """(line, what) of every query call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "query":
            found.append((node.lineno, ".query"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "select":
            found.append((node.lineno, "select("))
        elif isinstance(func, ast.Attribute):
            if func.attr in QUERY_CALLS - {"select"}:
                found.append((node.lineno, f".{func.attr}("))
            elif func.attr == "select":
                found.append((node.lineno, ".select("))
            elif func.attr == "get" and _name_of(func.value) in ("session", "get_session", "db"):
                found.append((node.lineno, "session.get("))
    return sorted(found)


def test_no_view_module_runs_a_query():
    offenders = {
        str(path.relative_to(WEB)): hits
        for path in sorted(WEB.rglob("*.py"))
        if (hits := queries_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "move the query into the feature package that owns it"


def test_the_check_sees_every_kind_of_query():
    planted = (
        "from sqlmodel import select\n"
        "from tracking.db import get_session\n"
        "def view(session, Order):\n"
        "    rows = session.exec(select(Order)).all()\n"
        "    one = get_session().get(Order, 1)\n"
        "    session.execute('SELECT 1')\n"
        "    legacy = session.query(Order).first()\n"
        "    n = session.scalar(None)\n"
        "    return rows, one, legacy, n\n"
    )
    assert queries_in(planted) == [
        (4, ".exec("),
        (4, "select("),
        (5, "session.get("),
        (6, ".execute("),
        (7, ".query"),
        (8, ".scalar("),
    ]


def test_the_check_leaves_service_calls_and_dict_reads_alone():
    clean = (
        "def view(request, orders, session):\n"
        "    f = request.args.get('q', '')\n"
        "    return orders.search(session, f), request.form.get('x')\n"
    )
    assert queries_in(clean) == []
