"""Shipping and delivery mail: one per order per milestone, with the signed link, in the order's
language, and follow-up mail held by quiet hours and stopped by unsubscribing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.support.smtp import SmtpServer, parts
from tracking.mail import outbox, schedule, triggers
from tracking.mail.models import Notification, Unsubscribe
from tracking.mail.unsubscribe import unsubscribe_url
from tracking.orders.links import tracking_link
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem


@pytest.fixture
def ctx(app):
    """An app context for tests that call services only (never around client requests)."""
    with app.app_context():
        yield app


def _drain(session, now=None) -> int:
    total = 0
    while sent := outbox.deliver_pending(session, now=now):
        total += sent
    return total


def _mails(session, order):
    return session.exec(
        select(Notification).where(Notification.order_id == order.id).order_by(Notification.id)
    ).all()


def test_demo_orders_get_the_mail_of_their_milestone_only(ctx, demo, session):
    kinds = {n: [m.kind for m in _mails(session, o)] for n, o in demo.items()}
    # ST-1001 went straight to delivered between two checks: no "shipped" mail, then a follow-up.
    assert kinds["ST-1001"] == ["delivered", "follow_up"]
    assert kinds["ST-1002"] == ["out_for_delivery"]
    assert kinds["ST-1004"] == ["attempted"]
    assert kinds["ST-1005"] == []  # not shipped yet


def test_shipping_mail_arrives_with_the_signed_link_that_opens_the_page(app, demo, session, client):
    order = demo["ST-1002"]
    with app.app_context():
        # The demo template was signed with another test key: queue the mail again with this
        # app's.
        session.delete(_mails(session, order)[0])
        session.commit()
        # At 10:00 in Tokyo (the next one): out-for-delivery is neither held nor too late.
        tokyo = datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo"))
        morning = tokyo.replace(hour=10, minute=0, second=0, microsecond=0)
        morning += timedelta(days=1) if morning < tokyo else timedelta(0)
        brand = app.extensions["todoku_brands"][order.brand]
        note = triggers.order_changed(session, brand, order, now=morning.astimezone(UTC))
        session.commit()
        with SmtpServer() as smtp:
            app.config["SMTP_URL"] = smtp.url
            assert _drain(session, now=morning.astimezone(UTC)) >= 1
            msg = next(m for m in smtp.messages if m["Message-ID"] == note.message_id)
        link = tracking_link(order)
    body = parts(msg)
    assert "山田" not in body["text/plain"] and "佐藤 太郎 様" in body["text/plain"]
    assert "本日お届け予定" in msg["Subject"] and order.number in msg["Subject"]
    assert "ParcelDelivery" in body["text/html"] and 'style="' in body["text/html"]
    assert link in body["text/plain"] and link in body["text/html"]
    page = client.get(link.removeprefix(app.config["BASE_URL"]))  # no app context pushed here
    assert page.status_code == 200 and order.number in page.get_data(as_text=True)


def test_english_mail_greets_by_first_name(ctx, demo, session):
    order = next(o for o in demo.values() if o.locale == "en" and _mails(session, o))
    note = _mails(session, order)[0]
    first = order.name.split()[0]
    assert f"Hi {first}," in note.body_text
    assert "様" not in note.body_text


def test_quiet_hours_hold_every_customer_notice_until_morning(ctx, app):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    late_evening = datetime(2026, 12, 1, 13, 30, tzinfo=UTC)  # 22:30 in Tokyo
    morning = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 08:00 next morning in Tokyo
    for kind in ("shipped", "late", "delivered", "follow_up"):
        assert schedule.send_time(brand, kind, late_evening) == morning, kind
    noon = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert schedule.send_time(brand, "shipped", noon) == noon
    assert schedule.send_time(brand, "follow_up", noon) == noon
    # a trigger can still opt out
    triggers_cfg = brand.mail.triggers.model_copy(
        update={"shipped": brand.mail.triggers.shipped.model_copy(update={"quiet_hours": False})}
    )
    loud = brand.model_copy(
        update={"mail": brand.mail.model_copy(update={"triggers": triggers_cfg})}
    )
    assert schedule.send_time(loud, "shipped", late_evening) == late_evening


def test_unsubscribe_stops_follow_up_mail_but_not_shipping_notices(ctx, app, demo, session):
    order = demo["ST-1001"]
    session.add(Unsubscribe(brand=order.brand, email=order.email))
    session.commit()
    follow_up = next(n for n in _mails(session, order) if n.kind == "follow_up")
    with SmtpServer() as smtp:
        app.config["SMTP_URL"] = smtp.url
        _drain(session, now=follow_up.send_after + timedelta(minutes=1))
        sent_to = [m["Message-ID"] for m in smtp.messages]
    session.refresh(follow_up)
    assert follow_up.status == "suppressed" and follow_up.message_id not in sent_to
    delivered = next(n for n in _mails(session, order) if n.kind == "delivered")
    session.refresh(delivered)
    assert delivered.status == "sent"


def test_follow_up_mail_carries_one_click_unsubscribe(ctx, app, demo, session):
    order = demo["ST-1001"]
    follow_up = next(n for n in _mails(session, order) if n.kind == "follow_up")
    with SmtpServer() as smtp:
        app.config["SMTP_URL"] = smtp.url
        _drain(session, now=follow_up.send_after + timedelta(minutes=1))
        msg = next(m for m in smtp.messages if m["Message-ID"] == follow_up.message_id)
    url = unsubscribe_url(order.brand, order.public_id)
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_two_parcel_order_partial_then_one_consolidated_mail(ctx, app, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = Order(brand="sakura-tea", number="T-2P", email="two@example.com", name="山田 花子")
    session.add(order)
    session.flush()
    tea = OrderItem(order_id=order.id, sku="A", name="煎茶", qty=1)
    cup = OrderItem(order_id=order.id, sku="B", name="湯呑み", qty=1)
    session.add_all([tea, cup])
    session.flush()

    def parcel(item, number, status):
        ship = Shipment(order_id=order.id, carrier="yamato", tracking_number=number, status=status)
        session.add(ship)
        session.flush()
        session.add(ShipmentItem(shipment_id=ship.id, order_item_id=item.id, qty=1))
        session.flush()
        return ship

    first = parcel(tea, "111111111111", "in_transit")
    assert triggers.order_changed(session, brand, order).kind == "shipped_partial"
    assert triggers.order_changed(session, brand, order) is None  # the next scan: nothing new
    second = parcel(cup, "222222222222", "in_transit")
    full = triggers.order_changed(session, brand, order)
    assert full.kind == "shipped" and "111111111111" in full.body_text
    assert "222222222222" in full.body_text and "湯呑み × 1" in full.body_text
    first.status = second.status = "delivered"
    session.flush()
    assert triggers.order_changed(session, brand, order).kind == "delivered"
    session.commit()
    kinds = [(m.kind, m.status) for m in _mails(session, order)]
    assert kinds == [
        ("shipped_partial", "superseded"),  # not sent yet when the full notice was queued
        ("shipped", "superseded"),  # still unsent when the parcels were delivered
        ("delivered", "queued"),
        ("follow_up", "queued"),
    ]


def test_the_one_click_link_unsubscribes_and_later_follow_ups_are_not_queued(app, demo, session):
    order = demo["ST-1002"]
    with app.app_context():
        url = unsubscribe_url(order.brand, order.public_id)
    path = url.removeprefix(app.config["BASE_URL"])
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert client.get(path[:-3] + "xyz").status_code == 404  # forged token
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert client.post(path).status_code == 200  # twice is fine
    brand = app.extensions["todoku_brands"][order.brand]
    with app.app_context():
        assert triggers.unsubscribed(session, order.brand, order.email)
        assert triggers.queue(session, brand, order, "follow_up", base=datetime.now(UTC)) is None
        assert triggers.queue(session, brand, order, "delivered", base=datetime.now(UTC))


def _kinds(session, order) -> list[str]:
    return [m.kind for m in _mails(session, order)]


def test_scan_mails_a_parcel_the_carrier_does_not_know_after_n_days_once(ctx, demo, session):
    order = demo["NP-2005"]  # handed to UPS, no scan yet (pending)
    parcel = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    brands = ctx.extensions["todoku_brands"]
    days = brands["northpeak"].mail.triggers.not_registered.days
    shipped = parcel.shipped_at
    triggers.scan(session, brands, now=shipped + timedelta(days=days - 1))
    assert "not_registered" not in _kinds(session, order)
    assert triggers.scan(session, brands, now=shipped + timedelta(days=days, hours=1)) >= 1
    assert _kinds(session, order).count("not_registered") == 1
    triggers.scan(session, brands, now=shipped + timedelta(days=days + 2))
    assert _kinds(session, order).count("not_registered") == 1  # once


def test_scan_mails_a_parcel_past_its_estimate_without_new_scans(ctx, demo, session):
    order = demo["ST-1003"]  # in transit, its shipped mail queued
    parcel = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    brands = ctx.extensions["todoku_brands"]
    parcel.edd_start = parcel.edd_end = date(2026, 11, 20)
    parcel.late = False
    session.add(parcel)
    session.commit()
    queued = triggers.scan(session, brands, now=datetime(2026, 11, 22, 3, 0, tzinfo=UTC))
    assert queued >= 1 and _kinds(session, order) == ["shipped", "late"]
    shipped = _mails(session, order)[0]
    assert shipped.status == "superseded"  # not sent yet, the late notice says more
    triggers.scan(session, brands, now=datetime(2026, 11, 23, tzinfo=UTC))
    assert _kinds(session, order) == ["shipped", "late"]  # once


def test_the_worker_round_runs_the_scan(app, demo, session):
    order = demo["NP-2005"]
    with app.app_context():
        parcel = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
        parcel.shipped_at = datetime.now(UTC) - timedelta(days=30)
        parcel.next_check_at = datetime.now(UTC) + timedelta(days=1)  # no carrier call
        session.add(parcel)
        session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert "not_registered" in _kinds(session, order)


def _shipped_orders(session, prefix: str, n: int) -> list[Shipment]:
    """``n`` orders of one item each, its parcel in transit (not yet mailed)."""
    parcels = []
    for i in range(n):
        order = Order(brand="sakura-tea", number=f"{prefix}-{i}", email=f"{prefix}{i}@example.jp")
        session.add(order)
        session.flush()
        item = OrderItem(order_id=order.id, sku="A", name=f"煎茶 {i}", qty=1)
        ship = Shipment(
            order_id=order.id,
            carrier="yamato",
            tracking_number=f"{prefix}{i:08d}",
            status="in_transit",
        )
        session.add_all([item, ship])
        session.flush()
        session.add(ShipmentItem(shipment_id=ship.id, order_item_id=item.id, qty=1))
        parcels.append(ship)
    session.flush()
    return parcels


def test_the_worker_hook_mails_a_batch_with_as_many_queries_for_two_orders_as_for_six(ctx, session):
    from tests.support.queries import counted_queries

    counts = []
    for prefix, n in (("BA", 2), ("BB", 6)):
        parcels = _shipped_orders(session, prefix, n)
        with counted_queries(ctx) as statements:
            triggers.after_apply(session, parcels)
            session.flush()
        # SQLite gets one INSERT per mail (PostgreSQL one for the batch): count the rest.
        counts.append(len([s for s in statements if not s.startswith("INSERT")]))
        for ship in parcels:
            order = session.get(Order, ship.order_id)
            (note,) = _mails(session, order)
            assert note.kind == "shipped" and ship.tracking_number in note.body_text
            assert f"{order.number.replace(prefix + '-', '煎茶 ')} × 1" in note.body_text
    assert counts[0] == counts[1]
    triggers.after_apply(session, parcels)  # the same parcels again: no second mail
    session.commit()
    assert len(session.exec(select(Notification)).all()) == 8
