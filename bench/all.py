"""`make bench`: every benchmark of issue 23 in one run, written to ``bench/results.md``.

Runs, each as its own process (one failing does not stop the others; it is reported as FAIL
with its error): the HTTP figures (``bench/web.py``: gunicorn + wrk against a hello-world
route), the scale ratios (``bench/scale.py``: SQLite and PostgreSQL at two sizes), the
50,000-row import (``bench/import_bench.py``), the phone's page weight (``bench/weight.py``,
Debian's Chromium) and the worker's throughput (``bench/poller.py``). PostgreSQL is the local
server at ``TODOKU_BENCH_POSTGRES`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``, an account that may create databases): scratch databases ``todoku_bench_*`` are
created and dropped. Without it the PostgreSQL parts are reported as not run.

    .venv/bin/python bench/all.py [--scale-sizes 1000,1000000] [--import-rows 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
PG_ADMIN = os.environ.get(
    "TODOKU_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg(sql: str) -> str | None:
    """Run one statement as the admin account; None when PostgreSQL cannot be reached."""
    from sqlalchemy import text

    from tracking.db import make_engine

    try:
        engine = make_engine(
            PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        with engine.connect() as conn:
            result = conn.execute(text(sql))
            value = result.scalar() if result.returns_rows else ""
        engine.dispose()
        return str(value)
    except Exception as exc:  # any reason it cannot be used: reported, not raised
        print(f"PostgreSQL at {PG_ADMIN}: {exc.__class__.__name__}: {str(exc)[:200]}")
        return None


def _scratch(name: str) -> str:
    _pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg(f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def step(name: str, argv: list[str], tmp: str, log: list) -> dict | list | None:
    """Run one benchmark script with ``--json``; its figures, or None (the error is logged)."""
    out = Path(tmp) / f"{name}.json"
    print(f"== {name}: {' '.join(argv)}", flush=True)
    started = time.perf_counter()
    proc = subprocess.run([PY, *argv, "--json", str(out)], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(proc.stdout[-6000:], end="", flush=True)
    entry = {"name": name, "seconds": seconds, "ok": proc.returncode == 0 and out.exists()}
    if not entry["ok"]:
        entry["error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
        print(proc.stderr[-3000:], flush=True)
    log.append(entry)
    print(f"== {name}: {seconds:.0f} s", flush=True)
    return json.loads(out.read_text()) if entry["ok"] else None


def machine(pg_version: str | None) -> dict:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return "not installed"

    commit = run("git", "rev-parse", "--short", "HEAD")
    dirty = run("git", "status", "--porcelain", "--untracked-files=no")
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "cores": os.cpu_count(),
        "cpu": model,
        "load_start": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
        "flask": version("flask"),
        "gunicorn": version("gunicorn"),
        "sqlalchemy": version("sqlalchemy"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version or "not reachable",
        "wrk": (run("wrk", "--version").splitlines() or ["?"])[0].split(" [")[0],
        "chromium": run("/usr/bin/chromium", "--version") or "not installed",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-sizes", default="1000,1000000")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--web-rounds", type=int, default=3)
    parser.add_argument("--web-seconds", type=float, default=2.0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--since", type=float, default=0, help="epoch `make bench` started at")
    args = parser.parse_args()
    started = time.perf_counter()
    pg_version = _pg("SHOW server_version")
    info = machine(pg_version)
    log: list[dict] = []
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        web = ["bench/web.py", "--rounds", str(args.web_rounds), "--seconds", str(args.web_seconds)]
        if pg_version:
            web += ["--database-url", _scratch("todoku_bench_web")]
        figures["web"] = step("web", web, tmp, log)
        scale = ["bench/scale.py", "--sizes", args.scale_sizes]
        if pg_version:
            scale += ["--postgres", PG_ADMIN]
        figures["scale"] = step("scale", scale, tmp, log)
        figures["import"] = step(
            "import",
            ["bench/import_bench.py", "--rows", str(args.import_rows), "--no-reimport"],
            tmp,
            log,
        )
        if Path("/usr/bin/chromium").exists():
            figures["weight"] = step(
                "weight", ["bench/weight.py", "--quiet", "--rounds", "3"], tmp, log
            )
        poller_db = (
            _scratch("todoku_bench_poller") if pg_version else f"sqlite:///{tmp}/poller.sqlite3"
        )
        figures["poller"] = step(
            "poller",
            [
                "bench/poller.py",
                "--database-url",
                poller_db,
                "--workers",
                "2",
                "--shipments",
                "400",
            ],
            tmp,
            log,
        )
        if pg_version:
            _pg("DROP DATABASE IF EXISTS todoku_bench_web WITH (FORCE)")
            _pg("DROP DATABASE IF EXISTS todoku_bench_poller WITH (FORCE)")
    info["load_end"] = Path("/proc/loadavg").read_text().split()[:3]
    info["seconds"] = time.perf_counter() - started
    if args.since:
        info["total_seconds"] = time.time() - args.since
    from report import write  # bench/report.py: the Markdown

    text = write(info, figures, log, args)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "bench"))
    main()
