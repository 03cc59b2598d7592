"""Whole return journeys, customer and staff in one run each: a prepaid label the shop uploads
(the customer then enters the number of the parcel they sent), a return by 着払い, and an
exchange whose replacement parcel the customer follows. Each journey at its own width and
language (320, 390 and 1280 px; ja and en), with screenshots for review."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from carriers.simulated import example_number

from .conftest import own_host_context, screenshot
from .test_returns_browser import _order_url, assert_accessible

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

WORDS = {
    "en": {
        "start": "Start a return or exchange",
        "email": "Email address",
        "password": "Password",
        "login": "Log in",
        "approve": "Approve",
        "receive": "Mark received",
        "inspect": "Mark inspected",
        "paid": "Mark refund of",
        "exchange": "Send exchange",
        "upload": "Upload the label",
    },
    "ja": {
        "start": "返品・交換を申し込む",
        "email": "メールアドレス",
        "password": "パスワード",
        "login": "ログイン",
        "approve": "承認する",
        "receive": "受け取り済みにする",
        "inspect": "検品済みにする",
        "paid": "支払済みにする",
        "exchange": "交換品を発送",
        "upload": "送り状をアップロード",
    },
}


def _context(browser, live_url, width, lang):
    return own_host_context(
        browser,
        live_url,
        viewport={"width": width, "height": 900 if width > 500 else 740},
        locale="ja-JP" if lang == "ja" else "en-US",
    )


def _request(page, live_app, live_url, number, lang, item, reason, resolution, variant=""):
    """The customer asks for one item back and lands on the return's status page."""
    page.goto(_order_url(live_app, live_url, number) + f"?lang={lang}")
    page.get_by_role("link", name=WORDS[lang]["start"]).click()
    page.wait_for_url("**/return")
    line = page.locator("fieldset.ritem", has_text=item)
    line.locator("select[name^=qty]").select_option("1")
    line.locator("select[name^=reason]").select_option(reason)
    line.locator("select[name^=resolution]").select_option(resolution)
    if variant:
        line.locator("select[name^=variant]").select_option(variant)
    page.locator("button[type=submit]").click()
    page.locator("form.summary").wait_for()
    page.locator("button[name=step][value=send]").click()
    page.wait_for_url("**/r/**")
    return page.locator(".rma").inner_text(), page.url.split("?")[0]


def _staff(page, live_url, brand, lang, rma):
    """Sign in as the demo shop's staff and open the return."""
    words = WORDS[lang]
    page.goto(f"{live_url}/admin/login?lang={lang}")
    page.get_by_label(words["email"]).fill(f"staff@{brand}.example")
    page.get_by_label(words["password"]).fill("todoku-demo-staff")
    page.get_by_role("button", name=words["login"]).click()
    page.wait_for_url(f"**/admin/{brand}/")
    page.goto(f"{live_url}/admin/{brand}/returns?q={rma}")
    page.get_by_role("link", name=rma).click()
    return page.url


