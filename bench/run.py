"""Tracking-page throughput relative to /healthz, measured in the same run.

Machines here are noisy, so only ratios are reported: how many tracking pages (full page,
htmx status fragment) the app serves in the time it serves one /healthz (one ``SELECT 1``).
Runs in-process through Flask's test client on a temporary SQLite copy with the demo loaded,
so it measures Todoku's own work (queries, templates), not the network or gunicorn.

    make bench            # or: .venv/bin/python bench/run.py [--seconds 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _rate(
    client, url: str, seconds: float, headers: dict | None = None, status: int = 200, before=None
) -> float:
    """Requests per second; ``before`` runs ahead of each request, inside the timing (the
    cold case empties the render cache, as a data change would make every entry stale)."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        if before is not None:
            before()
        response = client.get(url, headers=headers or {})
        assert response.status_code == status, (url, response.status_code)
        done += 1
    return done / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    args = parser.parse_args()
    logging.disable(logging.INFO)

    from sqlmodel import Session

    from app import create_app
    from tracking import demo, migrate
    from tracking.db import get_engine
    from tracking.page import cache
    from tracking.security import order_token

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
            orders = {o.number: o for o in demo.load(s)}
            pages = {
                n: f"/{orders[n].brand}/o/{order_token(orders[n].brand, orders[n].public_id)}"
                for n in ("ST-1001", "NP-2001")
            }
        client = app.test_client()
        fragment = {"HX-Request": "true"}
        etag = client.get(pages["NP-2001"], headers=fragment).headers["ETag"]
        cold = {"before": lambda: cache.forget_all(app)}
        cases = {
            "page ST-1001 (1 parcel, delivered)": (pages["ST-1001"], None, {}),
            "page NP-2001 (2 parcels)": (pages["NP-2001"], None, {}),
            "page NP-2001 cold (cache emptied)": (pages["NP-2001"], None, cold),
            "status fragment NP-2001 (htmx)": (pages["NP-2001"], fragment, {}),
            "status fragment 304 (unchanged)": (
                pages["NP-2001"],
                {**fragment, "If-None-Match": etag},
                {"status": 304},
            ),
        }
        ratios: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (path, headers, options) in cases.items():
                base = _rate(client, "/healthz", args.seconds / 2)
                rate = _rate(client, path, args.seconds, headers, **options)
                ratios[name].append(rate / base)
        print(f"tracking page throughput relative to /healthz ({args.rounds} rounds, median)")
        for name, values in ratios.items():
            spread = f"{min(values):.2f}–{max(values):.2f}"
            print(f"  {name:<36} {statistics.median(values):.2f} × healthz  (range {spread})")


if __name__ == "__main__":
    main()
