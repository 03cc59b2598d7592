"""The demo data the README and docs promise."""

from __future__ import annotations

from sqlmodel import func, select

from tracking import demo as demo_module
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.timeutil import utcnow


def _counts(session):
    return tuple(
        session.exec(select(func.count()).select_from(model)).one()
        for model in (Order, Shipment, ShipmentEvent)
    )


def test_demo_orders_promised_by_the_readme(demo, session):
    st1001, st1002, np2001, np2002 = (demo[n] for n in ("ST-1001", "ST-1002", "NP-2001", "NP-2002"))
    assert (st1001.brand, st1001.email, st1001.postcode) == (
        "sakura-tea",
        "hanako@example.com",
        "1500001",
    )
    assert (st1002.brand, st1002.email) == ("sakura-tea", "taro@example.com")
    assert (np2001.brand, np2001.email, np2001.postcode) == (
        "northpeak",
        "alex@example.com",
        "97205",
    )
    assert (np2002.brand, np2002.email) == ("northpeak", "sam@example.com")

    def shipments(order):
        return session.exec(select(Shipment).where(Shipment.order_id == order.id)).all()

    assert [(s.carrier, s.status) for s in shipments(st1001)] == [("yamato", "delivered")]
    assert [(s.carrier, s.status) for s in shipments(st1002)] == [("japanpost", "out_for_delivery")]
    assert sorted((s.carrier, s.status) for s in shipments(np2001)) == [
        ("dhl", "in_transit"),
        ("ups", "in_transit"),
    ]
    assert [s.status for s in shipments(np2002)] == ["exception"]


def test_demo_covers_every_status_family(demo, session):
    assert len(demo) >= 12
    statuses = set(session.exec(select(Shipment.status)).all())
    assert statuses >= {
        "pending",
        "info_received",
        "in_transit",
        "out_for_delivery",
        "attempt_failed",
        "available_for_pickup",
        "delivered",
        "delayed",
        "exception",
        "returned_to_sender",
    }
    unshipped = [
        o
        for o in demo.values()
        if not session.exec(select(Shipment).where(Shipment.order_id == o.id)).first()
    ]
    assert unshipped, "a not-yet-shipped order"


def test_demo_tracking_numbers_are_valid_for_their_carrier(demo, session):
    import carriers

    for shipment in session.exec(select(Shipment)).all():
        assert carriers.get(shipment.carrier).validate(shipment.tracking_number), shipment


def test_demo_load_is_idempotent(app, demo, session):
    links = {o.number: o.public_id for o in demo.values()}
    # Loading plays each journey up to ``now``: minutes after the template was made, a parcel
    # may rightly have one more scan. So load once as of a moment, then again as of the same
    # moment: the second load must add nothing.
    now = utcnow()
    with app.app_context():  # the demo reads the app's brands
        demo_module.load(session, now=now, history=False)  # as the template was loaded
        before = _counts(session)
        again = demo_module.load(session, now=now, history=False)
    assert _counts(session) == before
    assert {o.number: o.public_id for o in again} == links


def test_demo_command_prints_links(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert result.output.count("/o/") >= len(demo_module.ORDERS)
    for spec in demo_module.ORDERS:
        assert spec.number in result.output
    assert "/sakura-tea/" in result.output and "/northpeak/" in result.output
