"""Feedback (once per order) and "ask the shop" (stored, mailed, answer promised)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tracking.brands.brand import load_brands
from tracking.mail.models import Notification
from tracking.page import inquiry
from tracking.page.models import Feedback, Inquiry

HX = {"HX-Request": "true"}


def url(demo, token_for, number: str, action: str = "") -> str:
    order = demo[number]
    return f"/{order.brand}/o/{token_for(order)}" + (f"/{action}" if action else "")


# --- feedback ------------------------------------------------------------------------------------


def test_feedback_is_stored_once_per_order(client, session, demo, token_for):
    r = client.post(
        url(demo, token_for, "ST-1001", "feedback"), data={"rating": "5", "comment": " Fast! "}
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("#feedback")
    again = client.post(url(demo, token_for, "ST-1001", "feedback"), data={"rating": "1"})
    assert again.status_code == 303
    rows = session.exec(select(Feedback)).all()
    assert [(f.rating, f.comment, f.order_id) for f in rows] == [(5, "Fast!", demo["ST-1001"].id)]
    page = client.get(url(demo, token_for, "ST-1001") + "?lang=en").get_data(as_text=True)
    assert "Thank you for your feedback!" in page and 'name="rating"' not in page


def test_feedback_over_htmx_returns_the_region(client, session, demo, token_for):
    r = client.post(url(demo, token_for, "NP-2003", "feedback"), data={"rating": "4"}, headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith(
        '<section class="card feedback" id="feedback"'
    )
    assert "Thank you for your feedback!" in body and "<html" not in body
    assert session.exec(select(Feedback.rating)).all() == [4]


@pytest.mark.parametrize("rating", ["", "0", "6", "five", "3.5"])
def test_bad_rating_keeps_the_comment_and_says_why(client, session, demo, token_for, rating):
    for headers in ({}, HX):
        r = client.post(
            url(demo, token_for, "ST-1001", "feedback") + "?lang=en",
            data={"rating": rating, "comment": "kept <b>text</b>"},
            headers=headers,
        )
        body = r.get_data(as_text=True)
        assert r.status_code == 422
        assert "Please choose a rating from 1 to 5." in body
        assert "kept &lt;b&gt;text&lt;/b&gt;</textarea>" in body
    assert session.exec(select(Feedback)).all() == []


def test_feedback_comment_is_capped(client, session, demo, token_for):
    client.post(
        url(demo, token_for, "ST-1001", "feedback"), data={"rating": "3", "comment": "x" * 5000}
    )
    assert len(session.exec(select(Feedback)).one().comment) == 1000


def test_feedback_for_another_brands_order_is_404(client, demo, token_for):
    token = token_for(demo["NP-2003"])
    assert client.post(f"/sakura-tea/o/{token}/feedback", data={"rating": "5"}).status_code == 404
    assert client.post("/sakura-tea/o/forged/feedback", data={"rating": "5"}).status_code == 404


# --- ask the shop --------------------------------------------------------------------------------


def test_question_is_stored_mailed_and_answer_promised(client, session, demo, token_for):
    r = client.post(
        url(demo, token_for, "ST-1002", "ask") + "?lang=ja",
        data={"message": "  贈答用の包装はできますか？  "},
    )
    assert r.status_code == 303 and "asked=" in r.headers["Location"]
    asked = session.exec(select(Inquiry)).one()
    assert (asked.order_id, asked.message, asked.locale) == (
        demo["ST-1002"].id,
        "贈答用の包装はできますか？",
        "ja",
    )
    mail = session.exec(select(Notification).where(Notification.kind == "inquiry")).one()
    assert mail.kind == "inquiry" and mail.to_address == "support@sakura-tea.example"
    assert mail.dedupe_key == f"inquiry:{asked.id}" and mail.order_id == demo["ST-1002"].id
    assert "ST-1002" in mail.subject and "taro@example.com" in mail.body_text
    assert "贈答用の包装はできますか？" in mail.body_text
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "ご質問を承りました" in page


def test_question_over_htmx_shows_when_to_expect_an_answer(client, session, demo, token_for):
    r = client.post(
        url(demo, token_for, "NP-2001", "ask") + "?lang=en",
        data={"message": "Can the boots ship first?"},
        headers=HX,
    )
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith('<div id="ask"')
    assert "will answer by email by" in body
    assert session.exec(
        select(Notification.to_address).where(Notification.kind == "inquiry")
    ).all() == ["help@northpeak.example"]


@pytest.mark.parametrize(
    ("message", "error"),
    [("   ", "Please write your question."), ("x" * 2001, "under 2,000 characters")],
)
def test_bad_question_keeps_the_text(client, session, demo, token_for, message, error):
    for headers in ({}, HX):
        r = client.post(
            url(demo, token_for, "ST-1002", "ask") + "?lang=en",
            data={"message": message},
            headers=headers,
        )
        body = r.get_data(as_text=True)
        assert r.status_code == 422 and error in body and 'aria-invalid="true"' in body
        if message.strip():
            assert message in body
    assert session.exec(select(Inquiry)).all() == []
    assert session.exec(select(Notification).where(Notification.kind == "inquiry")).all() == []


def test_reply_by_counts_business_days():
    brands = load_brands("brands")
    tea, gear = brands["sakura-tea"], brands["northpeak"]  # 1 and 2 business days
    friday_noon_tokyo = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert inquiry.reply_by(tea, friday_noon_tokyo) == date(2026, 11, 24)  # Mon 23 is 勤労感謝の日
    monday_la = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # Mon 10:00 in Los Angeles
    assert inquiry.reply_by(gear, monday_la) == date(2026, 11, 25)
    sunday = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    assert inquiry.reply_by(gear, sunday) == date(2026, 12, 1)


def test_forms_need_csrf_when_enabled(app, client, demo, token_for):
    app.config["WTF_CSRF_ENABLED"] = True
    assert (
        client.post(url(demo, token_for, "ST-1001", "feedback"), data={"rating": "5"}).status_code
        == 400
    )
    assert (
        client.post(url(demo, token_for, "ST-1001", "ask"), data={"message": "hi"}).status_code
        == 400
    )
    page = client.get(url(demo, token_for, "ST-1001")).get_data(as_text=True)
    assert page.count('name="csrf_token"') == 2


def test_staff_can_list_a_brands_feedback(client, session, demo, token_for):
    from tracking.page import feedback

    client.post(url(demo, token_for, "ST-1001", "feedback"), data={"rating": "5"})
    client.post(
        url(demo, token_for, "NP-2003", "feedback"), data={"rating": "2", "comment": "late"}
    )
    listed = feedback.for_brand(session, "northpeak")
    assert [(f.rating, f.comment, number) for f, number in listed] == [(2, "late", "NP-2003")]
