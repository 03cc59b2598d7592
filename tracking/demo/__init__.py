"""The demo: two shops and their orders, then each feature's demo data on top.

Loading is idempotent: existing orders keep their links, their journeys are re-applied. It runs
inside an app (``flask --app app demo``, or the tests' app context), which gives it the brands.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlmodel import Session, select

from tracking.dashboard import demo as dashboard_demo
from tracking.demo.shops import ORDERS
from tracking.estimates import demo as estimates_demo
from tracking.mail import demo as mail_demo
from tracking.orders.demo import create
from tracking.orders.models import Order, Shipment
from tracking.returns import demo as returns_demo
from tracking.sync.demo import play_journey
from tracking.timeutil import utcnow

BRANDS = ("sakura-tea", "northpeak")
__all__ = ["BRANDS", "ORDERS", "load"]


def load(session: Session, now: datetime | None = None, history: bool = True) -> list[Order]:
    """``history``: the dashboard's four weeks of page views, feedback and questions, so its
    charts show something. The feature tests load the shops without it (their own rows are
    then the only ones); the dashboard's tests add it themselves."""
    now = now or utcnow()
    brands = current_app.extensions["todoku_brands"]
    mail_demo.load_demo(session, {s: brands[s] for s in BRANDS if s in brands})
    loaded = []
    for salt, spec in enumerate(ORDERS, start=1):
        order = session.exec(
            select(Order).where(Order.brand == spec.brand, Order.number == spec.number)
        ).first()
        if order is None:
            order = create(session, spec, salt, now)
        session.flush()
        for shipment in session.exec(select(Shipment).where(Shipment.order_id == order.id)).all():
            play_journey(session, shipment, now)
        loaded.append(order)
    estimates_demo.load_demo(session, now)
    returns_demo.load_demo(session, now)
    if history:
        showcase = {spec.number for spec in ORDERS}
        wanted = {s: brands[s] for s in BRANDS if s in brands}
        dashboard_demo.load_demo(session, wanted, now, showcase)
    session.commit()
    return loaded
