"""Write the killed/survived table of ``make mutation`` into docs/testing.md.

Reads ``mutmut results --all true`` (function mutants) and mutants/tables.json (mapping-table
mutants from tests/mutation/tables.py), groups them by module and replaces the block between
the two markers in docs/testing.md. Survivors are listed by name; their reasons are written by
hand below the table.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

# Run as a script (Makefile): the checkout is two folders up.
ROOT = Path(__file__).resolve().parents[2]

DOC = ROOT / "docs" / "testing.md"
START, END = "<!-- mutation-table -->", "<!-- /mutation-table -->"
KILLED = {"killed", "timeout", "segfault"}


def function_results(patterns: list[str]) -> dict[str, dict[str, list[str]]]:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modules: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for line in out.splitlines():
        m = re.match(r"\s*(\S+?)\.x[_ǁ]\S*__mutmut_\d+: (.+)$", line.strip())
        if not m:
            continue
        name, status = line.strip().rsplit(": ", 1)
        selected = any(fnmatch.fnmatch(name, p) for p in patterns)
        if status == "not checked" and not selected:
            continue  # a function outside the selection (Makefile MUTATE)
        modules[m.group(1)][status].append(name)
    return modules


def _run_line() -> str:
    """When, on which commit, how long and on what load the run ran."""
    root = str(ROOT)
    commit = subprocess.run(
        ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    started = ROOT / "mutants" / ".started"
    took = ""
    if started.exists():
        minutes = (time.time() - float(started.read_text().split()[0])) / 60
        took = f", took {minutes:.0f} min"
    load = ""
    if started.exists() and len(started.read_text().split()) > 1:
        load = f", load average {started.read_text().split()[1]} at the start"
    if os.path.exists("/proc/loadavg"):
        load += f" and {Path('/proc/loadavg').read_text().split()[1]} (5 min) at the end"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Last `make mutation`: {when} on commit `{commit}`"
        f"{' (with uncommitted changes)' if dirty else ''}{took}{load}, {os.cpu_count()} cores."
    )


def main() -> int:
    patterns = sys.argv[1:]
    rows = []
    survivors = []
    not_run = 0
    for module, by_status in sorted(function_results(patterns).items()):
        killed = sum(len(v) for k, v in by_status.items() if k in KILLED)
        survived = by_status.get("survived", []) + by_status.get("no tests", [])
        unrun = len(by_status.get("not checked", []))
        not_run += unrun
        total = killed + len(survived)
        if total or unrun:
            rows.append((module, total, killed, len(survived), unrun))
            survivors += survived
    tables_file = ROOT / "mutants" / "tables.json"
    if tables_file.exists():
        for t in json.loads(tables_file.read_text(encoding="utf-8")):
            killed = t["total"] - len(t["survived"])
            rows.append((f"{t['table']} (table)", t["total"], killed, len(t["survived"]), 0))
            survivors += [f"{t['table']}: {s}" for s in t["survived"]]
    lines = [
        START,
        _run_line(),
        "",
        "| module | mutants | killed | survived | killed % |" + (" not run |" if not_run else ""),
        "|---|---:|---:|---:|---:|" + ("---:|" if not_run else ""),
    ]
    for module, total, killed, survived, unrun in rows:
        share = f"{100 * killed / total:.0f} %" if total else "–"
        lines.append(
            f"| `{module}` | {total} | {killed} | {survived} | {share} |"
            + (f" {unrun} |" if not_run else "")
        )
    if not_run:
        lines += ["", f"**{not_run} selected mutants were not run** (the run was stopped)."]
    lines += ["", "Survivors (see the reasons below):", ""]
    lines += [f"- `{s}`" for s in survivors] or ["- none"]
    lines.append(END)
    text = DOC.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    print(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
