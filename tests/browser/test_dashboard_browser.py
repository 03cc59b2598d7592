"""The merchant's dashboard in Chromium, for staff of each demo shop in its language: find an
order by tracking number, reply to a question (the customer sees it on the page and in the mail
preview), open the watchlist and the figures. Screenshots at phone and desktop widths; axe."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.browser.conftest import screenshot
from tests.browser.test_returns_browser import assert_accessible

SHOPS = [("sakura-tea", "ST-1004"), ("northpeak", "NP-2002")]  # brand, order with a parcel
WORDS = {
    "ja": {
        "login": "ログイン",
        "reply": "回答を送信",
        "sent": "回答を送信しました",
        "answer": "ショップからの回答",
        "watch": "要対応",
        "figures": "集計",
        "history": "配送履歴",
        "check": "今すぐ確認",
        "checked": "配送業者に確認しました",
        "resend": "発送メールを再送",
        "resent": "発送メールを再送キューに入れました",
        "add": "荷物を追加する",
        "added": "荷物を追加しました",
    },
    "en": {
        "login": "Log in",
        "reply": "Send reply",
        "sent": "Reply sent",
        "answer": "The shop's answer",
        "watch": "Needs attention",
        "figures": "Figures",
        "history": "Carrier history",
        "check": "Check now",
        "checked": "Checked with the carrier just now",
        "resend": "Resend the shipping mail",
        "resent": "The shipping mail is queued again",
        "add": "Add the parcel",
        "added": "Parcel added",
    },
}
CASES = [(brand, number, lang) for brand, number in SHOPS for lang in ("ja", "en")]


@pytest.fixture(params=[390, 1366], ids=["phone", "desktop"])
def viewport_width(request) -> int:
    """Phone (390×844) and a desk screen (1366×900): admin pages use the screen's width."""
    return request.param


def ask(live_app, number: str, message: str) -> None:
    from tracking.db import get_engine
    from tracking.page.models import Inquiry
    from tracking.timeutil import utcnow

    order = live_app.config["DEMO_ORDERS"][number]
    with live_app.app_context(), Session(get_engine(live_app)) as s:
        s.add(
            Inquiry(
                brand=order.brand,
                order_id=order.id,
                message=message,
                locale=order.locale,
                reply_by=utcnow().date(),
            )
        )
        s.commit()


def new_parcel_number(brand: str, width: int, lang: str) -> tuple[str, str]:
    """A valid number no other run of this module uses: (carrier, number)."""
    from carriers.numbers import mod7_complete, ups_check_digit

    seed = f"{width:04d}{'1' if lang == 'ja' else '2'}"
    if brand == "sakura-tea":
        return "yamato", mod7_complete(f"428{seed}000")
    body = f"A9{seed}00000000"  # 15 characters after "1Z"
    return "ups", f"1Z{body}{ups_check_digit(body)}"


def tracking_number(live_app, number: str) -> str:
    from tracking.db import get_engine
    from tracking.orders.models import Shipment

    order = live_app.config["DEMO_ORDERS"][number]
    with live_app.app_context(), Session(get_engine(live_app)) as s:
        return s.exec(select(Shipment.tracking_number).where(Shipment.order_id == order.id)).first()


@pytest.mark.parametrize(("brand", "number", "lang"), CASES, ids=[f"{b}-{g}" for b, _n, g in CASES])
def test_staff_find_check_act_reply_and_read_the_figures(
    page, live_app, live_url, order_url, viewport_width, brand, number, lang
):
    words = WORDS[lang]
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
    # The tracking link: a read-only field, and a copy button once the clipboard API exists.
    assert "/o/" in page.locator("#track-link").input_value()
    screenshot(page, f"dashboard-order-{tag}")
    assert_accessible(page)

    # Resend the shipping mail: queued, and listed with the order's mails.
    page.get_by_role("button", name=words["resend"]).click()
    page.wait_for_url(f"**/orders/{number}#h-mails")
    assert words["resent"] in page.get_by_role("status").first.inner_text()
    assert page.locator("#h-mails + table tbody tr").count() >= 1

    # Add a parcel: a wrong check digit is refused and the typed number stays.
    carrier, good = new_parcel_number(brand, viewport_width, lang)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    page.locator("#add-carrier").select_option(carrier)
    page.locator("#add-number").fill(wrong)
    page.get_by_role("button", name=words["add"]).click()
    page.wait_for_load_state()
    assert page.locator("#add-number").input_value() == wrong
    assert page.locator("#add-error").is_visible()
    screenshot(page, f"dashboard-order-error-{tag}")
    assert_accessible(page)
    page.locator("#add-number").fill(good)
    page.get_by_role("button", name=words["add"]).click()
    page.wait_for_url(f"**/orders/{number}#parcels")
    assert words["added"] in page.get_by_role("status").first.inner_text()
    assert good in page.locator("#parcels").inner_text()

    # Force a carrier check of the order's first parcel.
    page.get_by_role("button", name=words["check"]).first.click()
    page.wait_for_load_state()
    assert words["checked"] in page.locator("main").inner_text()

    # Reply to the first open question (one more asked per run: eight runs share the demo).
    ask(live_app, number, f"{tag}: when does it arrive?")
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
    assert page.locator("#h-lanes").count() == 1 and page.locator("#h-by-status").count() == 1
    screenshot(page, f"dashboard-figures-{tag}")
    assert_accessible(page)
