"""A customer of each demo shop finds the order and sees the page, in both languages."""

from __future__ import annotations

import pytest

from .conftest import screenshot


@pytest.mark.parametrize(
    ("brand", "number", "contact", "lang", "heading"),
    [
        ("sakura-tea", "ST-1001", "hanako@example.com", "ja", "ご注文の配送状況"),
        ("sakura-tea", "ＳＴ－１００２", "taro@example.com", "en", "Order status"),
        ("northpeak", "NP-2001", "97205", "en", "Order status"),
        ("northpeak", "NP-2002", "sam@example.com", "ja", "ご注文の配送状況"),
    ],
)
def test_lookup_to_tracking_page(
    page, live_url, viewport_width, brand, number, contact, lang, heading
):
    page.goto(f"{live_url}/{brand}/?lang={lang}")
    page.get_by_label("ご注文番号" if lang == "ja" else "Order number").fill(number)
    page.locator("#contact").fill(contact)
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"**/{brand}/o/**")
    assert page.locator("h1").inner_text().startswith(heading)
    screenshot(page, f"skeleton-{brand}-{number}-{lang}-{viewport_width}")


def test_wrong_details_keep_the_form(page, live_url):
    page.goto(f"{live_url}/sakura-tea/?lang=en")
    page.locator("#number").fill("ST-1001")
    page.locator("#contact").fill("wrong@example.com")
    page.locator("button[type=submit]").click()
    assert page.get_by_role("alert").is_visible()
    assert page.locator("#number").input_value() == "ST-1001"
    assert page.locator("#contact").input_value() == "wrong@example.com"
