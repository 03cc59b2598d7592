"""Retention: the worker erases orders whose last event is older than the brand's
``[privacy] retain_days``, keeps the figures, never takes an order twice, and leaves recent
orders (or old orders with a recent parcel, return or question) alone."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.privacy.test_requests import _figures
from tracking.db import make_engine
from tracking.orders.models import Order, OrderChange, Shipment
from tracking.page.models import Inquiry
from tracking.privacy import retention
from tracking.returns.models import ReturnRequest
from tracking.timeutil import utcnow


@pytest.fixture(autouse=True)
def history(dashboard_history):
    """The dashboard's demo history on the demo shops."""


def _age(session, order: Order, days: int) -> None:
    """Move every event of the order ``days`` into the past."""
    then = utcnow() - timedelta(days=days)
    order.updated_at = then
    session.add(order)
    for parcel in session.exec(select(Shipment).where(Shipment.order_id == order.id)):
        parcel.updated_at = then
        session.add(parcel)
    for request in session.exec(select(ReturnRequest).where(ReturnRequest.order_id == order.id)):
        request.updated_at = then
        session.add(request)
    for question in session.exec(select(Inquiry).where(Inquiry.order_id == order.id)):
        question.created_at = then
        session.add(question)
    session.commit()


def test_the_worker_erases_orders_past_retention_and_keeps_the_figures(app, session, demo):
    old, kept_recent, old_with_new_parcel = session.exec(
        select(Order).where(Order.brand == "sakura-tea").order_by(Order.id).limit(3)
    ).all()
    _age(session, old, 800)
    _age(session, kept_recent, 100)
    _age(session, old_with_new_parcel, 800)
    parcel = session.exec(
        select(Shipment).where(Shipment.order_id == old_with_new_parcel.id)
    ).first()
    assert parcel is not None
    parcel.updated_at = utcnow() - timedelta(days=10)
    session.add(parcel)
    session.commit()
    before = _figures(app, session, "sakura-tea")

    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(Order, old.id).email == ""
    assert session.get(Order, old.id).name == ""
    assert session.get(Order, kept_recent.id).email == kept_recent.email
    assert session.get(Order, old_with_new_parcel.id).email == old_with_new_parcel.email
    change = session.exec(
        select(OrderChange).where(
            OrderChange.order_id == old.id, OrderChange.source == "privacy:retention"
        )
    ).one()
    assert change.changes == {"personal_data": ["", "erased"]}
    assert _figures(app, session, "sakura-tea") == before

    # Never taken twice, even though its erasure left it as old as before.
    _age(session, session.get(Order, old.id), 800)
    brands = app.extensions["todoku_brands"]
    assert retention.run(session, brands, Path(app.config["UPLOAD_DIR"])) == 0


def test_retention_follows_the_brand_setting(app, session, demo):
    order = session.exec(select(Order).where(Order.brand == "sakura-tea")).first()
    _age(session, order, 100)
    brands = dict(app.extensions["todoku_brands"])
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert retention.run(session, {"sakura-tea": brands["sakura-tea"]}, upload_dir) == 0
    short = brands["sakura-tea"].model_copy(
        update={"privacy": brands["sakura-tea"].privacy.model_copy(update={"retain_days": 90})}
    )
    assert retention.run(session, {"sakura-tea": short}, upload_dir) >= 1
    session.expire_all()
    assert session.get(Order, order.id).email == ""


def test_retain_days_has_limits():
    from pydantic import ValidationError

    from tracking.privacy.config import PrivacyConfig

    assert PrivacyConfig().retain_days == 730
    with pytest.raises(ValidationError):
        PrivacyConfig(retain_days=5)


def test_the_worker_scans_once_an_hour_unless_the_last_scan_found_orders(app, session, demo):
    brands = app.extensions["todoku_brands"]
    start = utcnow()
    with app.app_context():
        retention.round_task(session, brands, now=start)  # nothing old yet: next in an hour
        old = session.exec(select(Order).where(Order.brand == "sakura-tea")).first()
        _age(session, old, 800)
        retention.round_task(session, brands, now=start + timedelta(minutes=59))
        assert session.get(Order, old.id).email != "", "scanned again within the hour"
        retention.round_task(session, brands, now=start + timedelta(minutes=61))
        assert session.get(Order, old.id).email == ""


def _erase_batch(app, engine, barrier, erased: list, errors: list) -> None:
    try:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            barrier.wait(timeout=60)
            brands = {"sakura-tea": app.extensions["todoku_brands"]["sakura-tea"]}
            erased.append(retention.run(session, brands, Path(app.config["UPLOAD_DIR"])))
    except Exception as exc:  # reported by the test
        errors.append(repr(exc))


def test_two_workers_never_erase_one_order_twice(app, session, demo, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one worker; the race needs PostgreSQL")
    old = session.exec(select(Order).where(Order.brand == "sakura-tea")).all()[:6]
    for order in old:
        _age(session, order, 800)
    workers = 4
    barrier = threading.Barrier(workers)
    erased: list[int] = []
    errors: list[str] = []
    engine = make_engine(database_url, pool_size=workers, max_overflow=0)
    threads = [
        threading.Thread(target=_erase_batch, args=(app, engine, barrier, erased, errors))
        for _ in range(workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert errors == []
    records = session.exec(
        select(OrderChange.order_id).where(OrderChange.source == "privacy:retention")
    ).all()
    assert sorted(records) == sorted(set(records)), "an order erased (and recorded) twice"
    assert sum(erased) == len(records) >= len(old)
