"""Test data builders: an order, a parcel, a return and a staff account, each with defaults a
test overrides only where it matters. ``build_*`` returns an unsaved object (for the pure rules);
``make_*`` stores it through the session, the way the app would have.

Returns are made through the real submission service, so a factory-made return carries its
lines, events and RMA exactly as a customer's would.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlmodel import Session, select

from tracking.brands.brand import Brand
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.returns.models import ReturnRequest
from tracking.returns.policy import LineInput
from tracking.returns.submission import Submission, submit
from tracking.staff import auth as staff_auth
from tracking.staff.models import StaffUser
from tracking.timeutil import utcnow

_numbers = itertools.count(1)
STAFF_PASSWORD = "correct horse battery"

DEFAULT_ITEMS = (
    {
        "sku": "YUN-01",
        "name": "湯呑み",
        "variant": "藍",
        "tags": ["teaware"],
        "qty": 2,
        "price": 2420,
    },
    {"sku": "SEN-100", "name": "煎茶", "tags": ["tea"], "qty": 1, "price": 1620},
)


def build_order(**fields) -> Order:
    """An unsaved order: a Japanese customer of the test brand ``t`` unless told otherwise."""
    values = {"brand": "t", "number": "1", "email": "a@b", "postcode": "1500001"} | fields
    return Order(**values)


def build_parcel(**fields) -> Shipment:
    """An unsaved parcel: a Yamato number the order has not been told about yet."""
    values = {"carrier": "yamato", "tracking_number": f"{next(_numbers):012d}"} | fields
    return Shipment(**values)


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
    """A stored order with its items and, unless ``ship=False``, one delivered Yamato parcel
    holding every item (delivered yesterday unless ``delivered_at`` says otherwise)."""
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
    rows = [OrderItem(order_id=order.id, **spec) for spec in (items or DEFAULT_ITEMS)]
    session.add_all(rows)
    session.flush()
    if ship:
        make_parcel(
            session,
            order,
            items=rows,
            status="delivered",
            shipped_at=shipped_at or delivered_at - timedelta(days=1),
            delivered_at=delivered_at,
        )
    session.commit()
    return order


def make_parcel(
    session: Session, order: Order, *, items: list[OrderItem] | None = None, **fields
) -> Shipment:
    """A stored parcel of ``order`` holding ``items`` in full (none when not given)."""
    shipment = build_parcel(order_id=order.id, **fields)
    session.add(shipment)
    session.flush()
    for row in items or ():
        session.add(ShipmentItem(shipment_id=shipment.id, order_item_id=row.id, qty=row.qty))
    session.flush()
    return shipment


def items_of(session: Session, order: Order) -> list[OrderItem]:
    return list(
        session.exec(
            select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
        ).all()
    )


def make_staff(
    session: Session,
    brand: str = "sakura-tea",
    *,
    email: str | None = None,
    role: str = "staff",
    password: str = STAFF_PASSWORD,
) -> StaffUser:
    """A staff account made the way ``flask staff create`` makes one."""
    email = email or f"staff{next(_numbers)}@{brand}.example"
    return staff_auth.create_staff(session, brand, email, password, role=role)


def make_return(
    session: Session,
    brand: Brand,
    order: Order,
    *lines: tuple,
    key: str | None = None,
    bank: dict | None = None,
) -> ReturnRequest:
    """A return of ``order`` submitted as the customer's form would (call inside an app
    context). ``lines``: (item, qty, reason, resolution[, variant]) with ``item`` an
    ``OrderItem`` or its id; none given: one of the first item, changed mind, refund."""
    if not lines:
        lines = ((items_of(session, order)[0], 1, "changed_mind", "refund"),)
    inputs = [LineInput(getattr(item, "id", item), *rest) for item, *rest in lines]
    sub = Submission(
        key=key or f"factory-return-{next(_numbers):08d}", lines=inputs, bank=bank or {}
    )
    return submit(session, brand, order, sub, upload_dir=None)
