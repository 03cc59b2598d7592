"""Builders shared by the returns, admin and API tests."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta

from PIL import Image
from sqlmodel import Session

from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.returns.policy import LineInput
from tracking.returns.submission import Submission
from tracking.timeutil import utcnow

_numbers = itertools.count(1)


def make_order(
    session: Session,
    brand: str = "sakura-tea",
    *,
    items: list[dict] | None = None,
    delivered_at: datetime | None = None,
    shipped_at: datetime | None = None,
    placed_at: datetime | None = None,
    payment_method: str = "card",
    email: str = "buyer@example.com",
    locale: str = "ja",
    ship: bool = True,
) -> Order:
    now = utcnow()
    delivered_at = delivered_at if delivered_at is not None else now - timedelta(days=1)
    order = Order(
        brand=brand,
        number=f"T-{next(_numbers):05d}",
        email=email,
        postcode="1500001",
        name="Test",
        locale=locale,
        payment_method=payment_method,
        placed_at=placed_at or delivered_at - timedelta(days=3),
    )
    session.add(order)
    session.flush()
    items = items or [
        {
            "sku": "YUN-01",
            "name": "湯呑み",
            "variant": "藍",
            "tags": ["teaware"],
            "qty": 2,
            "price": 2420,
        },
        {"sku": "SEN-100", "name": "煎茶", "tags": ["tea"], "qty": 1, "price": 1620},
    ]
    rows = [OrderItem(order_id=order.id, **spec) for spec in items]
    session.add_all(rows)
    session.flush()
    if ship:
        shipment = Shipment(
            order_id=order.id,
            carrier="yamato",
            tracking_number=f"{next(_numbers):012d}",
            status="delivered",
            shipped_at=shipped_at or delivered_at - timedelta(days=1),
            delivered_at=delivered_at,
        )
        session.add(shipment)
        session.flush()
        for row in rows:
            session.add(ShipmentItem(shipment_id=shipment.id, order_item_id=row.id, qty=row.qty))
    session.commit()
    return order


def items_of(session: Session, order: Order) -> list[OrderItem]:
    from sqlmodel import select

    return list(
        session.exec(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        ).all()
    )


def submission(key: str, *lines: tuple, bank: dict | None = None, photos=None) -> Submission:
    """``lines``: (item_id, qty, reason, resolution[, variant])."""
    return Submission(
        key=key,
        lines=[LineInput(*line) for line in lines],
        bank=bank or {},
        photos=photos or {},
    )


def jpeg(size=(64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 40, 40))
    if exif is not None:
        img.save(out, "JPEG", exif=exif)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()
