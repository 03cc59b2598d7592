"""The return parcel (approved → in_transit): tracked by the same worker as outbound parcels,
shown with its return to staff and customer, and kept out of the order's own parcels, the
returnable quantities and the learned delivery lanes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from carriers.simulated import example_number as demo_number
from tests.factories import items_of, make_order, make_return
from tests.support.returns import submission
from tracking.estimates.models import LaneObservation
from tracking.orders import parcels
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.page.view import page_view
from tracking.returns import eligibility, queries, transitions
from tracking.returns import parcel as return_parcel
from tracking.returns.links import return_token
from tracking.returns.submission import submit
from tracking.staff import auth as staff
from tracking.sync import rounds as sync

PASSWORD = "correct horse battery"
# A valid yamato number whose simulated journey ends delivered (30 h after pickup).
NUMBER = demo_number("yamato", "delivered", 77)


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


@pytest.fixture
def shipped(app, session, brand):
    """An order with one delivered parcel and a return of one item, approved and shipped."""
    order = make_order(session, email="hanako@example.com")
    yun, _ = items_of(session, order)
    with app.app_context():
        rr = make_return(session, brand, order, (yun, 1, "changed_mind", "refund"))
    before = _returnable(session, brand, order)
    with app.app_context():
        transitions.transition(session, brand, rr, "approve", actor="staff:t@x")
    with app.app_context():
        return_parcel.ship(
            session, brand, rr, actor="staff:t@x", carrier="yamato", tracking_number=NUMBER
        )
    return order, rr, before


def _returnable(session, brand, order):
    return [
        (
            r.item.id,
            r.eligibility.facts.shipped_qty,
            r.eligibility.facts.shipped_at,
            r.eligibility.facts.delivered_at,
            r.eligibility.available_qty,
        )
        for r in eligibility.returnable_items(session, brand, order)
    ]


def _parcel(session, rr) -> Shipment:
    return session.exec(select(Shipment).where(Shipment.direction == "return")).one()


def _round(app, session, parcel, hours: float):
    brands = app.extensions["todoku_brands"]
    with app.app_context():
        return sync.run_round(session, brands, now=parcel.shipped_at + timedelta(hours=hours))


def test_shipping_a_return_creates_a_tracked_parcel_due_now(session, shipped):
    order, rr, _ = shipped
    parcel = _parcel(session, rr)
    assert (parcel.order_id, parcel.return_id) == (order.id, rr.id)
    assert (parcel.carrier, parcel.tracking_number, parcel.status) == ("yamato", NUMBER, "pending")
    assert parcel.next_check_at is not None and parcel.next_check_at <= parcel.shipped_at


def test_a_worker_round_updates_the_return_parcel(app, session, shipped):
    _order, rr, _ = shipped
    parcel = _parcel(session, rr)
    report = _round(app, session, parcel, 50)  # the brand routes yamato through "simulated"
    assert report.checked >= 1
    session.refresh(parcel)
    assert parcel.status == "delivered" and parcel.last_checked_at is not None
    assert parcel.next_check_at is None  # terminal: never polled again
    events = session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id))
    assert len(events.all()) >= 5
    # A return runs customer → shop: it never feeds the learned delivery lanes.
    seen = session.exec(select(LaneObservation).where(LaneObservation.shipment_id == parcel.id))
    assert seen.first() is None
    detail = queries.detail(session, rr)
    assert detail.parcel.id == parcel.id and detail.parcel_event.status == "delivered"
    assert detail.parcel_arrived  # staff are told, the return itself does not move
    assert rr.status == "in_transit"


def test_return_parcel_is_not_an_order_parcel_nor_a_shipped_quantity(app, session, brand, shipped):
    order, rr, before = shipped
    _round(app, session, _parcel(session, rr), 50)
    outbound = session.exec(
        select(Shipment).where(Shipment.order_id == order.id, Shipment.direction == "outbound")
    ).one()
    view = page_view(session, order.brand, order.public_id)
    assert [p.shipment.id for p in view.parcels] == [outbound.id]
    assert view.unshipped == []
    assert _returnable(session, brand, order) == before


def test_the_orders_own_tracking_number_is_refused(app, session, brand):
    order = make_order(session)
    yun, _ = items_of(session, order)
    own = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    sub = submission("parcel-test-key-02", (yun.id, 1, "changed_mind", "refund"))
    with app.app_context():
        rr = submit(session, brand, order, sub, upload_dir=None)
    with app.app_context():
        transitions.transition(session, brand, rr, "approve", actor="staff:t@x")
    with pytest.raises(transitions.TransitionError) as info, app.app_context():
        return_parcel.ship(
            session,
            brand,
            rr,
            actor="staff:t@x",
            carrier="yamato",
            tracking_number=own.tracking_number,
        )
    assert info.value.code == "tracking"
    session.refresh(rr)
    assert rr.status == "approved"
    assert session.exec(select(Shipment).where(Shipment.direction == "return")).first() is None


def test_ship_stores_a_full_width_dashed_number_and_a_carrier_name_as_intake_does(
    app, session, brand
):
    order = make_order(session)
    yun, _ = items_of(session, order)
    sub = submission("parcel-test-key-04", (yun.id, 1, "changed_mind", "refund"))
    typed = f"{NUMBER[:4]}ー{NUMBER[4:8]}―{NUMBER[8:]}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    with app.app_context():
        rr = submit(session, brand, order, sub, upload_dir=None)
        transitions.transition(session, brand, rr, "approve", actor="staff:t@x")
        return_parcel.ship(
            session,
            brand,
            rr,
            actor="staff:t@x",
            carrier="ヤマト運輸",
            tracking_number=typed,
        )
        as_intake = parcels.check_number(brand, "yamato", typed, check_digits=False).number
    assert as_intake == NUMBER
    # The carrier as a name resolves as in intake (our code stored), not only our code.
    assert (rr.return_carrier, rr.return_tracking_number) == ("yamato", NUMBER)
    assert _parcel(session, rr).tracking_number == NUMBER


def test_two_returns_in_one_box_share_the_parcel(app, session, brand, shipped):
    order, rr, _ = shipped
    _yun, sen = items_of(session, order)
    sub = submission("parcel-test-key-03", (sen.id, 1, "changed_mind", "refund"))
    with app.app_context():
        second = submit(session, brand, order, sub, upload_dir=None)
    with app.app_context():
        transitions.transition(session, brand, second, "approve", actor="staff:t@x")
    with app.app_context():
        return_parcel.ship(
            session,
            brand,
            second,
            actor="staff:t@x",
            carrier="yamato",
            tracking_number=NUMBER,
        )
    parcel = _parcel(session, rr)  # still exactly one
    assert queries.detail(session, second).parcel.id == parcel.id


def test_staff_and_customer_pages_show_the_carrier_status(app, client, session, shipped):
    order, rr, _ = shipped
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    staff.create_staff(session, "northpeak", "b@northpeak.example", PASSWORD)
    with app.app_context():
        token = return_token(order.brand, rr.public_id)
    status_url = f"/sakura-tea/r/{token}"

    page = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "Carrier status: Waiting for carrier update" in page
    assert "Not checked with the carrier yet." in page

    _round(app, session, _parcel(session, rr), 50)
    page = client.get(status_url + "?lang=en").get_data(as_text=True)
    assert "Carrier status: Delivered" in page and "Last checked:" in page
    page = client.get(status_url + "?lang=ja").get_data(as_text=True)
    assert "配送状況：配達完了" in page and "最終確認:" in page
    # The order's own tracking page does not list the return parcel.
    with app.app_context():
        from tracking.security import order_token

        order_page = client.get(f"/sakura-tea/o/{order_token(order.brand, order.public_id)}")
    assert NUMBER not in order_page.get_data(as_text=True)

    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    detail = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert "Carrier status: Delivered" in detail
    assert "The parcel has arrived at the warehouse" in detail
    client.post(
        f"/admin/sakura-tea/returns/{rr.rma}/transition",
        data={"action": "receive", "version": str(rr.version)},
    )
    detail = client.get(f"/admin/sakura-tea/returns/{rr.rma}?lang=en").get_data(as_text=True)
    assert "Carrier status: Delivered" in detail
    assert "The parcel has arrived at the warehouse" not in detail  # received: hint done

    # Another brand: plain 404 for staff and for the customer link.
    client.get("/admin/logout")
    client.post("/admin/login", data={"email": "b@northpeak.example", "password": PASSWORD})
    assert client.get(f"/admin/sakura-tea/returns/{rr.rma}").status_code == 404
    assert client.get(f"/admin/northpeak/returns/{rr.rma}").status_code == 404
    assert client.get(f"/northpeak/r/{token}").status_code == 404
