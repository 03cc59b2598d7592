"""Retention: the worker erases orders whose last event is older than the brand's
``[privacy] retain_days``, keeps the figures, never takes an order twice, and leaves recent
orders (or old orders with a recent parcel, return or question) alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.privacy.test_requests import _figures
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
