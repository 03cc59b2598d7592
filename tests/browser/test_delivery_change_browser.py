"""The change-delivery offer on a real page (issue 25): the in-transit Yamato parcel of ST-1003
and the out-for-delivery Japan Post parcel of ST-1002, phone and desktop, ja and en."""

from __future__ import annotations

import pytest

from .conftest import screenshot
from .test_page_browser import assert_accessible


@pytest.fixture(params=[390, 1366], ids=["phone", "desktop"])
def viewport_width(request) -> int:
    return request.param


@pytest.mark.parametrize(
    ("number", "lang", "label", "host"),
    [
        ("ST-1003", "ja", "受け取り日時・場所を変更", "member.kms.kuronekoyamato.co.jp"),
        ("ST-1003", "en", "Change delivery day, time or place", "member.kms.kuronekoyamato.co.jp"),
        ("ST-1002", "ja", "受け取り日時・場所を変更", "trackings.post.japanpost.jp"),
    ],
)
def test_change_offer_opens_the_carriers_page(
    page, order_url, viewport_width, number, lang, label, host
):
    page.goto(f"{order_url(number)}?lang={lang}")
    link = page.get_by_role("link", name=label)
    assert link.is_visible()
    assert host in link.get_attribute("href")
    assert link.get_attribute("target") == "_blank"
    box = link.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= viewport_width
    screenshot(page, f"page-change-{number}-{lang}-{viewport_width}")
    assert_accessible(page, f"change {number} {lang} {viewport_width}")