def _act(page, name, exact=True):
    page.get_by_role("button", name=name, exact=exact).click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.is_visible()


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_prepaid_label_then_the_customers_tracking_number(browser, live_app, live_url):
    width, lang, words = 1280, "en", WORDS["en"]
    context, foreign = _context(browser, live_url, width, lang)
    page = context.new_page()
    # The shop sent the wrong item: its fault, so it sends a prepaid label (brands/northpeak.toml).
    rma, status_url = _request(
        page, live_app, live_url, "NP-2201", lang, "Merino Trail Socks", "wrong_item", "refund"
    )
    detail = _staff(page, live_url, "northpeak", lang, rma)
    _act(page, words["approve"])
    page.set_input_files(
        "#label-file", {"name": "ups.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    _act(page, words["upload"])
    screenshot(page, f"journey-label-staff-{lang}-{width}")

    page.goto(status_url + f"?lang={lang}")
    label = page.locator("a[href$='/label']")
    assert label.count() == 1
    pdf = page.request.get(urljoin(page.url, label.get_attribute("href")))
    assert pdf.ok and pdf.body() == PDF
    number = example_number("ups", "in_transit", 901)
    page.select_option("#rt-carrier", "ups")
    page.fill("#rt-number", number)
    page.click("#return-tracking button[type=submit]")
    page.wait_for_selector(f"text={number}")
    assert page.locator("img.qr").count() == 0  # on its way: nothing to scan any more
    screenshot(page, f"journey-label-sent-{lang}-{width}")
    assert_accessible(page)
    _fits(page, width)

    page.goto(detail)
    assert number in page.locator("main").inner_text()
    _act(page, words["receive"])
    _act(page, words["inspect"])
    _act(page, words["paid"], exact=False)
    page.goto(status_url + f"?lang={lang}")
    assert "$" in page.locator("main").inner_text()  # the refunded amount
    screenshot(page, f"journey-label-refunded-{lang}-{width}")
    context.close()
    assert not foreign


def test_return_by_cash_on_delivery(browser, live_app, live_url):
    width, lang, words = 320, "ja", WORDS["ja"]
    context, foreign = _context(browser, live_url, width, lang)
    page = context.new_page()
    # Sakura Tea sends the wrong item back by 着払い (the shop pays the carrier on arrival).
    rma, status_url = _request(
        page, live_app, live_url, "ST-1001", lang, "煎茶", "wrong_item", "refund"
    )
    detail = _staff(page, live_url, "sakura-tea", lang, rma)
    _act(page, words["approve"])

    page.goto(status_url)
    body = page.locator("main").inner_text()
    assert "着払い" in body and page.locator("dl.slip").count() == 1
    assert "〒150-0001" in page.inner_text("dl.slip")
    assert page.locator("img.qr").count() == 1  # the printed page goes in the box
    screenshot(page, f"journey-cod-approved-{lang}-{width}")
    assert_accessible(page)
    _fits(page, width)

    page.goto(detail)
    _act(page, words["receive"])
    _act(page, words["inspect"])
    _act(page, words["paid"], exact=False)
    assert "返金済み" in page.locator("h1").inner_text()
    screenshot(page, f"journey-cod-staff-{lang}-{width}")
    page.goto(status_url)
    assert "返金済み" in page.locator("main").inner_text()
    screenshot(page, f"journey-cod-refunded-{lang}-{width}")
    _fits(page, width)
    context.close()
    assert not foreign


@pytest.mark.parametrize(
    ("lang", "brand", "number", "item", "reason", "variant"),
    [
        ("en", "northpeak", "NP-2201", "Switchback Hiking Boots", "too_small", "US 10.5"),
        ("ja", "sakura-tea", "ST-1001", "湯呑み", "changed_mind", "白磁"),
    ],
)
def test_exchange_and_the_replacement_parcel(
    browser, live_app, live_url, lang, brand, number, item, reason, variant
):
    width, words = 390, WORDS[lang]
    context, foreign = _context(browser, live_url, width, lang)
    page = context.new_page()
    rma, status_url = _request(
        page, live_app, live_url, number, lang, item, reason, "exchange", variant
    )
    detail = _staff(page, live_url, brand, lang, rma)
    for step in ("approve", "receive", "inspect"):
        _act(page, words[step])
    carrier = "ups" if brand == "northpeak" else "yamato"
    replacement = example_number(carrier, "out_for_delivery", 902 if lang == "en" else 903)
    page.select_option("#replacement_carrier", carrier)
    page.fill("#replacement_number", replacement)
    _act(page, words["exchange"])
    screenshot(page, f"journey-exchange-staff-{lang}-{width}")

    page.goto(status_url + f"?lang={lang}")
    main = page.locator("main").inner_text()
    assert replacement in main
    assert ("Your replacement" if lang == "en" else "交換品") in main
    screenshot(page, f"journey-exchange-replacement-{lang}-{width}")
    assert_accessible(page)
    _fits(page, width)
    page.goto(detail)
    assert replacement in page.locator("main").inner_text()
    context.close()
    assert not foreign
