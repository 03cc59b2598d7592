"""Every source of outbound events writes its event once, with the documented body: parcel
milestones (the worker's apply hook), late orders (the worker's scan), return status changes
and customer questions. Nothing for a brand without an endpoint that wants the type, nor for
orders imported as history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from carriers import Status, TrackingEvent, TrackingResult
from tests.factories import make_order, make_parcel, make_return
from tests.support.webhooks import with_webhooks
from tracking.orders.links import tracking_link
from tracking.orders.models import Order
from tracking.outbound import sources
from tracking.outbound.models import OutboundDelivery, OutboundEvent
from tracking.page import inquiry
from tracking.returns import transitions
from tracking.sync.apply import apply_results

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
HOOK = "https://hooks.example/todoku"
SLACK_RELAY = "https://relay.example/slack"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def brand(ctx):
    return with_webhooks(
        ctx,
        "sakura-tea",
        {"url": HOOK},
        {"url": SLACK_RELAY, "events": ["parcel.delivered", "inquiry.created"]},
    )


def _events(session, type_=None) -> list[OutboundEvent]:
    stmt = select(OutboundEvent).order_by(OutboundEvent.id)
    if type_:
        stmt = stmt.where(OutboundEvent.type == type_)
    return list(session.exec(stmt).all())


def _body(event: OutboundEvent) -> dict:
    return json.loads(event.body)


def _learn(session, parcel, status: Status, at: datetime, *earlier: tuple[Status, datetime]):
    scans = [TrackingEvent(at, status, str(status))]
    scans += [TrackingEvent(t, s, str(s)) for s, t in earlier]
    result = TrackingResult(
        parcel.carrier,
        parcel.tracking_number,
        status,
        scans,
        delivered_at=at if status is Status.DELIVERED else None,
    )
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        apply_results(session, [(parcel, result)])
    session.commit()


def _moving_parcel(session):
    order = make_order(session, ship=False)
    parcel = make_parcel(session, order, shipped_at=NOW - timedelta(days=2))
    session.commit()
    return order, parcel


def test_each_parcel_milestone_is_one_event_with_the_order_and_parcel(session, brand):
    order, parcel = _moving_parcel(session)
    day = NOW - timedelta(days=1)
    _learn(session, parcel, Status.IN_TRANSIT, day)
    _learn(session, parcel, Status.IN_TRANSIT, day)  # asked again: the same answer
    _learn(session, parcel, Status.IN_TRANSIT, day + timedelta(hours=3))  # a later transit scan
    _learn(session, parcel, Status.OUT_FOR_DELIVERY, NOW)
    _learn(session, parcel, Status.ATTEMPT_FAILED, NOW + timedelta(hours=4))
    _learn(session, parcel, Status.ATTEMPT_FAILED, NOW + timedelta(hours=4))
    _learn(session, parcel, Status.OUT_FOR_DELIVERY, NOW + timedelta(days=1))  # out again
    _learn(session, parcel, Status.DELIVERED, NOW + timedelta(days=1, hours=2))
    _learn(session, parcel, Status.DELIVERED, NOW + timedelta(days=1, hours=2))
    types = [e.type for e in _events(session)]
    assert types == [
        "parcel.shipped",
        "parcel.out_for_delivery",
        "parcel.attempted",
        "parcel.out_for_delivery",
        "parcel.delivered",
    ]
    delivered = _events(session, "parcel.delivered")[0]
    body = _body(delivered)
    assert body["id"] == delivered.public_id and body["id"].startswith("msg_")
    assert body["type"] == "parcel.delivered"
    assert body["created_at"].endswith("Z")
    assert body["data"]["order_number"] == order.number
    assert body["data"]["tracking_link"] == tracking_link(order)
    assert body["data"]["parcel"]["carrier"] == "yamato"
    assert body["data"]["parcel"]["tracking_number"] == parcel.tracking_number
    assert body["data"]["parcel"]["status"] == "delivered"
    # one delivery per endpoint that wants the type: both for delivered, the first for the rest
    urls = session.exec(
        select(OutboundDelivery.url).where(OutboundDelivery.event_id == delivered.id)
    ).all()
    assert sorted(urls) == sorted([HOOK, SLACK_RELAY])
    shipped = _events(session, "parcel.shipped")[0]
    urls = session.exec(
        select(OutboundDelivery.url).where(OutboundDelivery.event_id == shipped.id)
    ).all()
    assert urls == [HOOK]


def test_an_exception_and_a_return_to_sender_are_parcel_exceptions(session, brand):
    _order, parcel = _moving_parcel(session)
    _learn(session, parcel, Status.EXCEPTION, NOW)
    _learn(session, parcel, Status.RETURNING_TO_SENDER, NOW + timedelta(days=1))
    assert [e.type for e in _events(session)] == ["parcel.exception", "parcel.exception"]


def test_no_endpoint_no_history_no_return_parcel_no_event(session, ctx):
    with_webhooks(ctx, "sakura-tea", {"url": HOOK, "events": ["parcel.delivered"]})
    _order, parcel = _moving_parcel(session)
    _learn(session, parcel, Status.IN_TRANSIT, NOW)  # not a type the endpoint wants
    history = make_order(session, ship=False)
    history.history = True
    session.add(history)
    old = make_parcel(session, history)
    session.commit()
    _learn(session, old, Status.DELIVERED, NOW)
    assert _events(session) == []
    # another brand without endpoints
    other = make_order(session, "northpeak", ship=False)
    theirs = make_parcel(session, other)
    session.commit()
    _learn(session, theirs, Status.DELIVERED, NOW)
    assert _events(session) == []


def test_a_late_order_is_one_event_from_the_worker_scan(session, brand):
    order, parcel = _moving_parcel(session)
    parcel.status = Status.IN_TRANSIT.value
    parcel.edd_start = parcel.edd_end = (NOW - timedelta(days=2)).date()
    session.add(parcel)
    on_time, theirs = _moving_parcel(session)
    theirs.status = Status.IN_TRANSIT.value
    theirs.edd_end = (NOW + timedelta(days=2)).date()
    session.add(theirs)
    session.commit()
    assert sources.scan_late(session, {"sakura-tea": brand}, now=NOW) == 1
    assert sources.scan_late(session, {"sakura-tea": brand}, now=NOW) == 0
    (late,) = _events(session)
    body = _body(late)
    assert late.type == body["type"] == "order.late"
    assert body["data"]["order_number"] == order.number
    assert body["data"]["parcels"][0]["tracking_number"] == parcel.tracking_number
    assert body["data"]["parcels"][0]["estimated_delivery"]["to"] == parcel.edd_end.isoformat()


def test_every_status_change_of_a_return_is_one_event(session, brand):
    order = make_order(session)
    rr = make_return(session, brand, order)
    transitions.transition(session, brand, rr, "approve", actor="staff:a@b")
    events = _events(session, "return.updated")
    assert [_body(e)["data"]["return"]["status"] for e in events] == ["requested", "approved"]
    approved = _body(events[1])["data"]
    assert approved["return"]["previous_status"] == "requested"
    assert approved["return"]["rma"] == rr.rma
    assert approved["return"]["status_link"].startswith("http")
    assert approved["order_number"] == order.number
    with pytest.raises(transitions.TransitionError):
        transitions.transition(session, brand, rr, "approve", actor="staff:a@b")
    assert len(_events(session, "return.updated")) == 2


def test_a_customer_question_is_one_event_without_its_text(session, brand):
    order = make_order(session)
    asked = inquiry.ask(
        session, brand, order, "荷物はいつ届きますか？ 090-1234-5678", "ja", now=NOW
    )
    (event,) = _events(session)
    body = _body(event)
    assert event.type == "inquiry.created"
    assert body["data"]["inquiry"]["id"] == asked.id
    assert body["data"]["inquiry"]["reply_by"] == asked.reply_by.isoformat()
    assert body["data"]["inquiry"]["staff_link"].endswith("/admin/sakura-tea/inquiries")
    assert "090-1234-5678" not in event.body and order.email not in event.body
    assert len(session.exec(select(OutboundDelivery)).all()) == 2


def test_recording_the_same_event_twice_writes_it_once(session, brand):
    order = session.exec(select(Order)).first() or make_order(session)
    first = sources.inquiry_created(
        session, brand, order, inquiry_id=99, locale="ja", reply_by=None, now=NOW
    )
    again = sources.inquiry_created(
        session, brand, order, inquiry_id=99, locale="ja", reply_by=None, now=NOW
    )
    session.commit()
    assert first is not None and again is None
    assert len(_events(session)) == 1


def test_an_endpoint_may_ask_for_the_customers_email_and_erasure_takes_it_out(session, ctx):
    from tracking.privacy.erase import erase_orders

    brand = with_webhooks(
        ctx,
        "sakura-tea",
        {"url": HOOK, "events": ["inquiry.created"]},
        {"url": "https://klaviyo-relay.example/h", "customer_email": True},
    )
    order = make_order(session, email="hanako@example.jp")
    inquiry.ask(session, brand, order, "いつ届きますか", "ja", now=NOW)
    _order2, parcel = _moving_parcel(session)
    (asked,) = _events(session)
    assert _body(asked)["data"]["customer"] == {"email": "hanako@example.jp", "language": "ja"}
    # without an endpoint asking for it, no email
    plain = with_webhooks(ctx, "sakura-tea", {"url": HOOK})
    assert not any(e.customer_email for e in plain.webhooks)
    _learn(session, parcel, Status.IN_TRANSIT, NOW)
    shipped = _events(session, "parcel.shipped")[0]
    assert "customer" not in _body(shipped)["data"] and "@" not in shipped.body
    erase_orders(session, [order], ctx.config["UPLOAD_DIR"], why="request")
    session.commit()
    session.expire_all()
    asked = session.get(OutboundEvent, asked.id)
    assert "hanako" not in asked.body and _body(asked)["id"] == asked.public_id
    unsent = session.exec(
        select(OutboundDelivery).where(OutboundDelivery.event_id == asked.id)
    ).all()
    assert {d.status for d in unsent} == {"failed"}
