"""Staff carrier-health page: per-carrier health, the brand's captured failures (never another
brand's), and "check now" for one shipment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sync.test_live import DHL_BODY
from tracking.orders.models import Shipment
from tracking.staff import auth as staff
from tracking.sync import capture, health
from tracking.timeutil import utcnow

PASSWORD = "correct horse battery"


@pytest.fixture
def logged_in(client, session):
    staff.create_staff(session, "sakura-tea", "a@sakura.example", PASSWORD)
    client.post("/admin/login", data={"email": "a@sakura.example", "password": PASSWORD})
    return client


def _shipment(session, order, number):
    s = Shipment(order_id=order.id, carrier="dhl", tracking_number=number, status="info_received")
    session.add(s)
    session.commit()
    return s


def test_health_page_shows_circuit_errors_and_only_own_captures(app, logged_in, session, demo):
    mine = _shipment(session, demo["ST-1003"], "1234567890")
    theirs = _shipment(session, demo["NP-2005"], "9999999999")
    now = utcnow()
    with app.app_context():
        health.success(session, "dhl", now - timedelta(hours=1))
        for _ in range(3):
            health.failure(session, "dhl", now, "Unavailable: HTTP 503", probe=False)
        capture.capture(session, "dhl", mine.tracking_number, b"{}", "dhl: broken A", mine.id)
        capture.capture(session, "dhl", theirs.tracking_number, b"{}", "dhl: broken B", theirs.id)
        session.commit()
    page = logged_in.get("/admin/sakura-tea/carriers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "DHL" in html and "4回中75%" in html and "まで停止中" in html
    assert "Unavailable: HTTP 503" in html
    assert "dhl: broken A" in html and "1234567890" in html
    assert "dhl: broken B" not in html and "9999999999" not in html
    assert logged_in.get("/admin/northpeak/carriers").status_code == 404


def test_check_now_calls_the_carrier_for_one_shipment(
    app, logged_in, session, demo, httpserver, monkeypatch
):
    monkeypatch.setenv("DHL_BASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("DHL_API_KEY", "k")
    httpserver.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    s = _shipment(session, demo["ST-1003"], "1234567890")
    r = logged_in.post("/admin/sakura-tea/carriers/check", data={"number": "1234 5678 90"})
    assert r.status_code == 303
    session.refresh(s)
    assert s.status == "in_transit" and s.last_checked_at is not None
    assert len(httpserver.log) == 1
    follow = logged_in.get(r.headers["Location"]).get_data(as_text=True)
    assert "配送業者に確認しました" in follow


def test_check_now_other_brands_number_is_not_found(logged_in, session, demo, httpserver):
    _shipment(session, demo["NP-2005"], "5555555555")
    r = logged_in.post("/admin/sakura-tea/carriers/check", data={"number": "5555555555"})
    assert r.status_code == 303
    assert len(httpserver.log) == 0
    page = logged_in.get(r.headers["Location"]).get_data(as_text=True)
    assert "このショップのお荷物に、そのお問い合わせ番号はありません。" in page
    assert 'value="5555555555"' in page  # what was typed is kept
