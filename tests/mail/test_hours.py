"""Hours and volume: customer notices wait out the night on the customer's clock, out-for-delivery
is never sent after the day's deliveries, and a return's updates fold into one mail per few
minutes (race-safe: one pending mail per return, checked by the database)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from tests.factories import items_of, make_order, make_parcel
from tests.support.returns import submission
from tests.support.smtp import SmtpServer
from tracking.db import make_engine
from tracking.mail import coalesce, hours, outbox, triggers, zones
from tracking.mail.models import Notification
from tracking.orders.models import Order
from tracking.returns import transitions
from tracking.returns.submission import submit
from tracking.staff import auth as staff
from tracking.timeutil import as_utc, utcnow

# 1 Dec 2026 in Tokyo (UTC+9)
NIGHT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 23:30
SMALL_HOURS = datetime(2026, 12, 1, 17, 50, tzinfo=UTC)  # 02:50 on the 2nd
MORNING = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)  # 08:00 on the 2nd, quiet hours end
EVENING = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 20:00, deliveries still running
PASSWORD = "correct horse battery"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def smtp(app):
    with SmtpServer() as server:
        app.config["SMTP_URL"] = server.url
        yield server


@pytest.fixture
def brand(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def _drain(session, now) -> int:
    total = 0
    while sent := outbox.deliver_pending(session, now=now):
        total += sent
    return total


def _order_with_parcel(session, status: str, at: datetime, **order_fields) -> Order:
    """An order whose one parcel reached ``status`` at ``at`` (shipped then, or delivered)."""
    order = make_order(session, ship=False, placed_at=at - timedelta(days=2))
    for key, value in order_fields.items():
        setattr(order, key, value)
    make_parcel(
        session,
        order,
        items=items_of(session, order),
        status=status,
        shipped_at=at if status != "delivered" else at - timedelta(days=1),
        delivered_at=at if status == "delivered" else None,
    )
    session.commit()
    return order


def _mail(session, order, kind) -> Notification:
    return session.exec(
        select(Notification).where(Notification.order_id == order.id, Notification.kind == kind)
    ).one()


def test_a_night_time_delivery_is_mailed_in_the_morning(ctx, session, brand, smtp):
    order = _order_with_parcel(session, "delivered", NIGHT - timedelta(minutes=5))
    triggers.order_changed(session, brand, order, now=NIGHT)
    session.commit()
    note = _mail(session, order, "delivered")
    assert as_utc(note.send_after) == MORNING
    assert _drain(session, NIGHT + timedelta(hours=1)) == 0
    assert _drain(session, MORNING) >= 1
    session.refresh(note)
    assert note.status == "sent"


def test_shipped_at_0250_in_japan_is_held_until_morning(ctx, session, brand, smtp):
    order = _order_with_parcel(session, "in_transit", SMALL_HOURS - timedelta(minutes=1))
    triggers.order_changed(session, brand, order, now=SMALL_HOURS)
    session.commit()
    note = _mail(session, order, "shipped")
    assert as_utc(note.send_after) == MORNING
    assert _drain(session, SMALL_HOURS) == 0
    session.refresh(note)
    assert note.status == "queued"
    assert _drain(session, MORNING) == 1
    assert smtp.messages and smtp.messages[-1]["Message-ID"] == note.message_id


def test_held_mail_leaves_in_the_order_it_was_queued(ctx, session, brand, smtp):
    first = _order_with_parcel(session, "in_transit", SMALL_HOURS - timedelta(minutes=30))
    second = _order_with_parcel(session, "delivered", SMALL_HOURS - timedelta(minutes=10))
    triggers.order_changed(session, brand, first, now=SMALL_HOURS - timedelta(minutes=29))
    triggers.order_changed(session, brand, second, now=SMALL_HOURS)
    session.commit()
    _drain(session, MORNING)
    ids = [_mail(session, first, "shipped").message_id, _mail(session, second, "delivered")]
    assert [m["Message-ID"] for m in smtp.messages[:2]] == [ids[0], ids[1].message_id]


def test_quiet_hours_follow_the_customers_zone(ctx, session, brand):
    # 23:30 in Tokyo is 15:30 in London: a customer there is mailed at once.
    abroad = _order_with_parcel(session, "in_transit", NIGHT, country="GB")
    assert zones.zone_for(brand, abroad).key == "Europe/London"
    triggers.order_changed(session, brand, abroad, now=NIGHT)
    session.commit()
    assert as_utc(_mail(session, abroad, "shipped").send_after) == NIGHT
    # A Japanese postcode with no country reads as Japan, whatever the brand's zone.
    northpeak = ctx.extensions["todoku_brands"]["northpeak"]
    home = Order(brand="northpeak", number="Z-1", email="z@example.com", postcode="1500001")
    assert zones.zone_for(northpeak, home).key == "Asia/Tokyo"
    assert zones.zone_for(northpeak, Order(brand="northpeak", number="Z-2", email="z@x.jp")) == (
        northpeak.tz
    )


def test_out_for_delivery_after_the_days_deliveries_is_skipped(ctx, session, brand, smtp):
    late = _order_with_parcel(session, "out_for_delivery", NIGHT - timedelta(minutes=1))
    triggers.order_changed(session, brand, late, now=NIGHT)
    session.commit()
    note = _mail(session, late, "out_for_delivery")
    assert note.status == hours.SKIPPED and note.last_error == hours.TOO_LATE
    # Queued in time, but the worker only got to it after 21:00: skipped, never sent late.
    on_time = _order_with_parcel(session, "out_for_delivery", EVENING - timedelta(minutes=1))
    triggers.order_changed(session, brand, on_time, now=EVENING)
    session.commit()
    note = _mail(session, on_time, "out_for_delivery")
    assert note.status == "queued" and as_utc(note.send_before) == EVENING + timedelta(hours=1)
    _drain(session, EVENING + timedelta(hours=1, minutes=5))
    session.refresh(note)
    assert note.status == hours.SKIPPED and not smtp.messages


def _return(session, brand, at: datetime | None = None):
    order = make_order(session, delivered_at=(at or utcnow()) - timedelta(days=1))
    item = items_of(session, order)[0]
    sub = submission(f"hours-key-{order.id:08d}", (item.id, 1, "changed_mind", "refund"))
    return submit(session, brand, order, sub, upload_dir=None, now=at)


def _return_mail(session, rr) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.coalesce_key == f"return:{rr.rma}")
            .order_by(Notification.id)
        ).all()
    )


def test_a_return_through_six_states_in_three_minutes_mails_twice_with_the_latest(
    ctx, session, brand, smtp
):
    brand = brand.model_copy(update={"mail": brand.mail.model_copy(update={"quiet_hours": None})})
    rr = _return(session, brand)  # the customer's request: a receipt, sent at once
    _drain(session, utcnow())
    for action in ("review", "approve", "receive", "inspect", "refund"):  # staff, seconds apart
        transitions.transition(session, brand, rr, action, actor="staff:t@x")
        _drain(session, utcnow())  # the worker runs all along
    rows = _return_mail(session, rr)
    assert [(n.kind, n.status) for n in rows] == [
        ("return_requested", "sent"),
        *[(f"return_{s}", "superseded") for s in ("needs_review", "approved", "received")],
        ("return_inspected", "superseded"),
        ("return_refunded", "queued"),
    ]
    assert as_utc(rows[-1].send_after) >= as_utc(rows[0].sent_at) + timedelta(minutes=5)
    _drain(session, utcnow() + timedelta(minutes=6))
    assert len(smtp.messages) == 2
    assert smtp.messages[-1]["Message-ID"] == rows[-1].message_id  # the latest state
    assert rr.rma in rows[-1].subject


def test_return_updates_wait_out_the_night_but_the_customers_own_receipt_does_not(
    ctx, session, brand
):
    rr = _return(session, brand, at=NIGHT)
    assert as_utc(_return_mail(session, rr)[0].send_after) == NIGHT  # their own request
    transitions.transition(session, brand, rr, "approve", actor="staff:t@x", now=NIGHT)
    rows = _return_mail(session, rr)
    assert [n.status for n in rows] == ["superseded", "queued"]
    assert as_utc(rows[-1].send_after) == MORNING


def test_staff_can_send_a_superseded_return_mail_again(ctx, session, brand):
    rr = _return(session, brand, at=NIGHT)
    transitions.transition(session, brand, rr, "approve", actor="staff:t@x", now=NIGHT)
    first, latest = _return_mail(session, rr)
    outbox.requeue(session, first)
    session.refresh(latest)
    assert (first.status, latest.status) == ("queued", "queued")


def test_a_return_mail_that_fails_while_a_later_update_is_queued_is_superseded(ctx, session, brand):
    rr = _return(session, brand, at=NIGHT)
    first = _return_mail(session, rr)[0]
    [claimed] = outbox.claim(session, ["sakura-tea"], NIGHT + timedelta(minutes=1), 10)
    assert claimed.id == first.id
    transitions.transition(session, brand, rr, "approve", actor="staff:t@x", now=NIGHT)
    outbox._retry(session, claimed, "421 try later", NIGHT + timedelta(minutes=2))
    session.refresh(first)
    assert first.status == "superseded"
    assert [n.status for n in _return_mail(session, rr)] == ["superseded", "queued"]


def _enqueue(app, engine, i: int, barrier, errors: list) -> None:
    try:
        barrier.wait(60)
        with app.app_context(), Session(engine) as s:
            outbox.enqueue(
                s,
                brand="sakura-tea",
                kind="return_approved",
                dedupe_key=f"return:R-RACE:{i}",
                to="race@example.com",
                subject=f"update {i}",
                body="-",
                coalesce_key="return:R-RACE",
                window=timedelta(minutes=5),
            )
            s.commit()
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def test_twenty_concurrent_updates_of_one_return_leave_one_pending_mail(app, session, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    n = 20
    barrier = threading.Barrier(n)
    errors: list[str] = []
    engine = make_engine(database_url, pool_size=n, max_overflow=0)  # a connection each
    threads = [
        threading.Thread(target=_enqueue, args=(app, engine, i, barrier, errors)) for i in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert errors == []
    rows = session.exec(select(Notification).where(Notification.coalesce_key == "return:R-RACE"))
    statuses = sorted(r.status for r in rows.all())
    assert statuses == ["queued"] + ["superseded"] * (n - 1)  # none lost, one pending


def test_the_database_refuses_a_second_pending_mail_for_one_return(ctx, session):
    mail = dict(brand="sakura-tea", kind="return_approved", to="x@example.com", subject="s")
    session.add(outbox._row(dedupe_key="k1", body="-", coalesce_key="return:R-1", **mail))
    session.commit()
    session.add(outbox._row(dedupe_key="k2", body="-", coalesce_key="return:R-1", **mail))
    with pytest.raises(Exception, match="(?i)unique"):
        session.commit()
    session.rollback()
    assert coalesce.SUPERSEDED


def test_the_staff_mail_page_names_held_skipped_and_superseded(app, client, session, brand):
    with app.app_context():
        late = _order_with_parcel(session, "out_for_delivery", NIGHT - timedelta(minutes=1))
        triggers.order_changed(session, brand, late, now=NIGHT)
        rr = _return(session, brand)
        transitions.transition(session, brand, rr, "approve", actor="staff:t@x")
        for row in _return_mail(session, rr)[1:]:
            row.send_after = utcnow() + timedelta(hours=3)  # not due yet: held
            session.add(row)
        session.commit()
        staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    en = client.get("/admin/sakura-tea/mail?lang=en").get_data(as_text=True)
    ja = client.get("/admin/sakura-tea/mail?lang=ja").get_data(as_text=True)
    for words in (
        "Not sent: too late, the day&#39;s deliveries were over",
        "Held until the time shown",
        "Not sent: a later notice replaced it",
    ):
        assert words in en, words
    for words in (
        "未送信：配達時間の終了後のため",
        "表示の時刻まで保留中",
        "未送信：より新しい通知に置き換え",
    ):
        assert words in ja, words
