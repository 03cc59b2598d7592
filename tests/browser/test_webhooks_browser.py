"""The staff page of outbound webhooks in Chromium, in Japanese and English at phone and desktop
widths: the endpoints, deliveries in each state (sent, waiting to retry after a 500, given up
after 410 Gone), "send again" with its confirmation, and axe on the page."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session

from tests.browser.conftest import screenshot
from tests.browser.test_returns_browser import assert_accessible
from tests.support.webhooks import Receiver, with_webhooks

IDS = itertools.count(9000)

CASES = [
    # language, heading, waiting, gave up, confirmation after "send again"
    ("ja", "Webhook", "再送待ち", "送信失敗", "再送信を予約しました"),
    ("en", "Webhooks", "Waiting to retry", "Gave up", "Queued to be sent again"),
]


@pytest.fixture
def deliveries(live_app):
    """Three new events of a demo order: one sent, one waiting after a 500, one given up on
    (410)."""
    from tracking.db import get_engine
    from tracking.outbound import delivery, sources
    from tracking.timeutil import utcnow

    order = live_app.config["DEMO_ORDERS"]["ST-1003"]
    with Receiver(statuses=[200, 500, 410]) as receiver, live_app.app_context():
        brand = with_webhooks(
            live_app,
            "sakura-tea",
            {"url": receiver.url("/webhook/todoku-events")},
            {"url": "https://hooks.slack-relay.example/todoku", "events": ["parcel.delivered"]},
        )
        with Session(get_engine(live_app), expire_on_commit=False) as s:
            for _ in range(3):
                sources.inquiry_created(
                    s, brand, order, inquiry_id=next(IDS), locale="ja", reply_by=None
                )
                s.commit()
                delivery.deliver_pending(s, now=utcnow())
    return receiver


@pytest.mark.parametrize(("lang", "heading", "waiting", "gone", "queued"), CASES, ids=["ja", "en"])
def test_webhooks_page(
    page, live_url, deliveries, viewport_width, lang, heading, waiting, gone, queued
):
    tag = f"{lang}-{'phone' if viewport_width < 500 else 'desktop'}"
    page.goto(f"{live_url}/admin/login?lang={lang}")
    page.locator("#email").fill("staff@sakura-tea.example")
    page.locator("#password").fill("todoku-demo-staff")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/admin/sakura-tea/")
    page.get_by_role("navigation").get_by_role("link", name=heading, exact=True).click()
    page.wait_for_url("**/admin/sakura-tea/webhooks")
    assert page.get_by_role("heading", level=1).inner_text() == heading
    table = page.locator("table").inner_text()
    assert waiting in table and gone in table and "HTTP 500" in table and "HTTP 410" in table
    assert "hooks.slack-relay.example/todoku" in page.locator("main").inner_text()
    screenshot(page, f"webhooks-{tag}")
    assert_accessible(page)
    page.locator("tr", has_text="HTTP 410").first.get_by_role("button").click()
    assert queued in page.locator(".flash").inner_text()
    screenshot(page, f"webhooks-resent-{tag}")
