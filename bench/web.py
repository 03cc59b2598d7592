"""HTTP figures: Todoku under real gunicorn against a hello-world Flask route, driven by wrk.

Both are served by the Procfile's settings (``tracking/operations/gunicorn_conf.py``: its sync
workers, ``WEB_CONCURRENCY`` of them, 2 by default) on loopback ports of this machine, and wrk
(one thread, two connections per worker) hits them alternately: hello, case, hello, case… in
several short rounds. Each case is reported as requests per second, p50 and p99 latency, and as
the median of its per-round ratios to the hello run just before it. Every answer's status is
counted: anything but the expected one (and any socket error) is an error.

The database (PostgreSQL scratch database with ``--database-url``, else a temporary SQLite
file) holds the demo plus ``--orders`` seeded orders (``bench/seed.py``). Rate limits are raised
for the run (lookup, per order number, API; see ``LIMITS``): one wrk client would otherwise be
refused after ten lookups a minute, and the figure is meant to price the lookup's work.

    .venv/bin/python bench/web.py [--rounds 3] [--seconds 2] [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BIN = Path(sys.executable).parent
REPORT_LUA = (ROOT / "bench" / "lua" / "report.lua").read_text()
# Raised for the run so that the figures price the work, not the limiter's refusals.
LIMITS = {
    "LOOKUP_RATE_LIMIT": "1000000 per minute",
    "LOOKUP_ORDER_RATE_LIMIT": "1000000 per hour",
    "API_RATE_LIMIT": "1000000 per minute",
}
STAFF = ("staff@sakura-tea.example", "todoku-demo-staff")
BRAND = "sakura-tea"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    import requests

    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer; {log.read_text()[-2000:]}")


def gunicorn(app: str, env: dict, tmp: str, name: str, extra=()) -> tuple[subprocess.Popen, str]:
    """The Procfile's web process (``-c python:tracking.operations.gunicorn_conf``) on a free
    loopback port."""
    port = _port()
    log = Path(tmp) / f"{name}.log"
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "python:tracking.operations.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            *extra,
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    _wait(base + ("/healthz" if name == "todoku" else "/"), proc, log)
    return proc, base


def _lua(headers: dict | None = None, method: str = "GET", body: str = "", tail: str = "") -> str:
    lines = [REPORT_LUA, f'wrk.method = "{method}"']
    for key, value in (headers or {}).items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    if body:
        lines.append(f"wrk.body = {json.dumps(body)}")
    lines.append(tail)
    return "\n".join(lines)


def wrk(url: str, script: str, seconds: float, connections: int, tmp: str, args=()) -> dict:
    path = Path(tmp) / "case.lua"
    path.write_text(script)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(path),
            url,
            "--",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    r = json.loads(line[6:])
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    return r


def prepare(database_url: str, orders: int) -> dict:
    """Migrate, load the demo and the seeded orders; the URLs, tokens and keys of the cases."""
    import seed
    from sqlmodel import Session, select

    from app import create_app
    from tracking import demo, migrate
    from tracking.db import get_engine
    from tracking.orders.models import Order
    from tracking.security import order_token
    from tracking.staff.api_keys import create_api_key

    migrate.upgrade(database_url)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench"})
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        loaded = {o.number: o for o in demo.load(s)}
        seed.seed(get_engine(app), orders)
        key = create_api_key(s, BRAND, "bench")
        seeded = s.exec(
            select(Order.public_id).where(Order.brand == BRAND, Order.number.like("B-%"))  # type: ignore[attr-defined]
        ).all()
        tokens = {n: order_token(o.brand, o.public_id) for n, o in loaded.items()}
        cold = [f"/{BRAND}/o/{order_token(BRAND, p)}" for p in seeded]
    get_engine(app).dispose()
    return {"tokens": tokens, "orders": loaded, "cold": cold, "key": key}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert found, "no csrf_token in the form"
    return found.group(1)


def cases(base: str, prep: dict, tmp: str) -> dict:
    """name → (url, lua script, expected status, extra wrk args by round or None, target)."""
    import requests

    orders, tokens = prep["orders"], prep["tokens"]
    st, np = orders["ST-1001"], orders["NP-2001"]
    page = f"/{np.brand}/o/{tokens['NP-2001']}"
    hx = {"HX-Request": "true"}
    etag = requests.get(base + page, headers=hx, timeout=10).headers["ETag"]
    requests.get(base + page, timeout=10)  # warm: rendered once per worker below
    # The lookup form: a visitor's session cookie and its CSRF token, then the POST.
    visitor = requests.Session()
    token = _csrf(visitor.get(f"{base}/{BRAND}/", timeout=10).text)
    body = f"csrf_token={token}&number=ST-1001&contact=hanako%40example.com"
    cookie = "; ".join(f"{c.name}={c.value}" for c in visitor.cookies)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    check = visitor.post(f"{base}/{BRAND}/lookup", data=body, headers=form, allow_redirects=False)
    assert check.status_code == 303, check.status_code
    # A signed-in staff member (the demo's), for the queue and the dashboard.
    staff = requests.Session()
    token = _csrf(staff.get(f"{base}/admin/login", timeout=10).text)
    signed = staff.post(
        f"{base}/admin/login",
        data={"csrf_token": token, "email": STAFF[0], "password": STAFF[1]},
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 303, signed.status_code
    staff_cookie = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in staff.cookies)}
    api = {"Authorization": f"Bearer {prep['key']}"}
    # Cold: every request a page the cache has never seen (a new order each time), which costs
    # what the first view after a data change costs: the version query, the full render, the
    # store. Each round walks its own slice of the seeded orders, so none is seen twice.
    paths = Path(tmp) / "cold.txt"
    paths.write_text("\n".join(prep["cold"]) + "\n")
    cold_tail = f"""
