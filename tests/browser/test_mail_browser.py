"""The HTML mails in a real browser, at phone and desktop widths, in Japanese and English: the
staff preview frames, screenshotted for review (tests/screenshots/mail-*.png)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SAVE_SCREENSHOTS, SCREENSHOTS, own_host_context, screenshot
from tracking.web.staff.mail import PREVIEW_KINDS

WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
MAILS = {
    "sakura-tea": ["shipped", "delivered", "follow_up", "return_status", "inquiry_reply"],
    "northpeak": ["shipped", "delivered", "follow_up"],
}
STAFF = {"sakura-tea": "staff@sakura-tea.example", "northpeak": "staff@northpeak.example"}


def _staff_context(browser, live_url, slug, width, height):
    context, foreign = own_host_context(
        browser, live_url, viewport={"width": width, "height": height}, locale="ja-JP"
    )
    page = context.new_page()
    page.goto(f"{live_url}/admin/login")
    page.fill("#email", STAFF[slug])
    page.fill("#password", "todoku-demo-staff")
    page.click("button[type=submit]")
    return context, page, foreign


@pytest.mark.parametrize("size", sorted(WIDTHS))
@pytest.mark.parametrize("slug", sorted(MAILS))
def test_html_mails_render_at_phone_and_desktop_width(browser, live_url, slug, size):
    width, height = WIDTHS[size]
    context, page, foreign = _staff_context(browser, live_url, slug, width, height)
    try:
        for kind in MAILS[slug]:
            for locale in ("ja", "en"):
                page.goto(f"{live_url}/admin/{slug}/mail/preview/{kind}/{locale}")
                page.wait_for_load_state("load")
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{kind}/{locale} scrolls sideways at {width}px"
                logo = page.evaluate(
                    "[...document.images].map(i => i.complete && i.naturalWidth > 0)"
                )
                assert logo == [True], f"{kind}/{locale}: the logo did not load ({logo})"
                greeting = "山田 花子 様" if locale == "ja" else "Hi Hanako,"
                assert greeting in page.inner_text("body")
                screenshot(page, f"mail-{slug}-{kind}-{locale}-{size}")
    finally:
        context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


def test_staff_mail_page_uses_the_screen_width(browser, live_url):
    context, page, foreign = _staff_context(browser, live_url, "sakura-tea", 1366, 900)
    try:
        page.goto(f"{live_url}/admin/sakura-tea/mail")
        main_width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        frames = page.locator("#previews .mailframe").count()
        if SAVE_SCREENSHOTS:
            page.locator("#preview-delivered").scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # the lazy frames of that row load
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "mail-admin-page-desktop.png"))
    finally:
        context.close()
    assert main_width > 1200  # not the customer pages' 720 px column
    assert overflow <= 0  # long URLs in the text parts wrap instead of widening the page
    assert frames == 2 * len(PREVIEW_KINDS)  # every mail in both languages
    assert not foreign
