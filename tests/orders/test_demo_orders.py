"""One demo order creator (``orders.demo.create``), used by the demo shops and the feature demos."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from carriers.simulated import example_number
from tracking.orders.demo import DemoOrder, DemoParcel, create, item
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentEvent

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def _parcels(session, order):
    return session.exec(select(Shipment).where(Shipment.order_id == order.id)).all()


def test_a_parcel_takes_its_fixed_number_else_the_simulated_example(app, session):
    spec = DemoOrder(
        brand="sakura-tea",
        number="T-DEMO-1",
        email="a@example.com",
        postcode="530-0001",
        name="伊藤 空",
        locale="ja",
        items=[item("SEN-100", "煎茶", 1620), item("GEN-200", "玄米茶", 864)],
        parcels=[
            DemoParcel("japanpost", "", 20, [0], "ゆうパック", tracking_number="400000000013"),
            DemoParcel("yamato", "in_transit", 10, [1], "宅急便"),
        ],
    )
    order = create(session, spec, salt=7, now=NOW)
    numbers = sorted((s.carrier, s.tracking_number) for s in _parcels(session, order))
    assert numbers == [
        ("japanpost", "400000000013"),
        ("yamato", example_number("yamato", "in_transit", 7 * 10 + 1)),
    ]


def test_the_estimates_demo_orders_go_through_the_one_creator(demo, session):
    order = session.exec(
        select(Order).where(Order.brand == "sakura-tea", Order.number == "ST-1101")
    ).one()
    assert (order.locale, order.currency, order.total, order.postcode) == (
        "ja",
        "JPY",
        1620,
        "5300001",
    )
    [line] = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert (line.sku, line.price, line.tags) == ("SEN-100", 1620, [])
    [parcel] = _parcels(session, order)
    assert (parcel.carrier, parcel.service, parcel.tracking_number) == (
        "japanpost",
        "ゆうパック",
        "400000000013",
    )
    assert parcel.status == "in_transit" and parcel.last_checked_at is not None
    events = session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id)).all()
    assert [(e.status, e.sub_status, e.description) for e in events] == [
        ("in_transit", "picked_up", "荷物受付")
    ]
