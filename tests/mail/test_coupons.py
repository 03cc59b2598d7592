"""Coupons (クーポン配信): a pool code goes to one customer only, even when many parcels are
delivered at the same moment; staff see what is left; the customer sees the code in the
delivered and follow-up mail and on the delivered tracking page."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlmodel import Session, select

from carriers import Status, TrackingResult
from tracking.db import make_engine
from tracking.mail import coupons
from tracking.mail.models import CouponCode, Notification
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.sync.apply import apply_result
from tracking.timeutil import utcnow

DELIVERIES = 20
PASSWORD = "todoku-demo-staff"


def _orders(session, n: int) -> list[int]:
    """``n`` northpeak orders (a pool-coupon brand), each with one parcel on its way."""
    ids = []
    for i in range(n):
        order = Order(
            brand="northpeak",
            number=f"C-{i}",
            email=f"c{i}@example.com",
            name=f"Cu {i}",
            postcode="97205",  # the estimate needs a destination country
        )
        session.add(order)
        session.flush()
        session.add(OrderItem(order_id=order.id, sku="X", name="Socks", qty=1))
        session.add(
            Shipment(
                order_id=order.id,
                carrier="ups",
                tracking_number=f"1ZTEST{i:010d}",
                status="in_transit",
                shipped_at=utcnow(),
            )
        )
        ids.append(order.id)
    session.commit()
    return ids


def _deliver(app, engine, order_id: int, barrier: threading.Barrier, errors: list) -> None:
    """One worker delivering one parcel through the real path: apply_result → AFTER_APPLY →
    the delivered trigger → a coupon drawn from the pool, in one transaction."""
    try:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            parcel = session.exec(select(Shipment).where(Shipment.order_id == order_id)).one()
            barrier.wait(timeout=60)
            result = TrackingResult(
                carrier="ups",
                tracking_number=parcel.tracking_number,
                status=Status.DELIVERED,
                delivered_at=utcnow(),
            )
            apply_result(session, parcel, result)
            session.commit()
    except Exception as exc:  # reported by the test
        errors.append(repr(exc))


def test_twenty_concurrent_deliveries_never_share_a_pool_code(app, session, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    with app.app_context():
        ids = _orders(session, DELIVERIES)
        codes = "\n".join(f"POOL-{n:03d}" for n in range(DELIVERIES + 5))
        assert coupons.import_csv(session, "northpeak", codes)[0] == DELIVERIES + 5
    barrier = threading.Barrier(DELIVERIES)
    errors: list[str] = []
    engine = make_engine(database_url, pool_size=DELIVERIES, max_overflow=0)  # a connection each
    threads = [
        threading.Thread(target=_deliver, args=(app, engine, order_id, barrier, errors))
        for order_id in ids
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert errors == []
    session.expire_all()
    issued = session.exec(select(CouponCode).where(CouponCode.order_id.is_not(None))).all()
    assert len(issued) == DELIVERIES
    assert Counter(c.order_id for c in issued) == {i: 1 for i in ids}  # one code per order
    assert len({c.code for c in issued}) == DELIVERIES  # never one code twice
    mails = session.exec(select(Notification).where(Notification.kind == "delivered")).all()
    assert len(mails) == DELIVERIES
    code_of = {c.order_id: c.code for c in issued}
    for mail in mails:
        assert code_of[mail.order_id] in mail.body_text and code_of[mail.order_id] in mail.body_html
    with app.app_context():
        assert coupons.remaining(session, "northpeak") == (5, DELIVERIES)


def test_an_order_keeps_its_code_and_an_empty_pool_gives_none(app, session):
    with app.app_context():
        brand = app.extensions["todoku_brands"]["northpeak"]
        first, second = (session.get(Order, i) for i in _orders(session, 2))
        coupons.import_csv(session, "northpeak", "code\nONLY-ONE\n")
        assert coupons.issue(session, brand, first) == "ONLY-ONE"
        assert coupons.issue(session, brand, first) == "ONLY-ONE"
        assert coupons.issue(session, brand, second) is None


def test_a_code_drawn_in_a_rolled_back_transaction_stays_in_the_pool(app, session):
    with app.app_context():
        brand = app.extensions["todoku_brands"]["northpeak"]
        (order,) = (session.get(Order, i) for i in _orders(session, 1))
        coupons.import_csv(session, "northpeak", "code\nONLY-ONE\n")
        session.commit()
        assert coupons.issue(session, brand, order) == "ONLY-ONE"  # its savepoint comes first
        session.rollback()  # the delivery that drew it failed
        assert coupons.remaining(session, "northpeak") == (1, 0)


def _login(client, email):
    r = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303


def test_staff_see_the_codes_left_in_their_own_pool_only(app, demo, session, client):
    # The demo pool: 25 codes, some issued to the delivered demo orders.
    with app.app_context():
        left, issued = coupons.remaining(session, "northpeak")
    assert left + issued == 25 and issued >= 1
    _login(client, "staff@northpeak.example")
    page = client.get("/admin/northpeak/mail").get_data(as_text=True)
    assert f"Codes left in the pool: {left} · issued: {issued}" in page
    assert client.get("/admin/sakura-tea/mail").status_code == 404
    client.post("/admin/logout")
    _login(client, "owner@northpeak.example")
    assert f"Codes left in the pool: {left}" in client.get("/admin/northpeak/mail").get_data(True)
    client.post("/admin/logout")
    _login(client, "staff@sakura-tea.example")  # a fixed code: no pool to count
    page = client.get("/admin/sakura-tea/mail").get_data(as_text=True)
    assert "SAKURA-THANKS10" in page and "Codes left" not in page


def test_delivered_page_shows_the_coupon_of_the_delivered_mail(app, demo, session, token_for):
    client = app.test_client()
    delivered, moving = demo["NP-2003"], demo["NP-2001"]
    with app.app_context():
        code = session.exec(
            select(CouponCode.code).where(CouponCode.order_id == delivered.id)
        ).one()
        follow_up = session.exec(
            select(Notification).where(
                Notification.order_id == delivered.id, Notification.kind == "follow_up"
            )
        ).one()
    assert code in follow_up.body_text  # the follow-up repeats the order's code
    page = client.get(f"/northpeak/o/{token_for(delivered)}").get_data(as_text=True)
    assert code in page and "15% off your next adventure" in page
    page = client.get(f"/northpeak/o/{token_for(moving)}").get_data(as_text=True)
    assert "15% off your next adventure" not in page  # not delivered yet: no coupon
    fixed = client.get(f"/sakura-tea/o/{token_for(demo['ST-1001'])}").get_data(as_text=True)
    assert "SAKURA-THANKS10" in fixed
