"""Building blocks for demo data: an order spec with its items and parcels, stored through the
intake like any shop's order. The demo shops (``tracking/demo``) and the feature demos use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from carriers.simulated import example_number
from tracking.orders.intake import create_order
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem


@dataclass
class DemoParcel:
    carrier: str
    scenario: str
    hours_ago: float  # when it was shipped
    items: list[int]  # indexes into the order's items (whole quantity ships)
    service: str = ""
    # A fixed number instead of the simulated carrier's example for ``scenario`` (a parcel that
    # no simulated journey drives, e.g. the estimates demo's).
    tracking_number: str = ""


@dataclass
class DemoOrder:
    brand: str
    number: str
    email: str
    postcode: str
    name: str
    locale: str
    items: list[dict]
    parcels: list[DemoParcel] = field(default_factory=list)
    days_ago: float = 3
    payment_method: str = "card"


# Some demo items have a picture, served from our own host (``static/demo/items/``, small SVGs)
# so ``make run`` shows them without any image host; the others show none, as orders whose data
# carries no image.
IMAGES = {
    sku: f"/static/demo/items/{name}.svg"
    for sku, name in (
        ("SEN-100", "sencha"),
        ("YUN-01", "yunomi"),
        ("KYU-01", "kyusu"),
        ("CHA-SEN", "chasen"),
        ("BOOT-M", "boots"),
        ("BOOT-W", "boots"),
        ("TENT-2P", "tent"),
        ("BOTTLE", "bottle"),
    )
}


def item(sku, name, price, variant="", tags=("tea",), qty=1):
    """One order line of demo data, as ``OrderItem`` keyword arguments."""
    return {
        "image": IMAGES.get(sku, ""),
        "sku": sku,
        "name": name,
        "price": price,
        "variant": variant,
        "tags": list(tags),
        "qty": qty,
    }


def create(session: Session, spec: DemoOrder, salt: int, now: datetime) -> Order:
    """Store ``spec`` as a new order with its items and parcels (numbers from ``salt``)."""
    order = create_order(
        session,
        brand=spec.brand,
        number=spec.number,
        email=spec.email,
        postcode=spec.postcode,
        name=spec.name,
        locale=spec.locale,
        source="demo",
        currency="JPY" if spec.brand == "sakura-tea" else "USD",
        total=sum(i["price"] * i["qty"] for i in spec.items),
        payment_method=spec.payment_method,
        placed_at=now - timedelta(days=spec.days_ago),
    )
    items = []
    for raw in spec.items:
        item = OrderItem(order_id=order.id, **raw)
        session.add(item)
        items.append(item)
    session.flush()
    for p_index, parcel in enumerate(spec.parcels):
        shipment = Shipment(
            order_id=order.id,
            carrier=parcel.carrier,
            tracking_number=parcel.tracking_number
            or example_number(parcel.carrier, parcel.scenario, salt * 10 + p_index),
            service=parcel.service,
            shipped_at=now - timedelta(hours=parcel.hours_ago),
        )
        session.add(shipment)
        session.flush()
        for idx in parcel.items:
            session.add(
                ShipmentItem(
                    shipment_id=shipment.id, order_item_id=items[idx].id, qty=items[idx].qty
                )
            )
    return order
