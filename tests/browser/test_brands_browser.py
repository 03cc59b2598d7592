"""Logos of any shape in a real browser: northpeak's wide wordmark is 40 px high at its own
proportions, stands in for the shop name, and leaves room for the language switch on a phone
and a desktop, in ja and en; sakura-tea's square logo keeps its name beside it."""

from __future__ import annotations

import pytest

from .conftest import own_host_context, screenshot


@pytest.fixture(params=[390, 1366], ids=["phone", "desktop"])
def wide_page(request, browser, live_url):
    width = request.param
    context, foreign = own_host_context(
        browser, live_url, viewport={"width": width, "height": 844 if width < 500 else 900}
    )
    page = context.new_page()
    yield page, width
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_wide_wordmark_logo(wide_page, order_url, lang):
    page, width = wide_page
    page.goto(f"{order_url('NP-2001')}?lang={lang}")
    logo = page.locator(".brandbar img.wordmark")
    logo.wait_for()
    assert page.evaluate("() => document.querySelector('.brandbar img').complete")
    natural = page.evaluate(
        "() => { const i = document.querySelector('.brandbar img');"
        " return [i.naturalWidth, i.naturalHeight]; }"
    )
    shown = box(page, ".brandbar img")
    assert round(shown["height"]) == 40, shown
    # Not squeezed: the wordmark keeps its proportions (216×48 → 180×40).
    assert abs(shown["width"] / shown["height"] - natural[0] / natural[1]) < 0.05, (shown, natural)
    # The wordmark spells the name: it is the image's text, not written again beside it.
    name = "Northpeak Outfitters" if lang == "en" else "ノースピーク・アウトフィッターズ"
    assert logo.get_attribute("alt") == name
    assert page.locator(".brandname span").count() == 0
    # The language switch stays beside it, inside the screen.
    langs = box(page, ".langs")
    assert langs["x"] >= shown["x"] + shown["width"] and langs["x"] + langs["width"] <= width
    screenshot(page, f"brand-wordmark-{lang}-{width}")


def test_square_logo_keeps_the_name(wide_page, order_url):
    page, width = wide_page
    page.goto(f"{order_url('ST-1001')}?lang=ja")
    shown = box(page, ".brandbar img")
    assert round(shown["height"]) == 40 and round(shown["width"]) == 40
    assert page.locator(".brandname span").inner_text() == "さくら茶舗"
    screenshot(page, f"brand-square-ja-{width}")
