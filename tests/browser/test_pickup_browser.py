"""A parcel waiting at a convenience store on a real page (issue 25, demo ST-1009): where to
collect it and the last day, readable and accessible on a phone and a desktop, ja and en."""

from __future__ import annotations

import pytest

from .conftest import screenshot
from .test_page_browser import assert_accessible


@pytest.fixture(params=[390, 1280, 1366], ids=["phone", "desktop", "wide"])
def viewport_width(request) -> int:
    return request.param


@pytest.mark.parametrize(
    ("lang", "place_label", "deadline"),
    [
        ("ja", "お受け取り場所", "までにお受け取りください"),
        ("en", "Collect it at", "Collect it by"),
    ],
)
def test_the_pickup_notice_says_where_and_until_when(
    page, order_url, viewport_width, lang, place_label, deadline
):
    page.goto(f"{order_url('ST-1009')}?lang={lang}")
    notice = page.locator(".notice.pickup")
    assert notice.is_visible()
    text = notice.inner_text()
    assert place_label in text and "ファミリーマート 渋谷公園通り店" in text and deadline in text
    box = notice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport_width
    line = page.locator(".notice.pickup .deadline")
    assert line.is_visible()
    screenshot(page, f"page-pickup-ST-1009-{lang}-{viewport_width}")
    assert_accessible(page, f"pickup {lang} {viewport_width}")
