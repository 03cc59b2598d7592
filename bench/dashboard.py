"""The merchant's dashboard at 1,000,000 orders against 1,000, as a ratio measured in one run.

Each size gets its own temporary SQLite database (or, with ``--database-url``, its own schema in
that PostgreSQL database: ``bench_<n>``; kept afterwards, so a second run with the same sizes
migrates and measures without seeding again), migrated, then seeded by bulk insert: one
order and one parcel per order over three years of history, most of them delivered. What a
shop has *now* does not grow with its history, so both sizes get the same open parcels (200,
a few late or with a problem), the same 500 deliveries and 3,000 page views in the figures'
last 30 days and the same open questions; the rest of the history is older. Feedback grows
with history (one answer per ten delivered orders).

The pages are fetched in-process with Flask's test client as a logged-in staff member; each
URL's median time at the big size is divided by its median at the small one. Done means
every ratio stays under 2.

    .venv/bin/python bench/dashboard.py [--big 1000000] [--small 1000] [--rounds 7]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/scratch] [--reseed]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime.now(UTC).replace(microsecond=0)
CHUNK = 50_000
OPEN = 200
MONTH = 500  # orders delivered in the last 30 days, at both sizes
BRAND = "sakura-tea"
PASSWORD = "bench password long"


def seed(engine, n: int, write: bool = True) -> dict:
    """Bulk-insert ``n`` orders (unless ``write`` is false) and return the URLs to time."""
    from sqlalchemy import insert

    from tracking.orders.models import Order, Shipment
    from tracking.page.models import Feedback, Inquiry, PageEvent

    history = timedelta(days=3 * 365)
    with engine.begin() as conn:
        if not write:
            return _urls(n)
        for start in range(0, n, CHUNK):
            orders, parcels, answers = [], [], []
            for i in range(start, min(n, start + CHUNK)):
                # Oldest first: ids grow with time, as in a real shop; the open ones are the
                # last few days' orders at both sizes.
                recent = i >= n - OPEN
                if recent:  # open parcels: the last few days
                    placed = NOW - timedelta(hours=(n - i) / 2)
                elif i >= n - OPEN - MONTH:  # delivered in the figures' 30 days
                    placed = NOW - timedelta(days=5, minutes=(n - OPEN - i) * 70)
                else:  # the rest of the history, before that
                    placed = NOW - history + (history - timedelta(days=40)) * (i / n)
                orders.append(
                    {
                        "id": i + 1,
                        "public_id": f"b{i:015d}",
                        "brand": BRAND,
                        "number": f"B-{i:07d}",
                        "email": f"c{i}@example.com",
                        "postcode": f"{100 + i % 900:03d}{i % 10000:04d}",
                        "name": f"客 {i}",
                        "locale": "ja",
                        "currency": "JPY",
                        "total": 3000,
                        "payment_method": "card",
                        "placed_at": placed,
                        "created_at": placed,
                        "updated_at": placed,
                    }
                )
                status = "in_transit" if recent else "delivered"
                if recent and i % 20 == 0:
                    status = "exception"
                parcels.append(
                    {
                        "id": i + 1,
                        "order_id": i + 1,
                        "carrier": "yamato",
                        "tracking_number": f"4{i:011d}",
                        "service": "",
                        "direction": "outbound",
                        "shipped_at": placed + timedelta(hours=6),
                        "status": status,
                        "sub_status": "",
                        "raw_status": "",
                        "edd_start": (placed + timedelta(days=1)).date(),
                        "edd_end": (placed + timedelta(days=2)).date(),
                        "edd_source": "lane",
                        "promised_slot": "",
                        "edd_slot": "",
                        "edd_confidence": "",
                        "late": recent and i % 7 == 0,
                        "delivered_at": None if recent else placed + timedelta(days=1, hours=3),
                        "failures": 0,
                        "created_at": placed,
                        "updated_at": placed,
                    }
                )
                if not recent and i % 10 == 0:
                    answers.append(
                        {
                            "brand": BRAND,
                            "order_id": i + 1,
                            "rating": 1 + i % 5,
                            "comment": "",
                            "locale": "ja",
                            "created_at": placed + timedelta(days=2),
                        }
                    )
            conn.execute(insert(Order.__table__), orders)
            conn.execute(insert(Shipment.__table__), parcels)
            if answers:
                conn.execute(insert(Feedback.__table__), answers)
        views = []
        for k in range(3000):  # the last 30 days' page views, on the open orders
            order_id = n - OPEN + 1 + k % OPEN
            at = NOW - timedelta(minutes=14 * k)
            views.append(
                {
                    "brand": BRAND,
                    "order_id": order_id,
                    "kind": "view",
                    "banner": "",
                    "view_id": f"v{k}",
                    "dedupe_key": f"v{k}:view:",
                    "locale": "ja",
                    "status": "in_transit",
                    "source": "lookup" if k % 3 == 0 else "link",
                    "created_at": at,
                }
            )
        conn.execute(insert(PageEvent.__table__), views)
        conn.execute(
            insert(Inquiry.__table__),
            [
                {
                    "brand": BRAND,
                    "order_id": n - k,
                    "message": "いつ届きますか？",
                    "locale": "ja",
                    "reply_by": date.today(),
                    "status": "open",
                    "created_at": NOW,
                    "reply": "",
                    "replied_by": "",
                }
                for k in range(5)
            ],
        )
    return _urls(n)


def _urls(n: int) -> dict:
    return {
        "orders": "/admin/sakura-tea/orders",
        "orders, page in the middle": f"/admin/sakura-tea/orders?after={n // 2}",
        "search: tracking number": f"/admin/sakura-tea/orders?q=4{n // 3:011d}",
        "search: postcode": f"/admin/sakura-tea/orders?q={100 + (n // 3) % 900:03d}-{(n // 3) % 10000:04d}",
        "search: email": f"/admin/sakura-tea/orders?q=c{n // 3}@example.com",
        "filter: late": "/admin/sakura-tea/orders?late=1",
        "filter: exception": "/admin/sakura-tea/orders?status=exception",
        "home (counts)": "/admin/sakura-tea/",
        "watchlist": "/admin/sakura-tea/watchlist",
        "figures (30 days)": "/admin/sakura-tea/figures",
    }


def _postgres_schema(base_url: str, n: int, reseed: bool) -> str:
    """A schema of its own per size (same server, so both sizes see the same machine)."""
    from sqlalchemy import text

    from tracking.db import make_engine

    schema = f"bench_{n}"
    engine = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if reseed:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    engine.dispose()
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


def build(n: int, tmp: str, base_url: str = "", reseed: bool = False):
    from sqlalchemy import func, select
    from sqlmodel import Session

    from app import create_app
    from tracking import migrate
    from tracking.db import get_engine
    from tracking.orders.models import Order
    from tracking.staff.auth import create_staff

    if base_url:
        url = _postgres_schema(base_url, n, reseed)
    else:
        url = f"sqlite:///{tmp}/bench-{n}.sqlite3"
    migrate.upgrade(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
        }
    )
    started = time.perf_counter()
    with app.app_context():
        with Session(get_engine(app)) as s:
            have = s.execute(select(func.count()).select_from(Order)).scalar_one()
        if have not in (0, n):
            raise SystemExit(f"{url}: {have:,} orders, not {n:,}; run with --reseed")
        seeded = have == n
        urls = seed(get_engine(app), n, write=not seeded)
        if not seeded:
            with Session(get_engine(app)) as s:
                create_staff(s, BRAND, "bench@sakura.example", PASSWORD)
        with get_engine(app).begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    verb = "reused" if seeded else "seeded"
    print(f"  {verb} {n:>9,} orders in {time.perf_counter() - started:.0f} s", flush=True)
    client = app.test_client()
    r = client.post("/admin/login", data={"email": "bench@sakura.example", "password": PASSWORD})
    assert r.status_code == 303, r.status_code
    return client, urls


def timed(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url", default="", help="PostgreSQL: a schema per size")
    parser.add_argument("--reseed", action="store_true", help="drop the kept schemas first")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        small, urls_small = build(args.small, tmp, args.database_url, args.reseed)
        big, urls_big = build(args.big, tmp, args.database_url, args.reseed)
        for client, urls in ((small, urls_small), (big, urls_big)):
            for url in urls.values():
                timed(client, url)  # warm up: connections, templates, page cache
        worst = 0.0
        print(f"{'page':<30} {'small ms':>9} {'big ms':>9} {'ratio':>6}")
        for name in urls_small:
            t_small, t_big = [], []
            for _ in range(args.rounds):  # alternate, so drift hits both sizes alike
                t_small.append(timed(small, urls_small[name]))
                t_big.append(timed(big, urls_big[name]))
            a, b = statistics.median(t_small), statistics.median(t_big)
            ratio = b / a
            worst = max(worst, ratio)
            print(f"{name:<30} {a * 1000:>9.1f} {b * 1000:>9.1f} {ratio:>6.2f}")
        verdict = "ok" if worst < 2 else "TOO SLOW"
        print(f"worst ratio {worst:.2f} ({args.big:,} vs {args.small:,} orders): {verdict}")


if __name__ == "__main__":
    main()
