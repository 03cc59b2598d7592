"""Mutation testing of the carriers' status mapping tables (``make mutation``, docs/testing.md).

mutmut mutates the code inside functions only; the mapping tables are module-level data. This
plants, one at a time, the bug that matters in a table: a row mapped to another status (a wrong
status becomes "delivered"; "delivered" becomes "in_transit") or a row dropped, and runs the
mapping tests in this process against it. Prints one JSON line per table with its counts and
the surviving rows.

    python tests/mutation/tables.py [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

# Run as a script (Makefile): the checkout is two folders up.
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from carriers import Status  # noqa: E402

TESTS = [
    "tests/carriers/test_intl_mapping.py",
    "tests/carriers/test_jp_mapping.py",
    "tests/carriers/test_mapping_rows.py",
    "tests/carriers/test_mapping_exact.py",
]
MODULES = [
    "carriers.ups",
    "carriers.dhl",
    "carriers.fedex",
    "carriers.usps",
    "carriers.aftership",
    "carriers.track17",
    "carriers.easypost",
    "carriers.ship24",
    "carriers.japan.rules",
    "carriers.japan.yamato",
    "carriers.japan.sagawa",
    "carriers.japan.japanpost",
    "carriers.japan.seino",
    "carriers.japan.fukuyama",
]


def other(status: Status) -> Status:
    return Status.IN_TRANSIT if status is Status.DELIVERED else Status.DELIVERED


def tables(module):
    """(name, table) for each module-level dict of statuses or tuple of rows with a status."""
    for name, value in vars(module).items():
        if not name.isupper():
            continue
        is_map = isinstance(value, dict) and all(isinstance(v, Status) for v in value.values())
        is_rows = isinstance(value, tuple) and all(
            isinstance(r, tuple) and any(isinstance(c, Status) for c in r) for r in value
        )
        if value and (is_map or is_rows):
            yield name, value


def holders():
    """Every module and class of carriers/ (a tuple table is shared by reference)."""
    import carriers

    seen = []
    for name in list(sys.modules):
        if name == "carriers" or name.startswith("carriers."):
            module = sys.modules[name]
            seen.append(module)
            seen.extend(v for v in vars(module).values() if isinstance(v, type))
    return seen + [carriers]


@contextlib.contextmanager
def replaced_tuple(original: tuple, new: tuple):
    spots = [
        (h, k) for h in holders() for k, v in list(vars(h).items()) if v is original and k.isupper()
    ] + [
        (h, k)
        for h in holders()
        for k, v in list(vars(h).items())
        if v is original and k == "rules"
    ]
    for h, k in spots:
        setattr(h, k, new)
    try:
        yield
    finally:
        for h, k in spots:
            setattr(h, k, original)


def mutants(table):
    """(label, apply) pairs; ``apply`` is a context manager factory."""
    if isinstance(table, dict):
        for key, status in list(table.items()):

            @contextlib.contextmanager
            def swap(key=key, status=status):
                table[key] = other(status)
                try:
                    yield
                finally:
                    table[key] = status

            @contextlib.contextmanager
            def drop(key=key, status=status):
                del table[key]
                try:
                    yield
                finally:
                    table[key] = status

            yield f"{key!r}: {status} → {other(status)}", swap
            yield f"{key!r} dropped", drop
    else:
        for i, row in enumerate(table):
            j = next(n for n, c in enumerate(row) if isinstance(c, Status))
            changed = row[:j] + (other(row[j]),) + row[j + 1 :]
            swapped = table[:i] + (changed,) + table[i + 1 :]
            dropped = table[:i] + table[i + 1 :]
            yield (
                f"{row[:j]}: {row[j]} → {other(row[j])}",
                (lambda s=swapped: replaced_tuple(table, s)),
            )
            yield f"{row[:j]} dropped", (lambda d=dropped: replaced_tuple(table, d))


class _Loop:
    """A pytest plugin that collects the mapping tests once and then, instead of pytest's own
    run, plants each table mutant in turn and runs the collected tests against it until one
    fails. One collection instead of one per mutant: the tables take seconds, not minutes."""

    def __init__(self):
        self.results: list[dict] = []
        self.clean = True

    def fails(self, items) -> bool:
        for item in items:
            reports = runtestprotocol(item, nextitem=None, log=False)
            if any(r.failed for r in reports):
                return True
        return False

    def pytest_runtestloop(self, session):
        items = session.items
        if self.fails(items):
            self.clean = False
            return True
        for name in MODULES:
            module = sys.modules[name]
            for table_name, table in list(tables(module)):
                if name != "carriers.japan.rules" and table_name == "COMMON_RULES":
                    continue  # re-exported; mutated once, in carriers.japan.rules
                # The tests naming the carrier first: a killed mutant then stops early.
                short = name.rsplit(".", 1)[1]
                first = [
                    i for i in items if short in i.nodeid or "japan" in name and "jp" in i.nodeid
                ]
                chosen = {id(i) for i in first}
                ordered = first + [i for i in items if id(i) not in chosen]
                total, survived = 0, []
                for label, apply in mutants(table):
                    total += 1
                    with apply():
                        if not self.fails(ordered):
                            survived.append(label)
                row = {"table": f"{name}.{table_name}", "total": total, "survived": survived}
                print(json.dumps(row, ensure_ascii=False), file=sys.__stdout__, flush=True)
                self.results.append(row)
        return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "mutants" / "tables.json"))
    args = parser.parse_args()
    import os

    os.chdir(ROOT)
    for name in MODULES:
        importlib.import_module(name)
    loop = _Loop()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", *TESTS], plugins=[loop])
    if not loop.clean:
        print("the mapping tests fail without any mutant", file=sys.stderr)
        return 2
    Path(args.out).parent.mkdir(exist_ok=True)
    Path(args.out).write_text(
        json.dumps(loop.results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
