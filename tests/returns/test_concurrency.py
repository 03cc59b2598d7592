"""50 submissions at once, on a real engine with real threads (SQLite, and PostgreSQL when
TODOKU_TEST_DATABASE_URL is set): nothing lost, no duplicates, never more than shipped."""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import Session, func, select

from tests.factories import items_of, make_order
from tests.support.returns import submission
from tracking.db import get_engine
from tracking.mail.models import Notification
from tracking.orders.models import Order
from tracking.returns import eligibility
from tracking.returns.models import ReturnEvent, ReturnLine, ReturnRequest
from tracking.returns.submission import SubmissionError, submit

N = 50


def run_all(app, brand, order_id, make_sub):
    """Start N threads at the same instant; each submits in its own session."""
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as s:
        order = s.get(Order, order_id)  # read once, outside the threads: a plain object now
    barrier = threading.Barrier(N)
    results: list = [None] * N

    def worker(i: int) -> None:
        barrier.wait(60)  # all at once, before any of them touches the pool
        with app.app_context(), Session(engine, expire_on_commit=False) as s:
            try:
                results[i] = submit(s, brand, order, make_sub(i), upload_dir=None).rma
            except SubmissionError as exc:
                results[i] = exc
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    return results


def count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture(autouse=True)
def app_context(app):
    """Return services mail the customer (signed link, catalogues): they run inside an app, as
    in a request, the worker or the CLI. These tests use no test client, so one context fits."""
    with app.app_context():
        yield


RMA = re.compile(r"NP-[2-9A-HJ-NP-Z]{6}")


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["northpeak"]


def test_the_same_form_sent_50_times_at_once_makes_one_request(app, session, brand):
    order = make_order(session, "northpeak", items=[{"sku": "A", "name": "A", "qty": 3}])
    item = items_of(session, order)[0]
    results = run_all(
        app,
        brand,
        order.id,
        lambda i: submission("same-form-key-0001", (item.id, 1, "changed_mind", "refund")),
    )
    assert all(isinstance(r, str) and RMA.fullmatch(r) for r in results), results
    assert len(set(results)) == 1
    assert count(session, ReturnRequest, ReturnRequest.order_id == order.id) == 1
    assert count(session, Notification, Notification.order_id == order.id) == 1


def test_50_different_submissions_at_once_are_all_kept(app, session, brand):
    order = make_order(session, "northpeak", items=[{"sku": "A", "name": "A", "qty": N}])
    item = items_of(session, order)[0]
    results = run_all(
        app,
        brand,
        order.id,
        lambda i: submission(f"distinct-form-key-{i:04d}", (item.id, 1, "changed_mind", "refund")),
    )
    assert all(isinstance(r, str) and RMA.fullmatch(r) for r in results), results
    assert len(set(results)) == N  # unique RMA numbers
    assert count(session, ReturnRequest, ReturnRequest.order_id == order.id) == N
    assert count(session, ReturnEvent) == N
    assert eligibility.returned_quantities(session, order.id) == {item.id: N}


def test_50_submissions_for_10_items_accept_exactly_10(app, session, brand):
    order = make_order(session, "northpeak", items=[{"sku": "A", "name": "A", "qty": 10}])
    item = items_of(session, order)[0]
    results = run_all(
        app,
        brand,
        order.id,
        lambda i: submission(f"contended-form-{i:04d}", (item.id, 1, "changed_mind", "refund")),
    )
    accepted = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, SubmissionError)]
    assert len(accepted) == 10 and len(refused) == 40, results
    assert eligibility.returned_quantities(session, order.id) == {item.id: 10}
    assert (
        session.exec(
            select(func.sum(ReturnLine.qty))
            .join(ReturnRequest)
            .where(ReturnRequest.order_id == order.id)
        ).one()
        == 10
    )
