"""The merchant's dashboard in Chromium, for staff of each demo shop in its language: find an
order by tracking number, reply to a question (the customer sees it on the page and in the mail
preview), open the watchlist and the figures. Screenshots at phone and desktop widths; axe."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.browser.conftest import screenshot
from tests.browser.test_returns_browser import assert_accessible

SHOPS = [
    # brand, language, staff email, order with a parcel, words to expect
    (
        "sakura-tea",
        "ja",
        "ST-1004",
        {
            "login": "ログイン",
            "reply": "回答を送信",
            "sent": "回答を送信しました",
            "answer": "ショップからの回答",
            "watch": "要対応",
            "figures": "集計",
            "history": "配送履歴",
        },
    ),
    (
        "northpeak",
        "en",
        "NP-2002",
        {
            "login": "Log in",
            "reply": "Send reply",
            "sent": "Reply sent",
            "answer": "The shop's answer",
            "watch": "Needs attention",
            "figures": "Figures",
            "history": "Carrier history",
        },
    ),
]


def tracking_number(live_app, number: str) -> str:
    from tracking.db import get_engine
    from tracking.orders.models import Shipment

    order = live_app.config["DEMO_ORDERS"][number]
    with live_app.app_context(), Session(get_engine(live_app)) as s:
        return s.exec(select(Shipment.tracking_number).where(Shipment.order_id == order.id)).first()


@pytest.mark.parametrize(
    ("brand", "lang", "number", "words"), SHOPS, ids=["sakura-tea", "northpeak"]
)
def test_staff_find_reply_and_read_the_figures(
    page, live_app, live_url, order_url, viewport_width, brand, lang, number, words
):
    tag = f"{brand}-{lang}-{viewport_width}"
    page.goto(f"{live_url}/admin/login?lang={lang}")
    page.locator("#email").fill(f"staff@{brand}.example")
    page.locator("#password").fill("todoku-demo-staff")
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_url(f"**/admin/{brand}/")
    screenshot(page, f"dashboard-home-{tag}")
    assert_accessible(page)

    # Find the order by its tracking number, typed with dashes.
    n = tracking_number(live_app, number)
    page.locator("#home-q").fill(f"{n[:4]}-{n[4:8]}-{n[8:]}")
    page.locator("#home-q").press("Enter")
    page.wait_for_url("**/orders?q=**")
    screenshot(page, f"dashboard-orders-{tag}")
    assert_accessible(page)
    page.get_by_role("link", name=number).click()
    page.wait_for_url(f"**/orders/{number}")
    assert words["history"] in page.locator("main").inner_text()
    # "Check now" is issue 12's: its place is marked on every parcel.
    assert page.locator('[data-slot="check-now"]').count() >= 1
    screenshot(page, f"dashboard-order-{tag}")
    assert_accessible(page)

    # Reply to the first open question.
    page.goto(f"{live_url}/admin/{brand}/inquiries")
    row = page.locator("#inquiries tbody tr").first
    asked_about = row.locator("td").nth(1).locator("a").inner_text()
    answer = (
        f"Reply {viewport_width}: it arrives tomorrow."
        if lang == "en"
        else f"回答{viewport_width}：明日お届けします。"
    )
    row.locator("textarea").fill(answer)
    screenshot(page, f"dashboard-inquiries-{tag}")
    assert_accessible(page)
    row.get_by_role("button", name=words["reply"]).click()
    page.wait_for_load_state()
    assert words["sent"] in page.get_by_role("status").first.inner_text()
    page.goto(f"{live_url}/admin/{brand}/mail")
    assert answer in page.locator("main").inner_text()
    customer = page.context.new_page()
    customer.goto(order_url(asked_about))
    assert answer in customer.locator("#shop-reply").inner_text()
    assert words["answer"] in customer.locator("#shop-reply").inner_text()
    screenshot(customer, f"dashboard-customer-reply-{tag}")
    customer.close()

    page.get_by_role("link", name=words["watch"]).first.click()
    page.wait_for_url("**/watchlist")
    assert page.locator("#watchlist tbody tr").count() >= 1
    screenshot(page, f"dashboard-watchlist-{tag}")
    assert_accessible(page)
    page.get_by_role("link", name=words["figures"]).first.click()
    page.wait_for_url("**/figures")
    assert page.locator("svg.chart rect.bar").count() >= 30
    screenshot(page, f"dashboard-figures-{tag}")
    assert_accessible(page)
