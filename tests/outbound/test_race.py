"""Exactly once under concurrency, on PostgreSQL with real threads: two workers' hooks (or two
requests) recording the same event write one event and one delivery per endpoint; two workers
delivering at once (FOR UPDATE SKIP LOCKED) send each delivery once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from tests.factories import make_order
from tests.support.webhooks import Receiver, with_webhooks
from tracking.db import make_engine
from tracking.outbound import delivery, sources
from tracking.outbound.models import OutboundDelivery, OutboundEvent

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


def _together(app, database_url, work, n: int = 2) -> list:
    """``work(session, i)`` in ``n`` threads, each with its own connection, released at once."""
    engine = make_engine(database_url, pool_size=n, max_overflow=0)
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        with app.app_context(), Session(engine, expire_on_commit=False) as s:
            barrier.wait(60)
            try:
                results[i] = work(s, i)
            except Exception as exc:  # noqa: BLE001 - reported by the assertions
                results[i] = repr(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.dispose()
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.fixture
def pg(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    return database_url


def test_two_workers_recording_one_milestone_write_one_event(app, session, pg):
    with app.app_context():
        brand = with_webhooks(
            app, "sakura-tea", {"url": "https://a.example/h"}, {"url": "https://b.example/h"}
        )
        orders = [make_order(session) for _ in range(5)]

    def record(s, i):
        written = 0
        for order in orders:
            event = sources.inquiry_created(
                s, brand, order, inquiry_id=order.id, locale="ja", reply_by=None, now=NOW
            )
            s.commit()
            written += event is not None
        return written

    results = _together(app, pg, record)
    assert sum(results) == len(orders), results
    events = session.exec(select(OutboundEvent)).all()
    assert Counter(e.subject for e in events) == {f"inquiry:{o.id}": 1 for o in orders}
    deliveries = session.exec(select(OutboundDelivery)).all()
    assert len(deliveries) == 2 * len(orders)


def test_two_workers_delivering_at_once_send_each_delivery_once(app, session, pg):
    with Receiver(statuses=[200]) as receiver, app.app_context():
        brand = with_webhooks(app, "sakura-tea", {"url": receiver.url()})
        for n in range(12):
            sources.inquiry_created(
                session,
                brand,
                make_order(session),
                inquiry_id=n,
                locale="ja",
                reply_by=None,
                now=NOW,
            )
        session.commit()
        brands = dict(app.extensions["todoku_brands"])

        def deliver(s, i):
            return delivery.deliver_pending(s, brands, now=NOW, limit=12)

        results = _together(app, pg, deliver)
    assert sum(r.get("delivered", 0) for r in results) == 12, results
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 12
    session.expire_all()
    rows = session.exec(select(OutboundDelivery)).all()
    assert {(d.status, d.attempts) for d in rows} == {("delivered", 1)}
