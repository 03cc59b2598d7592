"""Poller throughput: shipments refreshed per second through the full worker path (claim with
lease, budget, breaker, HTTP fetch, parse, store, estimate hooks) against the local fake carrier
(tests/support/fake_carrier.py) with a configurable latency, as a ratio to the fake carrier's own
measured maximum in the same run (the same number of client threads hammering it directly).

    .venv/bin/python bench/poller.py --database-url postgresql+psycopg://…/db --workers 4 \\
        --shipments 2000 --latency 0.02

The database is emptied and migrated first: use a scratch database.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _hammer(url: str, i: int, seconds: float, ready, out) -> None:
    session, n = requests.Session(), 0
    ready.wait()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.get(f"{url}/track/shipments", params={"trackingNumber": f"8{i:03d}{n:06d}"})
        n += 1
    out.put(n / (time.perf_counter() - start))


def carrier_max(url: str, clients: int, seconds: float) -> float:
    """Requests per second the fake carrier answers to ``clients`` bare client *processes*
    (as many as there are workers, each one request in flight like a worker): its ceiling for
    this concurrency, with nothing of the app in the way. Processes, not threads: threads in
    the fake carrier's own process would share its interpreter lock and lower the ceiling."""
    ctx = multiprocessing.get_context("spawn")
    ready, out = ctx.Barrier(clients), ctx.Queue()
    procs = [
        ctx.Process(target=_hammer, args=(url, i, seconds, ready, out)) for i in range(clients)
    ]
    for p in procs:
        p.start()
    rate = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return rate


def reset(url: str) -> None:
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import tracking.models  # noqa: F401
    from tracking.db import make_engine
    from tracking.migrate import upgrade

    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            SQLModel.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    upgrade(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--shipments", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02, help="fake carrier seconds/call")
    parser.add_argument("--json", default="", help="write the figures here (bench/all.py)")
    args = parser.parse_args()

    from sqlmodel import Session

    from app import create_app
    from tests.support.fake_carrier import FakeCarrier, worker_main
    from tests.sync.test_scale import seed
    from tracking.db import get_engine

    reset(args.database_url)
    config = {
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": "bench",
        "TESTING": True,
        "CARRIER_RATE_LIMITS": {"dhl": (1e9, None)},
    }
    app = create_app(config)
    with app.app_context(), Session(get_engine()) as session:
        seed(session, args.shipments)
    with FakeCarrier(latency=args.latency) as fake:
        ceiling = carrier_max(fake.url, args.workers, seconds=3)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        env = {"DHL_BASE_URL": fake.url, "DHL_API_KEY": "k"}
        # The clock starts once every worker has imported and built its app (seconds each on a
        # loaded box: start-up, not the worker path); the time from spawning is printed too.
        ready = ctx.Barrier(args.workers + 1)
        procs = [
            ctx.Process(target=worker_main, args=(config, env, out, ready))
            for _ in range(args.workers)
        ]
        spawned = time.perf_counter()
        for p in procs:
            p.start()
        ready.wait()
        start = time.perf_counter()
        results = [out.get() for _ in procs]
        elapsed = time.perf_counter() - start
        with_start_up = time.perf_counter() - spawned
        for p in procs:
            p.join()
        calls = dict(fake.calls)
    from sqlalchemy import text

    with app.app_context(), Session(get_engine()) as session:
        events = session.exec(text("SELECT count(*) FROM tracking_events")).one()[0]
        dupes = session.exec(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM tracking_events GROUP BY shipment_id, "
                "occurred_at, raw_code, description HAVING count(*) > 1) d"
            )
        ).one()[0]
    once = sum(1 for n, c in calls.items() if c == 1 and not n.startswith("8"))
    more = sum(1 for n, c in calls.items() if c > 1 and not n.startswith("8"))
    print(
        f"numbers fetched once: {once}, more than once: {more}; events {events}, duplicates {dupes}"
    )
    done = sum(r[0] for r in results)
    rate = done / elapsed
    print(
        f"workers={args.workers} shipments={done} latency={args.latency * 1000:.0f} ms "
        f"elapsed={elapsed:.1f} s (from spawning the workers: {with_start_up:.1f} s, "
        f"{done / with_start_up:.1f} shipments/s, ratio {done / with_start_up / ceiling:.2f})"
    )
    print(
        f"worker path: {rate:.1f} shipments/s; fake carrier max ({args.workers} clients): "
        f"{ceiling:.1f} req/s; ratio {rate / ceiling:.2f} (target ≥ 0.8)"
    )
    print(f"per worker: {[r[0] for r in results]}; errors: {[r[2] for r in results]}")
    if args.json:
        figures = {
            "workers": args.workers,
            "shipments": done,
            "latency_ms": args.latency * 1000,
            "rate": rate,
            "ceiling": ceiling,
            "ratio": rate / ceiling,
            "elapsed": elapsed,
            "fetched_more_than_once": more,
            "duplicate_events": dupes,
            "errors": [r[2] for r in results],
        }
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
