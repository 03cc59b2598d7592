"""The return form's summary step in a real browser, with JavaScript off (plain posts, whole
pages) and on (htmx swaps the region): the summary shows items, reasons, resolution, fees and
the amounts; "back" keeps every choice; a photo field appears only for a reason that needs one.
Then the status pages of a credited and an exchanged demo return (the code, the replacement's
tracking). Screenshots in ja and en at 390 and 1280 px."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session, select

from .conftest import own_host_context, screenshot
from .test_returns_browser import _order_url, assert_accessible

CASES = [
    # brand, order, lang, (photo item, reason needing a photo), (refund item, reason), texts
    (
        "sakura-tea",
        "ST-1001",
        "ja",
        ("湯呑み", "damaged"),
        ("煎茶", "changed_mind"),
        {"review": "内容を確認する", "back": "入力内容を修正する", "send": "返品・交換を申し込む"},
    ),
    (
        "northpeak",
        "NP-2201",
        "en",
        ("Tent", "defect"),
        ("Socks", "too_large"),
        {"review": "Review your return", "back": "Back to change your choices", "send": "Send"},
    ),
]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(params=[False, True], ids=["no-js", "js"])
def js_page(request, browser, live_url, viewport_width):
    context, foreign = own_host_context(
        browser,
        live_url,
        viewport={"width": viewport_width, "height": 900 if viewport_width > 500 else 844},
        locale="ja-JP",
        java_script_enabled=request.param,
    )
    page = context.new_page()
    yield page, request.param
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.mark.parametrize(("brand", "number", "lang", "photo", "plain", "text"), CASES)
def test_summary_step_with_and_without_javascript(
    js_page, live_app, live_url, viewport_width, brand, number, lang, photo, plain, text
):
    page, js = js_page
    page.goto(_order_url(live_app, live_url, number) + f"/return?lang={lang}")
    assert page.locator("input[type=file]").count() == 0  # no reason chosen: no photo field
    first = page.locator("fieldset.ritem", has_text=photo[0])
    first.locator("select[name^=qty]").select_option("1")
    first.locator("select[name^=reason]").select_option(photo[1])
    first.locator("select[name^=resolution]").select_option("refund")
    second = page.locator("fieldset.ritem", has_text=plain[0])
    second.locator("select[name^=qty]").select_option("1")
    second.locator("select[name^=reason]").select_option(plain[1])
    second.locator("select[name^=resolution]").select_option("refund")
    page.get_by_role("button", name=text["review"]).click()
    summary = page.locator("form.summary")
    summary.wait_for()
    body = summary.inner_text()
    assert photo[0] in body and plain[0] in body
    assert ("返金" if lang == "ja" else "Refund") in body
    # A shop-side reason on one line: the return shipping is the shop's.
    assert ("ショップ負担" if lang == "ja" else "paid by the shop") in body
    # One photo field: for the reason that needs one, not the other.
    assert page.locator("input[type=file]").count() == 1
    assert summary.locator("dl.totals dd.amount").first.is_visible()
    if js:
        screenshot(page, f"returns-summary-{brand}-{lang}-{viewport_width}")
        assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Back: every choice is still there.
    page.get_by_role("button", name=text["back"]).click()
    page.locator("fieldset.ritem").first.wait_for()
    assert first.locator("select[name^=reason]").input_value() == photo[1]
    assert second.locator("select[name^=resolution]").input_value() == "refund"
    page.get_by_role("button", name=text["review"]).click()
    summary.wait_for()
    page.locator("input[type=file]").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    page.get_by_role("button", name=text["send"], exact=False).click()
    page.wait_for_url(f"**/{brand}/r/**")
    outcome = page.locator("section.outcome").inner_text()
    assert ("返金" if lang == "ja" else "Refund") in outcome
    if js:
        screenshot(page, f"returns-status-requested-{brand}-{lang}-{viewport_width}")


@pytest.mark.parametrize(
    ("number", "expect"),
    [
        ("NP-2202", {"en": "Your replacement", "ja": "交換品のお届け"}),
        ("NP-2204", {"en": "Store credit code", "ja": "クーポンコード"}),
    ],
)
def test_status_page_shows_the_replacement_parcel_and_the_credit_code(
    page, live_app, live_url, viewport_width, number, expect
):
    from tracking.db import get_engine
    from tracking.orders.models import Order
    from tracking.returns import queries
    from tracking.returns.links import return_token

    with live_app.app_context(), Session(get_engine(live_app)) as s:
        order = s.exec(select(Order).where(Order.number == number)).one()
        rr = queries.for_order(s, order)[0]
        url = f"{live_url}/{order.brand}/r/{return_token(order.brand, rr.public_id)}"
    for language in ("en", "ja"):
        page.goto(f"{url}?lang={language}")
        text = page.locator("section.outcome").inner_text()
        assert expect[language] in text
        screenshot(page, f"returns-status-{number}-{language}-{viewport_width}")
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
