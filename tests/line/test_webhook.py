"""``POST /hooks/line/<brand>``: the signature before anything, the console's verification
request, follow / unfollow / message / postback, dedupe on webhookEventId, the opt-in code
matched to the order (expired, reused, another brand's) and replies in the customer's language,
sent after the answer."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_order
from tests.line.conftest import NORTH_SECRET, event, signed, text_event
from tracking.line import codes
from tracking.line.models import LineCode, LineEvent, LineLink
from tracking.timeutil import utcnow

URL = "/hooks/line/sakura-tea"
USER = "U" + "a" * 32


def post(client, body, secret=None, url=URL):
    raw, headers = signed(body, **({"secret": secret} if secret else {}))
    resp = client.post(url, data=raw, headers=headers)
    resp.close()  # runs call_on_close: the replies go out
    return resp


def issue(session, order, locale="ja", minutes=60, now=None):
    return codes.issue(session, order.brand, order.id, locale, minutes, now=now).code


def test_the_consoles_verification_request_is_answered_200(client):
    assert post(client, {"destination": "Uxxx", "events": []}).status_code == 200


@pytest.mark.parametrize("header", [None, "", "bm90IHRoZSBzaWduYXR1cmU="])
def test_a_missing_or_wrong_signature_is_refused_with_401_and_logged(client, caplog, header):
    raw = b'{"destination":"U1","events":[]}'
    headers = {} if header is None else {"X-Line-Signature": header}
    with caplog.at_level(logging.WARNING, logger="tracking.line.events"):
        resp = client.post(URL, data=raw, headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_signature"
    assert "line webhook for sakura-tea refused" in caplog.text


def test_the_signature_is_checked_before_the_body_is_parsed(client):
    # Not JSON, wrongly signed: 401 (not 400) says the body was never read.
    resp = client.post(URL, data=b"{not json", headers={"X-Line-Signature": "AAAA"})
    assert resp.status_code == 401
    raw, headers = signed(b"{not json")
    assert client.post(URL, data=raw, headers=headers).status_code == 400


def test_another_brands_secret_does_not_sign_for_this_brand(client):
    assert post(client, {"events": []}, secret=NORTH_SECRET).status_code == 401
    assert (
        post(client, {"events": []}, secret=NORTH_SECRET, url="/hooks/line/northpeak").status_code
        == 200
    )


@pytest.mark.parametrize("body", [b"[]", b'{"events": {}}', b'"x"', b"\xff\xfe"])
def test_bad_json_is_400_never_500(client, body):
    raw, headers = signed(body)
    assert client.post(URL, data=raw, headers=headers).status_code == 400


def test_a_brand_without_a_line_channel_is_404(client):
    assert client.post("/hooks/line/nosuch", data=b"{}").status_code == 404


def test_a_code_links_the_order_and_the_customer_is_told_in_their_language(
    client, session, line_api
):
    order = make_order(session, ship=False)
    code = issue(session, order, locale="en")
    resp = post(client, {"events": [text_event(f"LINE notifications, code: {code}", user=USER)]})
    assert resp.status_code == 200
    link = session.exec(select(LineLink).where(LineLink.order_id == order.id)).one()
    assert (link.user_id, link.locale, link.stopped_at) == (USER, "en", None)
    [reply] = line_api.replies()
    assert reply["headers"]["Authorization"] == "Bearer sakura-token"
    text = reply["json"]["messages"][0]["text"]
    assert order.number in text and "here on LINE" in text
    assert reply["json"]["messages"][0]["quickReply"]["items"][0]["action"]["data"] == "todoku=stop"


def test_the_reply_is_japanese_for_a_code_issued_on_the_japanese_page(client, session, line_api):
    order = make_order(session, ship=False)
    code = issue(session, order, locale="ja")
    post(client, {"events": [text_event(f"LINE通知コード：{code}")]})
    text = line_api.replies()[0]["json"]["messages"][0]["text"]
    assert order.number in text and "LINE" in text and "here on LINE" not in text


def test_a_full_width_code_matches(client, session):
    order = make_order(session, ship=False)
    code = issue(session, order)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code)
    post(client, {"events": [text_event(f"コード {wide}")]})
    assert session.exec(select(LineLink).where(LineLink.order_id == order.id)).first()


def test_a_code_is_used_once(client, session, line_api):
    order = make_order(session, ship=False)
    code = issue(session, order)
    post(client, {"events": [text_event(code, user=USER)]})
    post(client, {"events": [text_event(code, user="U" + "b" * 32)]})
    links = session.exec(select(LineLink).where(LineLink.order_id == order.id)).all()
    assert [link.user_id for link in links] == [USER]
    assert "expired or was used" in str(line_api.replies()[-1]["json"]) or "期限" in str(
        line_api.replies()[-1]["json"]
    )


def test_an_expired_code_links_nothing(client, session, line_api):
    order = make_order(session, ship=False)
    code = issue(session, order, now=utcnow() - timedelta(hours=2), minutes=60)
    post(client, {"events": [text_event(code)]})
    assert session.exec(select(LineLink)).first() is None
    assert len(line_api.replies()) == 1  # told to tap the button again


def test_another_brands_code_links_nothing_and_says_nothing(client, session, line_api):
    order = make_order(session, brand="northpeak", ship=False)
    code = issue(session, order)
    post(client, {"events": [text_event(code)]})  # sent to sakura-tea's channel
    assert session.exec(select(LineLink)).first() is None
    assert line_api.replies() == []
    assert session.exec(select(LineCode).where(LineCode.code == code)).one().used_at is None


def test_an_ordinary_message_is_left_to_the_shops_staff(client, session, line_api):
    make_order(session, ship=False)
    post(client, {"events": [text_event("THANKS for the tea!")]})
    assert line_api.replies() == []


def _linked(client, session, user=USER):
    order = make_order(session, ship=False)
    post(client, {"events": [text_event(issue(session, order), user=user)]})
    return order


@pytest.mark.parametrize("word", ["stop", "STOP", "停止", "停止。", "ストップ"])
def test_the_stop_keyword_stops_the_messages(client, session, line_api, word):
    order = _linked(client, session)
    post(client, {"events": [text_event(word)]})
    link = session.exec(select(LineLink).where(LineLink.order_id == order.id)).one()
    assert link.stopped_at is not None and link.stop_reason == "keyword"
    assert "off" in str(line_api.replies()[-1]["json"]) or "停止" in str(
        line_api.replies()[-1]["json"]
    )


def test_the_stop_button_postback_stops_the_messages(client, session):
    order = _linked(client, session)
    post(client, {"events": [event("postback", postback={"data": "todoku=stop"})]})
    link = session.exec(select(LineLink).where(LineLink.order_id == order.id)).one()
    assert link.stop_reason == "postback"


def test_unfollow_stops_every_link_of_the_user_with_this_brand_only(client, session, line_api):
    first, second = _linked(client, session), _linked(client, session)
    north = make_order(session, brand="northpeak", ship=False)
    post(
        client,
        {"events": [text_event(issue(session, north))]},
        secret=NORTH_SECRET,
        url="/hooks/line/northpeak",
    )
    replies = len(line_api.replies())
    post(client, {"events": [event("unfollow")]})
    links = {k.order_id: k for k in session.exec(select(LineLink)).all()}
    assert links[first.id].stop_reason == links[second.id].stop_reason == "unfollow"
    assert links[north.id].stopped_at is None  # another shop's channel: untouched
    assert len(line_api.replies()) == replies  # unfollow has no reply token


def test_follow_does_not_relink_a_stopped_customer(client, session):
    order = _linked(client, session)
    post(client, {"events": [event("unfollow")]})
    post(client, {"events": [event("follow")]})
    link = session.exec(select(LineLink).where(LineLink.order_id == order.id)).one()
    assert link.stopped_at is not None


def test_a_redelivered_event_is_handled_once(client, session, line_api):
    order = make_order(session, ship=False)
    code = issue(session, order)
    ev = text_event(code)
    post(client, {"events": [ev]})
    redelivered = {**ev, "deliveryContext": {"isRedelivery": True}}
    assert post(client, {"events": [redelivered]}).status_code == 200
    assert len(line_api.replies()) == 1
    assert len(session.exec(select(LineEvent)).all()) == 1


def test_standby_events_are_left_alone(client, session):
    order = make_order(session, ship=False)
    ev = text_event(issue(session, order))
    ev["mode"] = "standby"
    post(client, {"events": [ev]})
    assert session.exec(select(LineLink)).first() is None


def test_a_failing_reply_does_not_fail_the_webhook(client, session, line_api):
    line_api.script = [500]
    order = make_order(session, ship=False)
    assert post(client, {"events": [text_event(issue(session, order))]}).status_code == 200
    assert session.exec(select(LineLink).where(LineLink.order_id == order.id)).one()


def test_odd_events_are_ignored(client, session):
    body = {
        "events": [
            "x",
            {"type": "message"},
            {"type": "message", "source": {"userId": 5}},
            event("message", message={"type": "sticker"}),
            event("message", message={"type": "text", "text": None}),
            event("postback", postback="x"),
            event("accountLink"),
        ]
    }
    assert post(client, body).status_code == 200
