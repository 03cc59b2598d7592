"""Carrier trouble in Chromium: the staff carrier-health page (a failing carrier with its circuit
open, a captured failure) and the customer's page saying plainly that the carrier could not be
reached, in each demo shop's language, at phone and desktop widths; axe on both. Screenshots are
also copied to TODOKU_SHOTS_DIR when set (a reviewer's folder)."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.browser.conftest import screenshot
from tests.browser.test_returns_browser import assert_accessible

CASES = [
    # language, staff page heading, circuit text, outage words on the customer page
    ("ja", "配送業者の接続状況", "ヤマト運輸", "以降取得できていません"),
    ("en", "Carrier health", "Yamato Transport", "We could not reach Yamato Transport since"),
]


@pytest.fixture(scope="module")
def yamato_failing(live_app):
    """ST-1003's carrier has been failing for hours; its data is older than its cadence."""
    from tracking.db import get_engine
    from tracking.orders.models import Shipment
    from tracking.sync import capture, health
    from tracking.timeutil import utcnow

    order = live_app.config["DEMO_ORDERS"]["ST-1003"]
    now = utcnow()
    with live_app.app_context(), Session(get_engine(live_app)) as s:
        shipment = s.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
        shipment.status, shipment.failures = "in_transit", 3
        shipment.last_checked_at = now - timedelta(hours=5)
        s.add(shipment)
        health.success(s, "yamato", now - timedelta(hours=6))
        s.commit()
        for _ in range(3):
            health.failure(s, "yamato", now, "Unavailable: HTTP 503", False)
            s.commit()
        capture.capture(
            s,
            "yamato",
            shipment.tracking_number,
            b"<html>maintenance</html>",
            "no table",
            shipment.id,
        )
        s.commit()
    return order


def _shot(page, name: str) -> None:
    path = screenshot(page, name)
    target = os.environ.get("TODOKU_SHOTS_DIR")
    if path and target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


@pytest.mark.parametrize(("lang", "heading", "carrier", "outage"), CASES, ids=["ja", "en"])
def test_carrier_trouble_for_staff_and_customer(
    page, live_url, order_url, yamato_failing, viewport_width, lang, heading, carrier, outage
):
    if viewport_width > 500:
        page.set_viewport_size({"width": 1366, "height": 900})
    tag = f"{lang}-{'phone' if viewport_width < 500 else 'desktop'}"

    page.goto(f"{live_url}/admin/login?lang={lang}")
    page.locator("#email").fill("staff@sakura-tea.example")
    page.locator("#password").fill("todoku-demo-staff")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/admin/sakura-tea/")
    page.goto(f"{live_url}/admin/sakura-tea/carriers?lang={lang}")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    table = page.locator("table").first.inner_text()
    assert carrier in table and "503" in table
    assert "no table" in page.locator("table").nth(1).inner_text()  # the captured failure
    assert "maintenance" not in page.content()  # the captured body is not shown raw
    _shot(page, f"carriers-health-{tag}")
    assert_accessible(page)

    customer = page.context.new_page()
    customer.goto(f"{order_url('ST-1003')}?lang={lang}")
    assert outage in customer.locator("main").inner_text()
    _shot(customer, f"carriers-outage-page-{tag}")
    assert_accessible(customer)
