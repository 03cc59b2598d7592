"""Flat cost with size: the same requests at a small and a big order history, as the ratio of
their median times, on SQLite and on PostgreSQL.

Each size gets a database of its own (a temporary SQLite file; on PostgreSQL a scratch database
``todoku_bench_<n>`` created and dropped by this script), migrated and seeded in bulk by
``bench/seed.py`` (orders with two items, a parcel and three scans each): migrated one after
the other, then all seeded at once (SQLite's inserts run in this process with the interpreter
lock released, PostgreSQL's in the server, so on two cores the two big seedings overlap instead
of adding up: the longest step of ``make bench``). The requests go through
Flask's test client in this process, so they price the queries and the rendering, not the
network: the tracking page with the render cache off (every view reads the order, so the figure
is the queries', not the cache's), the lookup POST (number and email), the dashboard's search by
order number, email and tracking number, and ``GET /api/v1/orders`` (its first page and a page
from the middle of the history through ``cursor``). The two sizes are asked alternately,
``--rounds`` times each; the target is big p50 ≤ 1.2 × small p50.

    .venv/bin/python bench/scale.py --sizes 1000,1000000 \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench password long"
# Raised as in bench/web.py: the figures price the work, not the limiter's refusals.
LIMITS = {
    "LOOKUP_RATE_LIMIT": "1000000 per minute",
    "LOOKUP_ORDER_RATE_LIMIT": "1000000 per hour",
    "API_RATE_LIMIT": "1000000 per minute",
}
TARGET = 1.2


def _pg_database(admin_url: str, name: str, drop_only: bool = False) -> str:
    from sqlalchemy import text

    from tracking.db import make_engine

    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if not drop_only:
            conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


class Size:
    """One database of ``n`` seeded orders and an app (test client, signed in) on it."""

    def __init__(self, url: str, n: int, seconds: float):
        import seed

        from app import create_app
        from tracking.db import get_engine
        from tracking.security import order_token
        from tracking.staff.api_keys import create_api_key
        from tracking.staff.auth import create_staff
        from tracking.web.api.parsing import cursor_of

        self.n = n
        self.seconds = seconds
        self.app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                **LIMITS,
                "RENDER_CACHE": "off",
            }
        )
        from sqlmodel import Session, select

        from tracking.orders.models import Order

        with self.app.app_context():
            engine = get_engine(self.app)
            with Session(engine, expire_on_commit=False) as s:
                create_staff(s, seed.BRAND, "bench@sakura.example", PASSWORD)
                key = create_api_key(s, seed.BRAND, "bench")
                k = n // 3 + 1  # an order a third into the history
                order = s.exec(select(Order).where(Order.number == seed.number(k))).one()
                middle = cursor_of(
                    s.exec(select(Order).where(Order.number == seed.number(n // 2))).one()
                )
                token = order_token(seed.BRAND, order.public_id)
        self.client = self.app.test_client()
        r = self.client.post(
            "/admin/login", data={"email": "bench@sakura.example", "password": PASSWORD}
        )
        assert r.status_code == 303, r.status_code
        api = {"Authorization": f"Bearer {key}"}
        b = seed.BRAND
        self.cases = {
            "tracking page (render cache off)": ("GET", f"/{b}/o/{token}", {}, None, 200),
            "lookup POST": (
                "POST",
                f"/{b}/lookup",
                {},
                {"number": seed.number(k), "contact": seed.email(k)},
                303,
            ),
            "dashboard search: order number": (
                "GET",
                f"/admin/{b}/orders?q={seed.number(k)}",
                {},
                None,
                200,
            ),
            "dashboard search: email": (
                "GET",
                f"/admin/{b}/orders?q={seed.email(k)}",
                {},
                None,
                200,
            ),
            "dashboard search: tracking number": (
                "GET",
                f"/admin/{b}/orders?q={seed.tracking_number(k)}",
                {},
                None,
                200,
            ),
            "API list: first page": ("GET", "/api/v1/orders?limit=50", api, None, 200),
            "API list: cursor mid-history": (
                "GET",
                f"/api/v1/orders?limit=50&cursor={middle}",
                api,
                None,
                200,
            ),
        }

    def timed(self, name: str) -> float:
        method, url, headers, data, status = self.cases[name]
        start = time.perf_counter()
        r = self.client.open(url, method=method, headers=headers, data=data)
        elapsed = time.perf_counter() - start
        assert r.status_code == status, (name, url, r.status_code)
        if name.startswith("dashboard"):  # the search found its order
            assert b"B-" in r.data, name
        return elapsed


def prepare(urls: list[tuple[str, int]]) -> dict[str, float]:
    """Migrate every database (one at a time: Alembic's context is process-wide), then seed
    them all at once; the seconds each seeding took, by URL."""
    import seed

    from tracking import migrate
    from tracking.db import make_engine

    for url, _ in urls:
        migrate.upgrade(url)

    def one(url: str, n: int) -> float:
        engine = make_engine(url)
        try:
            return seed.seed(engine, n)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        running = {url: pool.submit(one, url, n) for url, n in urls}
    return {url: job.result() for url, job in running.items()}


def compare(kind: str, urls: dict[int, str], rounds: int, seeded: dict[str, float]) -> dict:
    small_n, big_n = sorted(urls)
    small = Size(urls[small_n], small_n, seeded[urls[small_n]])
    big = Size(urls[big_n], big_n, seeded[urls[big_n]])
    print(
        f"  {kind}: seeded {small_n:,} orders in {small.seconds:.1f} s, {big_n:,} in {big.seconds:.1f} s",
        flush=True,
    )
    rows = {}
    for name in small.cases:
        for size in (small, big):
            size.timed(name)  # warm up: connections, templates
        a, b = [], []
        for _ in range(rounds):  # alternate, so drift hits both sizes alike
            a.append(small.timed(name))
            b.append(big.timed(name))
        ratio = statistics.median(b) / statistics.median(a)
        rows[name] = {
            "small_ms": statistics.median(a) * 1000,
            "big_ms": statistics.median(b) * 1000,
            "ratio": ratio,
        }
        print(
            f"    {name:<36} {rows[name]['small_ms']:7.2f} ms {rows[name]['big_ms']:7.2f} ms {ratio:5.2f}×",
            flush=True,
        )
    for size in (small, big):
        from tracking.db import get_engine

        with size.app.app_context():
            get_engine(size.app).dispose()
    return {
        "small": small_n,
        "big": big_n,
        "seed_seconds": {small_n: small.seconds, big_n: big.seconds},
        "cases": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,1000000")
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument(
        "--postgres", default="", help="an admin URL (…/postgres) to create databases with"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    sizes = [int(x) for x in args.sizes.split(",")]
    out = {"rounds": args.rounds, "target": TARGET, "databases": {}}
    started = time.perf_counter()
    names = {n: f"todoku_bench_{n}" for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            databases = {}
            if not args.no_sqlite:
                databases["SQLite"] = {n: f"sqlite:///{tmp}/scale-{n}.sqlite3" for n in sizes}
            if args.postgres:
                databases["PostgreSQL"] = {
                    n: _pg_database(args.postgres, name) for n, name in names.items()
                }
            seeded = prepare([(url, n) for urls in databases.values() for n, url in urls.items()])
            out["seed_wall_seconds"] = time.perf_counter() - started
            print(f"  seeded every database in {out['seed_wall_seconds']:.0f} s", flush=True)
            for kind, urls in databases.items():
                out["databases"][kind] = compare(kind, urls, args.rounds, seeded)
        finally:
            if args.postgres:
                for name in names.values():
                    _pg_database(args.postgres, name, drop_only=True)
    out["seconds"] = time.perf_counter() - started
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
