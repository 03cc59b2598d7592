"""LINE pushes through the outbox: the same milestones as mail, in the customer's language, with
the tracking page's button; quiet hours; 429 then success with one retry key; a permanent 400;
409 after a crash counts as sent; no duplicate mail unless the brand asks; never for Rakuten
orders; each brand through its own channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.factories import items_of, make_order, make_parcel
from tracking.line.models import LineLink
from tracking.mail import line_outbox, triggers
from tracking.mail.models import Notification
from tracking.timeutil import utcnow

USER = "U" + "c" * 32
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def tokyo(hour: int) -> datetime:
    """Today at ``hour`` in Tokyo, as UTC (the next such time, so it is never old news)."""
    now = datetime.now(UTC).astimezone(TOKYO)
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return (at if at > now else at + timedelta(days=1)).astimezone(UTC)


def linked_order(
    session, brand="sakura-tea", status="in_transit", locale="ja", email=None, user=USER, when=None
):
    order = make_order(session, brand=brand, ship=False, **({"email": email} if email else {}))
    make_parcel(
        session,
        order,
        items=items_of(session, order),
        status=status,
        shipped_at=(when or utcnow()) - timedelta(hours=1),
    )
    session.add(LineLink(brand=brand, order_id=order.id, user_id=user, locale=locale))
    session.commit()
    return order


def change(app, session, order, now):
    brand = app.extensions["todoku_brands"][order.brand]
    triggers.order_changed(session, brand, order, now=now)
    session.commit()


def rows(session, order, channel=None):
    stmt = select(Notification).where(Notification.order_id == order.id).order_by(Notification.id)
    return [n for n in session.exec(stmt).all() if channel in (None, n.channel)]


def test_a_linked_customer_gets_the_milestone_on_line_instead_of_mail(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    [mail] = rows(session, order, "mail")
    [push] = rows(session, order, "line")
    assert (mail.kind, mail.status) == ("shipped", "on_line")
    assert (push.kind, push.status, push.to_address) == ("shipped", "queued", USER)
    assert line_outbox.deliver_pending(session, now=now) == 1
    [req] = line_api.pushes()
    assert req["headers"]["Authorization"] == "Bearer sakura-token"
    assert req["headers"]["X-Line-Retry-Key"] == push.retry_key and len(push.retry_key) == 36
    body = req["json"]
    assert body["to"] == USER
    flex = body["messages"][0]
    assert flex["type"] == "flex" and order.number in flex["altText"]
    assert "発送" in flex["altText"]  # Japanese, the language the customer linked in
    button = flex["contents"]["footer"]["contents"][0]["action"]
    assert button["type"] == "uri" and "/sakura-tea/o/" in button["uri"]
    assert len(button["label"]) <= 20
    session.refresh(push)
    assert push.status == "sent"
    assert line_outbox.deliver_pending(session, now=now) == 0  # once


def test_english_push_for_a_customer_who_linked_in_english(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, locale="en", when=now)
    change(ctx, session, order, now)
    line_outbox.deliver_pending(session, now=now)
    flex = line_api.pushes()[0]["json"]["messages"][0]
    assert "has shipped" in flex["altText"]
    assert flex["contents"]["footer"]["contents"][0]["action"]["label"] == "Track your order"


def test_attempted_carries_the_redelivery_link(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, status="attempt_failed", locale="en", when=now)
    change(ctx, session, order, now)
    line_outbox.deliver_pending(session, now=now)
    flex = line_api.pushes()[0]["json"]["messages"][0]
    labels = [b["action"]["label"] for b in flex["contents"]["footer"]["contents"]]
    assert labels == ["Track your order", "Book a redelivery"]
    assert "kuronekoyamato" in flex["contents"]["footer"]["contents"][1]["action"]["uri"]


@pytest.mark.parametrize("line_extra", [{"sakura-tea": "also_mail = true\n"}])
def test_also_mail(ctx, session, line_api, line_extra):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    assert [n.status for n in rows(session, order, "mail")] == ["queued"]
    assert [n.status for n in rows(session, order, "line")] == ["queued"]


@pytest.mark.parametrize("line_extra", [{"sakura-tea": 'milestones = ["delivered"]\n'}])
def test_a_milestone_the_brand_keeps_off_line_is_mailed(ctx, session, line_api, line_extra):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    assert [n.status for n in rows(session, order, "mail")] == ["queued"]
    assert rows(session, order, "line") == []


def test_the_same_milestone_again_sends_neither_mail_nor_line(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    session.exec(select(LineLink)).one().stopped_at = now  # stopped after the push was queued
    session.commit()
    change(ctx, session, order, now + timedelta(minutes=5))
    assert [n.status for n in rows(session, order, "mail")] == ["on_line"]
    assert len(rows(session, order, "line")) == 1


def test_a_customer_who_stopped_before_the_push_went_gets_none(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    link = session.exec(select(LineLink)).one()
    link.stopped_at = now
    session.add(link)
    session.commit()
    assert line_outbox.deliver_pending(session, now=now) == 0
    assert line_api.pushes() == []
    assert rows(session, order, "line")[0].status == "suppressed"


def test_quiet_hours_hold_the_push_until_morning(ctx, session, line_api):
    night = tokyo(23)
    order = linked_order(session, when=night)
    change(ctx, session, order, night)
    [push] = rows(session, order, "line")
    assert push.send_after.replace(tzinfo=UTC) > night
    assert line_outbox.deliver_pending(session, now=night) == 0
    assert line_api.pushes() == []
    morning = night + timedelta(hours=10)
    assert line_outbox.deliver_pending(session, now=morning) == 1


def test_429_then_success_with_the_same_retry_key(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    line_api.script = [429]
    change(ctx, session, order, now)
    assert line_outbox.deliver_pending(session, now=now) == 0
    [push] = rows(session, order, "line")
    assert push.status == "queued" and "monthly limit" in push.last_error
    assert line_outbox.deliver_pending(session, now=now) == 0  # backing off
    later = now + timedelta(minutes=5)
    assert line_outbox.deliver_pending(session, now=later) == 1
    keys = [r["headers"]["X-Line-Retry-Key"] for r in line_api.pushes()]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_429_gives_back_the_rest_of_the_brands_batch(ctx, session, line_api):
    now = tokyo(10)
    first = linked_order(session, when=now)
    second = linked_order(session, when=now, user="U" + "d" * 32)
    change(ctx, session, first, now)
    change(ctx, session, second, now)
    line_api.script = [429]
    line_outbox.deliver_pending(session, now=now)
    assert len(line_api.pushes()) == 1
    untried = rows(session, second, "line")[0]
    assert untried.status == "queued" and untried.attempts == 0


def test_a_400_is_a_permanent_failure_with_lines_words(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    line_api.script = [400]
    change(ctx, session, order, now)
    line_outbox.deliver_pending(session, now=now)
    [push] = rows(session, order, "line")
    assert push.status == "failed" and "LINE 400" in push.last_error
    assert line_outbox.deliver_pending(session, now=now + timedelta(hours=1)) == 0


def test_a_push_resent_after_a_crash_is_not_delivered_twice(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    line_outbox.deliver_pending(session, now=now)
    [push] = rows(session, order, "line")
    push.status, push.sent_at = "sending", None  # died before "sent" was stored
    push.claimed_until = now - timedelta(seconds=1)
    session.add(push)
    session.commit()
    assert line_outbox.deliver_pending(session, now=now) == 1
    assert len(line_api.pushes()) == 2 and len(line_api.accepted_keys) == 1  # LINE said 409


def test_never_for_a_rakuten_order(ctx, session, line_api):
    now = tokyo(10)
    order = linked_order(session, email="x9@pc.fw.rakuten.ne.jp", when=now)
    change(ctx, session, order, now)
    assert [n.status for n in rows(session, order, "mail")] == ["queued"]
    assert rows(session, order, "line") == []


def test_each_brand_pushes_through_its_own_channel(ctx, session, line_api):
    now = tokyo(10)
    sakura = linked_order(session, when=now)
    north = linked_order(session, brand="northpeak", when=now, locale="en")
    change(ctx, session, sakura, now)
    change(ctx, session, north, now)
    ctx.config["LINE_CHANNELS"] = {"NORTHPEAK": ctx.config["LINE_CHANNELS"]["NORTHPEAK"]}
    assert line_outbox.deliver_pending(session, now=now) == 1
    [req] = line_api.pushes()
    assert req["headers"]["Authorization"] == "Bearer north-token"
    assert rows(session, sakura, "line")[0].status == "queued"  # its channel is gone: waits


def test_mail_delivery_never_claims_line_rows(ctx, session, line_api):
    from tracking.mail import outbox

    now = tokyo(10)
    order = linked_order(session, when=now)
    change(ctx, session, order, now)
    assert outbox.claim(session, ["sakura-tea"], now, 50) == []  # the mail is on_line
    assert json.loads(rows(session, order, "line")[0].body_text)[0]["type"] == "flex"


@pytest.mark.parametrize("line_extra", [{"sakura-tea": 'milestones = ["shipped", "return"]\n'}])
def test_a_return_update_goes_on_line_instead_of_mail(ctx, session, line_api, line_extra):
    from tests.factories import make_return

    brand = ctx.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)  # delivered
    session.add(LineLink(brand="sakura-tea", order_id=order.id, user_id=USER, locale="en"))
    session.commit()
    rr = make_return(session, brand, order)
    session.commit()
    returns = [n for n in rows(session, order) if n.kind.startswith("return_")]
    by_channel = {n.channel: n for n in returns}
    assert by_channel["mail"].status == "on_line"
    push = by_channel["line"]
    assert push.to_address == USER and rr.rma in push.subject
    flex = json.loads(push.body_text)[0]
    assert flex["contents"]["footer"]["contents"][0]["action"]["label"] == "Open your return"
