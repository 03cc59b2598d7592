"""The return status page for each way back (着払い, an uploaded label, a shared label, sent by
the customer) in both languages, phone and desktop; and the customer entering the tracking
number of the parcel they sent, with JavaScript (htmx) on. Screenshots for review."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from .conftest import own_host_context, screenshot
from .test_returns_browser import assert_accessible

METHODS = [
    ("ST-1205", "cod"),
    ("NP-2206", "label"),
    ("NP-2207", "shared_label"),
    ("ST-1202", "customer"),
]
TRACKING = "300000000016"  # 11 digits + the mod-7 check digit


def _status_url(live_app, live_url, number: str) -> str:
    from tracking.db import get_engine
    from tracking.orders.models import Order
    from tracking.returns import queries
    from tracking.returns.links import return_token

    with live_app.app_context(), Session(get_engine(live_app), expire_on_commit=False) as s:
        order = s.exec(select(Order).where(Order.number == number)).one()
        rr = queries.for_order(s, order)[0]
        return f"{live_url}/{order.brand}/r/{return_token(order.brand, rr.public_id)}"


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(("number", "method"), METHODS)
def test_each_way_back_reads_right(page, live_app, live_url, viewport_width, number, method, lang):
    page.goto(_status_url(live_app, live_url, number) + f"?lang={lang}")
    body = page.inner_text("main")
    assert page.locator("img.qr").count() == 1  # approved: the printed page goes in the box
    if method == "cod":
        assert ("着払い" in body) and page.locator("dl.slip").count() == 1
        assert "〒150-0001" in page.inner_text("dl.slip")
    elif method in ("label", "shared_label"):
        assert page.locator("a[href$='/label']").count() == 1
    else:
        assert ("元払い" in body) == (lang == "ja")
    if number.startswith("NP"):
        assert "〒" not in body
    # Nothing runs off the side on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport_width
    assert_accessible(page)
    screenshot(page, f"return-shipping-{method}-{lang}-{viewport_width}")


def test_the_customer_enters_the_return_tracking_number(browser, live_app, live_url):
    from tracking.db import get_engine
    from tracking.orders.models import Order
    from tracking.returns import queries

    context, foreign = own_host_context(
        browser, live_url, viewport={"width": 390, "height": 844}, locale="ja-JP"
    )
    page = context.new_page()
    # Runs after the pictures above (file order): ST-1202 goes on its way here.
    url = _status_url(live_app, live_url, "ST-1202") + "?lang=ja"
    page.goto(url)
    page.fill("#rt-number", "300000000017")  # a wrong check digit
    page.select_option("#rt-carrier", "yamato")
    page.click("#return-tracking button[type=submit]")
    page.wait_for_selector("#rt-error")
    assert page.input_value("#rt-number") == "300000000017"  # kept, in place (htmx)
    screenshot(page, "return-tracking-error-ja")
    page.fill("#rt-number", TRACKING)
    page.click("#return-tracking button[type=submit]")
    page.wait_for_url(url.split("?")[0] + "*")
    page.wait_for_selector("text=" + TRACKING)
    assert "お問い合わせ番号の変更" in page.inner_text("main")
    assert page.locator("img.qr").count() == 0  # on its way: nobody scans it any more
    screenshot(page, "return-tracking-sent-ja")
    context.close()
    assert not foreign
    with live_app.app_context(), Session(get_engine(live_app), expire_on_commit=False) as s:
        order = s.exec(select(Order).where(Order.number == "ST-1202")).one()
        rr = queries.for_order(s, order)[0]
        assert (rr.status, rr.return_carrier, rr.return_tracking_number) == (
            "in_transit",
            "yamato",
            TRACKING,
        )
