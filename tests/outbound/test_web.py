"""The staff page of outbound webhooks: the brand's endpoints and recent deliveries in Japanese
and English, "send again" (POST with CSRF, who asked recorded), another shop's delivery a 404,
and a link from the staff menu."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.factories import STAFF_PASSWORD, make_order, make_staff
from tests.support.webhooks import with_webhooks
from tracking.outbound import delivery, sources
from tracking.outbound.models import OutboundDelivery

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
HOOK = "https://hooks.example/todoku?token=abc"


def login(client, session, brand="sakura-tea", role="staff"):
    staff = make_staff(session, brand, role=role)
    session.commit()
    r = client.post("/admin/login", data={"email": staff.email, "password": STAFF_PASSWORD})
    assert r.status_code == 303
    return staff


@pytest.fixture
def failed(app, session):
    """One sakura-tea delivery that failed with a 500 (to be tried again)."""
    with app.app_context():
        brand = with_webhooks(app, "sakura-tea", {"url": HOOK})
        sources.inquiry_created(
            session, brand, make_order(session), inquiry_id=1, locale="ja", reply_by=None, now=NOW
        )
        session.commit()
        (claimed,) = delivery.claim(session, NOW)
        delivery._retry_or_fail(
            session, claimed, NOW, "HTTP 500 Internal Server Error", 500, None, None
        )
    return claimed.id


def test_the_page_lists_endpoints_and_deliveries_in_japanese_and_english(client, session, failed):
    login(client, session)
    ja = client.get("/admin/sakura-tea/webhooks?lang=ja").get_data(as_text=True)
    assert "hooks.example/todoku" in ja and "token=abc" not in ja.split("<table")[1]
    assert "inquiry.created" in ja and "HTTP 500" in ja
    assert "再送待ち" in ja and "再送信" in ja and "エンドポイント" in ja
    en = client.get("/admin/sakura-tea/webhooks?lang=en").get_data(as_text=True)
    assert (
        "Waiting to retry" in en
        and "Send again" in en
        and "Gave up" in en
        and "Recent deliveries" in en
    )
    home = client.get("/admin/sakura-tea/webhooks").get_data(as_text=True)
    assert 'href="/admin/sakura-tea/webhooks" aria-current="page"' in home


def test_todokus_own_reasons_are_shown_in_the_staff_language(app, client, session, failed):
    login(client, session)
    with app.app_context():
        with_webhooks(app, "sakura-tea", {"url": "https://other.example/h"})
        later = datetime(2026, 12, 6, tzinfo=UTC)
        assert delivery.deliver_pending(session, now=later) == {"failed": 1}
    ja = client.get("/admin/sakura-tea/webhooks?lang=ja").get_data(as_text=True)
    assert "このエンドポイントはブランドファイルから削除されています。" in ja
    en = client.get("/admin/sakura-tea/webhooks?lang=en").get_data(as_text=True)
    assert "This endpoint is no longer in the brand file." in en


def test_the_status_filter_shows_only_that_status(client, session, failed):
    login(client, session)
    page = client.get("/admin/sakura-tea/webhooks?status=delivered&lang=en").get_data(as_text=True)
    assert "No deliveries yet." in page
    page = client.get("/admin/sakura-tea/webhooks?status=nonsense&lang=en")
    assert page.status_code == 200 and "inquiry.created" in page.get_data(as_text=True)


def test_send_again_records_who_and_queues_it_now(client, session, failed):
    staff = login(client, session)
    r = client.post(f"/admin/sakura-tea/webhooks/{failed}/resend")
    assert r.status_code == 303 and r.headers["Location"].endswith("/admin/sakura-tea/webhooks")
    session.expire_all()
    row = session.get(OutboundDelivery, failed)
    assert (row.status, row.attempts, row.resent_by) == ("pending", 0, f"staff:{staff.email}")
    page = client.get("/admin/sakura-tea/webhooks?lang=en").get_data(as_text=True)
    assert f"sent again by {staff.email}" in page
    assert client.get(f"/admin/sakura-tea/webhooks/{failed}/resend").status_code == 405


def test_another_shops_delivery_is_a_404_and_its_page_too(client, session, failed):
    login(client, session, "northpeak")
    assert client.post(f"/admin/northpeak/webhooks/{failed}/resend").status_code == 404
    assert client.get("/admin/sakura-tea/webhooks").status_code == 404
    page = client.get("/admin/northpeak/webhooks?lang=en").get_data(as_text=True)
    assert "inquiry.created" not in page and "No endpoint is configured" in page
    session.expire_all()
    assert session.exec(select(OutboundDelivery.resent_by)).all() == [""]


def test_send_again_needs_the_csrf_token(app, client, session, failed):
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/admin/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" value="')[1].split('"')[0]
    staff = make_staff(session, "sakura-tea")
    session.commit()
    r = client.post(
        "/admin/login",
        data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 303
    assert client.post(f"/admin/sakura-tea/webhooks/{failed}/resend").status_code == 400
    session.expire_all()
    assert session.get(OutboundDelivery, failed).resent_by == ""
    page = client.get("/admin/sakura-tea/webhooks").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(f"/admin/sakura-tea/webhooks/{failed}/resend", data={"csrf_token": token})
    assert r.status_code == 303
