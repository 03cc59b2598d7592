"""The customer's tracking link for an order: ``TODOKU_BASE_URL/<brand>/o/<signed token>``; and
the bulk list of them for a date range (``links.csv``, ``flask orders links``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func
from sqlmodel import Session, col, select

from tracking.db import new_public_id
from tracking.orders.models import Order, Shipment
from tracking.orders.sheets import Text
from tracking.security import order_token


def tracking_link(order: Order) -> str:
    base = current_app.config["BASE_URL"]
    return f"{base}/{order.brand}/o/{order_token(order.brand, order.public_id)}"


def fresh_link(session: Session, order: Order) -> str:
    """A new link; every older link of this order stops working. Does not commit."""
    order.public_id = new_public_id()
    session.add(order)
    session.flush()
    return tracking_link(order)


LINKS_HEADER = ["order", "carrier", "tracking_number", "tracking_link", "shipped_at"]
MAX_LINK_ROWS = 50_000


def links_between(session: Session, brand, start: date, end: date) -> list[list]:
    """One row per outbound parcel of ``brand`` shipped (else registered) on a shop-local day in
    [start, end]: what a shop pastes into Rakuten's 発送メール or a Shopify bulk edit. The
    link is the customer's signed page link, the same one the mail carries."""
    lo = datetime.combine(start, time.min, brand.tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, brand.tz).astimezone(UTC)
    when = func.coalesce(Shipment.shipped_at, Shipment.created_at)
    stmt = (
        select(Order, Shipment)
        .join(Shipment, col(Shipment.order_id) == col(Order.id))
        .where(Order.brand == brand.slug, Shipment.direction == "outbound")
        .where(when >= lo, when < hi)
        .order_by(when, col(Shipment.id))
        .limit(MAX_LINK_ROWS)
    )
    return [
        [
            order.number,
            parcel.carrier,
            Text(parcel.tracking_number),
            tracking_link(order),
            parcel.shipped_at or parcel.created_at,
        ]
        for order, parcel in session.exec(stmt).all()
    ]
