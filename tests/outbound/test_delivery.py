"""Delivering outbound events to a receiver on 127.0.0.1: signed as Standard Webhooks says
(verified by the spec's own library), retried with backoff after a 500, delivered once, the
same webhook-id on every try; 410, redirects, timeouts, Retry-After, running out of tries,
an endpoint removed from the brand file, and the staff's resend."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from tests.factories import make_order
from tests.support.server import free_port
from tests.support.webhooks import SECRET, Receiver, with_webhooks
from tracking.outbound import delivery, sources
from tracking.outbound.models import OutboundDelivery, OutboundEvent

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def _event(session, brand, n: int = 1) -> OutboundEvent:
    order = make_order(session)
    event = sources.inquiry_created(
        session, brand, order, inquiry_id=n, locale="ja", reply_by=None, now=NOW
    )
    session.commit()
    return event


def _deliveries(session) -> list[OutboundDelivery]:
    session.expire_all()
    return list(session.exec(select(OutboundDelivery).order_by(OutboundDelivery.id)).all())


def test_a_500_is_retried_after_a_backoff_then_delivered_once_with_the_same_id(ctx, session):
    with Receiver(statuses=[500, 200]) as receiver:
        brand = with_webhooks(ctx, "sakura-tea", {"url": receiver.url()})
        event = _event(session, brand)
        assert delivery.deliver_pending(session, now=NOW) == {"retry": 1}
        (row,) = _deliveries(session)
        assert (row.status, row.attempts, row.last_code) == ("pending", 1, 500)
        wait = row.next_attempt_at - NOW
        assert timedelta(seconds=24) <= wait <= timedelta(seconds=36)
        assert delivery.deliver_pending(session, now=NOW + timedelta(seconds=10)) == {}
        later = NOW + timedelta(minutes=1)
        assert delivery.deliver_pending(session, now=later) == {"delivered": 1}
        assert delivery.deliver_pending(session, now=later + timedelta(days=3)) == {}
    (row,) = _deliveries(session)
    assert (row.status, row.attempts, row.last_code, row.last_error) == ("delivered", 2, 200, "")
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event.public_id
    assert first.body == second.body == event.body.encode()
    assert second.headers["content-type"] == "application/json"
    for got in receiver.requests:
        payload = Webhook(SECRET).verify(got.body, got.headers)
        assert payload["id"] == event.public_id and payload["type"] == "inquiry.created"
    assert json.loads(second.body)["data"]["order_number"]


def test_backoff_grows_three_times_a_try_with_jitter_up_to_twelve_hours():
    rng = random.Random(7)
    for attempts, base in ((1, 30), (2, 90), (3, 270), (4, 810), (20, 12 * 3600)):
        for _ in range(20):
            wait = delivery.backoff(attempts, rng).total_seconds()
            assert base * 0.8 <= wait <= base * 1.2, (attempts, wait)
    waits = {delivery.backoff(1, rng) for _ in range(10)}
    assert len(waits) > 1  # jitter: failed together, not retried together


def test_out_of_tries_is_failed(ctx, session):
    ctx.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    with Receiver(statuses=[503]) as receiver:
        brand = with_webhooks(ctx, "sakura-tea", {"url": receiver.url()})
        _event(session, brand)
        assert delivery.deliver_pending(session, now=NOW) == {"retry": 1}
        assert delivery.deliver_pending(session, now=NOW + timedelta(hours=1)) == {"failed": 1}
        assert delivery.deliver_pending(session, now=NOW + timedelta(days=9)) == {}
    (row,) = _deliveries(session)
    assert (row.status, row.attempts, row.last_code) == ("failed", 2, 503)
    assert row.next_attempt_at is None and row.last_error.startswith("HTTP 503")


def test_410_gone_fails_at_once_and_a_redirect_is_not_followed(ctx, session):
    with Receiver(statuses=[410]) as gone, Receiver(statuses=[302]) as moved:
        moved.extra_headers = {"Location": gone.url("/elsewhere")}
        brand = with_webhooks(ctx, "sakura-tea", {"url": gone.url()}, {"url": moved.url()})
        _event(session, brand)
        outcomes = delivery.deliver_pending(session, now=NOW)
    assert outcomes == {"failed": 1, "retry": 1}
    by_url = {d.url: d for d in _deliveries(session)}
    assert by_url[gone.url()].status == "failed" and by_url[gone.url()].last_code == 410
    assert by_url[moved.url()].status == "pending" and by_url[moved.url()].last_code == 302
    assert [r.path for r in gone.requests] == ["/hooks/todoku"]  # never /elsewhere


def test_a_429_waits_as_long_as_retry_after_says(ctx, session):
    with Receiver(statuses=[429], extra_headers={"Retry-After": "3600"}) as receiver:
        brand = with_webhooks(ctx, "sakura-tea", {"url": receiver.url()})
        _event(session, brand)
        delivery.deliver_pending(session, now=NOW)
    (row,) = _deliveries(session)
    assert row.next_attempt_at - NOW >= timedelta(hours=1)


def test_an_endpoint_that_does_not_answer_is_tried_once_a_run(ctx, session):
    url = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
    brand = with_webhooks(ctx, "sakura-tea", {"url": url})
    for n in range(3):
        _event(session, brand, n)
    assert delivery.deliver_pending(session, now=NOW) == {"unreachable": 1, "postponed": 2}
    rows = _deliveries(session)
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert rows[0].last_error.startswith("no answer (")
    assert {r.status for r in rows} == {"pending"}


def test_an_endpoint_removed_from_the_brand_file_fails_its_deliveries(ctx, session):
    brand = with_webhooks(ctx, "sakura-tea", {"url": "https://gone.example/hooks"})
    _event(session, brand)
    with_webhooks(ctx, "sakura-tea")  # the brand file no longer lists it
    assert delivery.deliver_pending(session, now=NOW) == {"failed": 1}
    (row,) = _deliveries(session)
    assert row.last_error == "the endpoint is no longer in the brand file"


def test_resend_queues_the_same_event_again_with_who_asked(ctx, session):
    with Receiver(statuses=[200]) as receiver:
        brand = with_webhooks(ctx, "sakura-tea", {"url": receiver.url()})
        event = _event(session, brand)
        delivery.deliver_pending(session, now=NOW)
        (row,) = _deliveries(session)
        later = NOW + timedelta(hours=2)
        assert delivery.resend(session, "northpeak", row.id, "staff:x@y", now=later) == "missing"
        assert delivery.resend(session, "sakura-tea", 10**6, "staff:x@y", now=later) == "missing"
        assert delivery.resend(session, "sakura-tea", row.id, "staff:a@b", now=later) == "queued"
        (row,) = _deliveries(session)
        assert (row.status, row.attempts, row.resent_by) == ("pending", 0, "staff:a@b")
        assert delivery.deliver_pending(session, now=later) == {"delivered": 1}
    assert [r.headers["webhook-id"] for r in receiver.requests] == [event.public_id] * 2


def test_a_delivery_being_sent_cannot_be_resent(ctx, session):
    brand = with_webhooks(ctx, "sakura-tea", {"url": "https://hooks.example/x"})
    _event(session, brand)
    (claimed,) = delivery.claim(session, NOW)
    assert delivery.resend(session, "sakura-tea", claimed.id, "staff:a@b", now=NOW) == "busy"
    # once its lease has run out (a worker died mid-send), it can
    late = NOW + timedelta(hours=1)
    assert delivery.resend(session, "sakura-tea", claimed.id, "staff:a@b", now=late) == "queued"


def test_a_claim_holds_for_its_lease_then_another_worker_takes_it_over(ctx, session):
    brand = with_webhooks(ctx, "sakura-tea", {"url": "https://hooks.example/x"})
    _event(session, brand)
    (first,) = delivery.claim(session, NOW)
    stale = OutboundDelivery(id=first.id, claim_token=first.claim_token)
    assert delivery.claim(session, NOW + timedelta(minutes=5)) == []
    (again,) = delivery.claim(session, NOW + delivery.lease() + timedelta(seconds=1))
    assert again.id == stale.id and again.claim_token != stale.claim_token
    assert again.attempts == 2
    # the first worker's late answer is not written over the second's claim
    assert delivery._finish(session, stale, status="delivered") is False


def test_the_worker_round_records_late_orders_and_delivers_them(ctx, session):
    from tests.factories import make_parcel
    from tracking.sync.cli import _outbound

    with Receiver(statuses=[200]) as receiver:
        brand = with_webhooks(ctx, "sakura-tea", {"url": receiver.url(), "events": ["order.late"]})
        order = make_order(session, ship=False)
        make_parcel(session, order, status="in_transit", late=True)
        session.commit()
        assert _outbound(session, {"sakura-tea": brand}) == 1
        assert _outbound(session, {"sakura-tea": brand}) == 0
    (got,) = receiver.requests
    assert json.loads(got.body)["type"] == "order.late"
    Webhook(SECRET).verify(got.body, got.headers)
