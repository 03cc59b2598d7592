"""The customer's tracking link for an order: ``TODOKU_BASE_URL/<brand>/o/<signed token>``."""

from __future__ import annotations

from flask import current_app
from sqlmodel import Session

from tracking.db import new_public_id
from tracking.orders.models import Order
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