local paths, i, last = {{}}, 0, 0
function init(args)
  for line in io.lines("{paths}") do table.insert(paths, line) end
  i, last = tonumber(args[1]), tonumber(args[2])
end
function request()
  i = i + 1
  return wrk.format("GET", paths[i])
end
"""
    # Upsert: one order of the seed per request, its name changed every time, so each call is
    # a real update (validation, the order read with its contents, the write, the version bump).
    upsert_tail = """
local n = 0
function request()
  n = n + 1
  local number = string.format("B-%07d", 1 + n % 500)
  local body = '{"email": "c' .. (1 + n % 500) .. '@example.com", "name": "客 ' .. n .. '"}'
  return wrk.format("PUT", "/api/v1/orders/" .. number, nil, body)
end
"""
    json_headers = {**api, "Content-Type": "application/json"}
    return {
        # The app's floor: every hook of a request (session, locale, limits, logs, metrics,
        # security headers) and one `SELECT 1`; no target, it says what the others stand on.
        "/healthz (app floor)": ("/healthz", _lua(), 200, None),
        "warm tracking page": (page, _lua(), 200, ("warm", 0.5)),
        "cold tracking page": (page, _lua(tail=cold_tail), 200, ("cold", 0.1)),
        "htmx status fragment": (page, _lua(hx), 200, None),
        "304 refresh (If-None-Match)": (
            page,
            _lua({**hx, "If-None-Match": etag}),
            304,
            ("304", 0.7),
        ),
        "lookup POST": (f"/{BRAND}/lookup", _lua(form, "POST", body), 303, ("lookup", 0.2)),
        "return form": (f"/{st.brand}/o/{tokens['ST-1001']}/return", _lua(), 200, None),
        "staff returns queue": (f"/admin/{BRAND}/returns", _lua(staff_cookie), 200, None),
        "dashboard home": (f"/admin/{BRAND}/", _lua(staff_cookie), 200, None),
        "GET /api/v1/orders": ("/api/v1/orders", _lua(api), 200, None),
        "API upsert (PUT, update)": (
            "/api/v1/orders/B-0000001",
            _lua(json_headers, tail=upsert_tail),
            200,
            None,
        ),
    }


def run(args) -> dict:
    from tracking.config import web_server

    logging.disable(logging.INFO)
    _, workers = web_server(os.environ)
    connections = args.connections or 2 * workers
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/web.sqlite3"
        prep = prepare(url, args.orders)
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench", **LIMITS}
        procs = []
        try:
            hello_proc, hello = gunicorn("hello:app", env, tmp, "hello", ("--pythonpath", "bench"))
            procs.append(hello_proc)
            app_proc, base = gunicorn("app:create_app()", env, tmp, "todoku")
            procs.append(app_proc)
            table = cases(base, prep, tmp)
            if args.only:  # a short look at a few cases (never for results.md)
                wanted = [w.strip() for w in args.only.split(",")]
                table = {k: v for k, v in table.items() if any(w in k for w in wanted)}
            hello_lua = _lua()
            for name, (path, script, _status, _target) in table.items():
                if name == "cold tracking page":
                    continue
                wrk(base + path, script, 1, connections, tmp)  # warm up every worker
            per = len(prep["cold"]) // args.rounds
            runs: dict[str, list[tuple[dict, dict]]] = {name: [] for name in table}
            for r in range(args.rounds):
                for name, (path, script, status, _target) in table.items():
                    h = wrk(hello + "/", hello_lua, args.seconds, connections, tmp)
                    extra = (str(r * per), str((r + 1) * per)) if name.startswith("cold") else ()
                    c = wrk(base + path, script, args.seconds, connections, tmp, extra)
                    c["expected"] = status
                    c["errors"] = (
                        c["requests"]
                        - c["statuses"].get(str(status), 0)
                        + c["connect"]
                        + c["read"]
                        + c["write"]
                        + c["timeout"]
                    )
                    if name.startswith("cold") and c["requests"] > per:
                        c["note"] = f"more requests than the {per} fresh orders of the slice"
                    h["errors"] = h["requests"] - h["statuses"].get("200", 0)
                    runs[name].append((h, c))
                    print(
                        f"  round {r + 1} {name:<30} {c['rps']:8.1f} rps ({c['rps'] / h['rps']:.3f}"
                        f" × hello {h['rps']:.0f}); p99 {c['p99_us'] / 1000:.1f} ms "
                        f"(hello {h['p99_us'] / 1000:.1f}); errors {c['errors']}",
                        flush=True,
                    )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    results = {}
    for name, pairs in runs.items():
        med = statistics.median
        results[name] = {
            "rps": med(c["rps"] for _, c in pairs),
            "p50_ms": med(c["p50_us"] for _, c in pairs) / 1000,
            "p99_ms": med(c["p99_us"] for _, c in pairs) / 1000,
            "hello_rps": med(h["rps"] for h, _ in pairs),
            "hello_p50_ms": med(h["p50_us"] for h, _ in pairs) / 1000,
            "hello_p99_ms": med(h["p99_us"] for h, _ in pairs) / 1000,
            "ratio": med(c["rps"] / h["rps"] for h, c in pairs),
            "ratio_range": [
                min(c["rps"] / h["rps"] for h, c in pairs),
                max(c["rps"] / h["rps"] for h, c in pairs),
            ],
            "p99_ratio": med(c["p99_us"] / max(h["p99_us"], 1) for h, c in pairs),
            "errors": sum(c["errors"] for _, c in pairs),
            "hello_errors": sum(h["errors"] for h, _ in pairs),
            "requests": sum(c["requests"] for _, c in pairs),
            "expected": pairs[0][1]["expected"],
            "target": table[name][3],
            "notes": sorted({c["note"] for _, c in pairs if "note" in c}),
        }
    return {
        "workers": workers,
        "connections": connections,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
        "orders": args.orders,
        "limits": LIMITS,
        "cases": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0, help="per wrk run")
    parser.add_argument("--connections", type=int, default=0, help="default: 2 per worker")
    parser.add_argument("--orders", type=int, default=6000, help="seeded (cold pages)")
    parser.add_argument("--database-url", default="", help="a scratch database (emptied)")
    parser.add_argument("--json", default="", help="write the figures here")
    parser.add_argument("--only", default="", help="cases whose name contains one of these (a,b)")
    args = parser.parse_args()
    out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"{'case':<30} {'rps':>8} {'p50 ms':>7} {'p99 ms':>7} {'× hello':>8} {'errors':>6}")
    for name, r in out["cases"].items():
        print(
            f"{name:<30} {r['rps']:8.1f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
            f"{r['ratio']:8.3f} {r['errors']:6d}"
        )


if __name__ == "__main__":
    main()
