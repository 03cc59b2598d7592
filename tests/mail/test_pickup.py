"""A parcel waiting at a store, locker or office (issue 25): the mail says where and until when,
and one reminder goes before the last day — once (the database's dedupe key, raced on
PostgreSQL), after quiet hours, never once the parcel is collected or the last day is over."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from carriers import Status, TrackingEvent, TrackingResult
from tests.factories import items_of, make_order, make_parcel
from tests.support.smtp import SmtpServer
from tracking.db import make_engine
from tracking.mail import outbox, triggers
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment
from tracking.sync.apply import apply_results
from tracking.timeutil import as_utc, utcnow

JST = ZoneInfo("Asia/Tokyo")


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
def brands(app):
    return app.extensions["todoku_brands"]


def _order(session, locale: str = "ja") -> tuple[Order, Shipment]:
    order = make_order(session, ship=False, locale=locale, placed_at=utcnow() - timedelta(days=3))
    parcel = make_parcel(
        session,
        order,
        items=items_of(session, order),
        status="in_transit",
        shipped_at=utcnow() - timedelta(days=2),
    )
    session.commit()
    return order, parcel


def _at_store(parcel: Shipment, arrived: datetime, until: date | None = None) -> TrackingResult:
    """Yamato: moving, then waiting at a convenience store (the place nested as pages do)."""
    from carriers.model import Pickup

    events = [
        TrackingEvent(
            arrived,
            Status.AVAILABLE_FOR_PICKUP,
            "ご来店予定(保管中)",
            location="ファミリーマート 札幌北24条西店",
            raw_code="ご来店予定(保管中)",
        ),
        TrackingEvent(
            arrived - timedelta(hours=20), Status.IN_TRANSIT, "発送済み", raw_code="発送済み"
        ),
    ]
    return TrackingResult(
        parcel.carrier,
        parcel.tracking_number,
        Status.AVAILABLE_FOR_PICKUP,
        events,
        pickup=Pickup(until=until) if until else None,
    )


def _collected(parcel: Shipment, at: datetime) -> TrackingResult:
    event = TrackingEvent(at, Status.DELIVERED, "お客様引渡完了", raw_code="お客様引渡完了")
    return TrackingResult(parcel.carrier, parcel.tracking_number, Status.DELIVERED, [event])


def _mails(session, order, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.order_id == order.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.exec(query.order_by(Notification.id)).all())


def _store(session, parcel, result):
    apply_results(session, [(parcel, result)])
    session.commit()


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=JST).astimezone(UTC)


def test_the_pickup_mail_says_where_and_until_when_in_japanese(ctx, session):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    session.refresh(parcel)
    last = arrived.astimezone(JST).date() + timedelta(days=2)  # Yamato 取扱店: 3 days incl.
    assert (parcel.pickup_kind, parcel.pickup_place) == ("store", "ファミリーマート 札幌北24条西店")
    assert (parcel.pickup_until, parcel.pickup_until_source) == (last, "period")
    (mail,) = _mails(session, order, "pickup")
    assert "ファミリーマート 札幌北24条西店" in mail.body_text
    weekday = "月火水木金土日"[last.weekday()]
    assert f"{last.month}月{last.day}日({weekday})" in mail.body_text
    assert "お受け取り" in mail.subject or "受け取り" in mail.subject
    assert _mails(session, order, "attempted") == []


def test_the_pickup_mail_in_english_uses_the_carriers_stated_date(ctx, session):
    order, parcel = _order(session, locale="en")
    arrived = utcnow() - timedelta(minutes=30)
    stated = arrived.astimezone(JST).date() + timedelta(days=5)
    _store(session, parcel, _at_store(parcel, arrived, until=stated))
    (mail,) = _mails(session, order, "pickup")
    assert "Collect by" in mail.body_text and "ready for pickup" in mail.subject
    assert f"{stated.day} {stated.strftime('%b')}" in mail.body_text
    assert "FamilyMart" not in mail.body_text and "ファミリーマート" in mail.body_text


def test_one_reminder_before_the_last_day_then_never_again(ctx, session, brands):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    session.refresh(parcel)
    first = arrived.astimezone(JST).date()
    # 3-day window: the reminder goes the day before the last day, not on the day of arrival.
    assert triggers.scan(session, brands, now=_noon(first)) == 0
    assert triggers.scan(session, brands, now=_noon(first + timedelta(days=1))) == 1
    for day in (1, 2):
        triggers.scan(session, brands, now=_noon(first + timedelta(days=day)))
    (reminder,) = _mails(session, order, "pickup_reminder")
    assert "ファミリーマート 札幌北24条西店" in reminder.body_text
    end = datetime.combine(first + timedelta(days=3), time(0), tzinfo=JST)
    assert as_utc(reminder.send_before) == end.astimezone(UTC)


def test_a_long_hold_is_reminded_two_days_before(ctx, session, brands):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    result = _at_store(parcel, arrived)
    events = [e.__class__(**{**_fields(e), "location": "札幌北センター"}) for e in result.events]
    _store(
        session,
        parcel,
        TrackingResult(result.carrier, result.tracking_number, result.status, events),
    )
    session.refresh(parcel)
    assert parcel.pickup_kind == "office"
    last = parcel.pickup_until
    assert last == arrived.astimezone(JST).date() + timedelta(days=6)  # Yamato office: 1 week
    assert triggers.scan(session, brands, now=_noon(last - timedelta(days=3))) == 0
    assert triggers.scan(session, brands, now=_noon(last - timedelta(days=2))) == 1


def _fields(event: TrackingEvent) -> dict:
    return {name: getattr(event, name) for name in event.__slots__}


def test_the_reminder_waits_out_quiet_hours_and_is_skipped_after_the_last_day(
    ctx, session, brands, smtp
):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    first = arrived.astimezone(JST).date()
    late_evening = datetime.combine(first + timedelta(days=1), time(23, 30), tzinfo=JST)
    triggers.scan(session, brands, now=late_evening.astimezone(UTC))
    (reminder,) = _mails(session, order, "pickup_reminder")
    morning = datetime.combine(first + timedelta(days=2), time(8, 0), tzinfo=JST)
    assert as_utc(reminder.send_after) == morning.astimezone(UTC)
    # Not sent by the end of the last day (the worker was down): skipped, never sent late.
    after = datetime.combine(first + timedelta(days=3), time(0, 5), tzinfo=JST)
    outbox.deliver_pending(session, now=after.astimezone(UTC))
    session.refresh(reminder)
    assert reminder.status == "skipped"


def test_no_reminder_once_collected_even_when_it_was_already_queued(ctx, session, brands):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    first = arrived.astimezone(JST).date()
    night = datetime.combine(first + timedelta(days=1), time(23, 0), tzinfo=JST)
    triggers.scan(session, brands, now=night.astimezone(UTC))
    (reminder,) = _mails(session, order, "pickup_reminder")
    assert reminder.status == "queued"  # held until morning
    _store(session, parcel, _collected(parcel, utcnow()))
    session.refresh(reminder)
    assert reminder.status == "superseded"
    # and a collected parcel is never reminded again
    triggers.scan(session, brands, now=_noon(first + timedelta(days=2)))
    assert len(_mails(session, order, "pickup_reminder")) == 1


def test_no_reminder_when_the_parcel_went_back_before_it_was_due(ctx, session, brands):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    back = TrackingEvent(utcnow(), Status.RETURNING_TO_SENDER, "返品", raw_code="返品")
    _store(
        session,
        parcel,
        TrackingResult(parcel.carrier, parcel.tracking_number, Status.RETURNING_TO_SENDER, [back]),
    )
    first = arrived.astimezone(JST).date()
    triggers.scan(session, brands, now=_noon(first + timedelta(days=1)))
    assert _mails(session, order, "pickup_reminder") == []


def test_a_brand_can_switch_the_reminder_off(ctx, session, brands):
    order, parcel = _order(session)
    arrived = utcnow() - timedelta(minutes=30)
    _store(session, parcel, _at_store(parcel, arrived))
    brand = brands[order.brand]
    off = brand.mail.triggers.pickup_reminder.model_copy(update={"enabled": False})
    mail = brand.mail.model_copy(
        update={"triggers": brand.mail.triggers.model_copy(update={"pickup_reminder": off})}
    )
    only = {order.brand: brand.model_copy(update={"mail": mail})}
    first = arrived.astimezone(JST).date()
    assert triggers.scan(session, only, now=_noon(first + timedelta(days=1))) == 0
    assert triggers.scan(session, brands, now=_noon(first + timedelta(days=1))) == 1


def _scan(app, engine, now, barrier, errors):
    try:
        with app.app_context(), Session(engine) as s:
            barrier.wait(timeout=30)
            triggers.scan(s, app.extensions["todoku_brands"], now=now)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(repr(exc))


def test_workers_scanning_at_once_queue_one_reminder(app, session, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    with app.app_context():
        order, parcel = _order(session)
        arrived = utcnow() - timedelta(minutes=30)
        _store(session, parcel, _at_store(parcel, arrived))
    now = _noon(arrived.astimezone(JST).date() + timedelta(days=1))
    n = 8
    barrier = threading.Barrier(n)
    errors: list[str] = []
    engine = make_engine(database_url, pool_size=n, max_overflow=0)
    threads = [
        threading.Thread(target=_scan, args=(app, engine, now, barrier, errors)) for _ in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    engine.dispose()
    assert errors == []
    assert len(_mails(session, order, "pickup_reminder")) == 1
