"""Write the killed/survived table of ``make mutation`` into docs/testing.md.

Reads ``mutmut results --all true`` (function mutants) and mutants/tables.json (mapping-table
mutants from tests/mutation_tables.py), groups them by module and replaces the block between
the two markers in docs/testing.md. Survivors are listed by name; their reasons are written by
hand below the table.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
START, END = "<!-- mutation-table -->", "<!-- /mutation-table -->"
KILLED = {"killed", "timeout", "segfault"}


def function_results() -> dict[str, dict[str, list[str]]]:
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
        if status == "not checked":
            continue
        modules[m.group(1)][status].append(name)
    return modules


def main() -> int:
    rows = []
    survivors = []
    for module, by_status in sorted(function_results().items()):
        killed = sum(len(v) for k, v in by_status.items() if k in KILLED)
        survived = by_status.get("survived", []) + by_status.get("no tests", [])
        total = killed + len(survived)
        if total:
            rows.append((module, total, killed, len(survived)))
            survivors += survived
    tables_file = ROOT / "mutants" / "tables.json"
    if tables_file.exists():
        for t in json.loads(tables_file.read_text(encoding="utf-8")):
            killed = t["total"] - len(t["survived"])
            rows.append((f"{t['table']} (table)", t["total"], killed, len(t["survived"])))
            survivors += [f"{t['table']}: {s}" for s in t["survived"]]
    lines = [
        START,
        "| module | mutants | killed | survived | killed % |",
        "|---|---:|---:|---:|---:|",
    ]
    for module, total, killed, survived in rows:
        lines.append(
            f"| `{module}` | {total} | {killed} | {survived} | {100 * killed / total:.0f} % |"
        )
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
