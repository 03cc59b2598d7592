"""PostgreSQL: 4 worker processes over 5,000 due shipments against the fake carrier over HTTP —
each processed exactly once, no duplicate events, no deadlock, the shared budget kept."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from tests.support.fake_carrier import FakeCarrier
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.timeutil import utcnow

# The figure is 5,000: `make scale` runs that (minutes on this shared box; figures in
# bench/history.md); the suite's default keeps `make test` within its time budget.
N = int(os.environ.get("TODOKU_SCALE_SHIPMENTS", "300"))
WORKERS, DAY_BUDGET = 4, N


def seed(session, n: int, prefix: str = "9", per_order: int = 1) -> None:
    """``n`` due DHL shipments, ``per_order`` to an order (most orders ship in one parcel; one
    order holding thousands of parcels would make every order-level hook, such as the order's
    mail, look at thousands of parcels per change)."""
    orders = [
        Order(
            brand="sakura-tea",
            number=f"SCALE-{i}",
            email=f"scale{i}@example.jp",
            postcode="1500001",
        )
        for i in range(0, n, per_order)
    ]
    session.add_all(orders)
    session.flush()
    due = utcnow() - timedelta(minutes=1)
    session.add_all(
        Shipment(
            order_id=orders[i // per_order].id,
            carrier="dhl",
            tracking_number=f"{prefix}{i:09d}",
            status="info_received",
            next_check_at=due,
        )
        for i in range(n)
    )
    session.commit()


def test_four_workers_share_five_thousand_shipments(app, session, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    seed(session, N)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    with FakeCarrier() as fake:
        config = {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "TESTING": True,
            "CARRIER_RATE_LIMITS": {"dhl": (100_000.0, DAY_BUDGET)},
        }
        env = {"DHL_BASE_URL": fake.url, "DHL_API_KEY": "k"}
        procs = [ctx.Process(target=_run, args=(config, env, out)) for _ in range(WORKERS)]
        for p in procs:
            p.start()
        # Generous (a loaded box is slow), but a hung worker still ends the test.
        results = [out.get(timeout=max(600, N)) for _ in procs]
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
        calls = dict(fake.calls)
    assert sum(r[0] for r in results) == N
    assert sum(1 for r in results if r[0] > 0) >= 2, "the work was shared"
    assert len(calls) == N and set(calls.values()) == {1}, "each number fetched exactly once"
    assert sum(calls.values()) <= DAY_BUDGET
    assert not any(r[2] for r in results), results
    dupes = session.exec(
        text(
            "SELECT count(*) FROM (SELECT shipment_id, occurred_at, raw_code, description "
            "FROM tracking_events GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) d"
        )
    ).one()[0]
    assert dupes == 0
    total = session.exec(select(func.count()).select_from(ShipmentEvent)).one()
    assert total == 3 * N
    left = session.exec(
        select(func.count()).select_from(Shipment).where(Shipment.last_checked_at.is_(None))
    ).one()
    assert left == 0


def _run(config, env, out):
    from tests.support.fake_carrier import worker_main

    worker_main(config, env, out)
