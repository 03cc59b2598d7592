"""The tracking page in a real browser: both demo shops, phone and desktop, ja and en.

Key texts, a banner click (recorded, redirected with UTM), feedback over htmx, the status
region refreshing itself, "ask the shop", the page without JavaScript, the transfer budget,
and an axe scan (zero serious or critical violations) in light and dark mode.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlmodel import Session, delete, select

from tracking.db import get_engine
from tracking.mail.models import Notification
from tracking.orders.models import Shipment
from tracking.page.models import Feedback, Inquiry, PageEvent
from tracking.timeutil import utcnow

from .conftest import own_host_context, screenshot

AXE = Axe()


def _db(live_app) -> Session:
    return Session(get_engine(live_app), expire_on_commit=False)


def assert_accessible(page, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        if scheme == "dark":
            screenshot(page, f"page-{name.replace(' ', '-')}-dark")
        results = AXE.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{name} ({scheme}): {bad}"
    page.emulate_media(color_scheme="light")


@pytest.mark.parametrize(
    ("number", "lang", "texts"),
    [
        (
            "ST-1001",
            "ja",
            ["ご注文の配送状況", "配達完了", "お茶をもっとおいしく", "お届けはいかがでしたか？"],
        ),
        ("ST-1004", "en", ["Delivery attempted", "Schedule redelivery", "Ask the shop"]),
        (
            "ST-1004",
            "ja",
            ["ご不在のため持ち戻り", "再配達のお申し込み", "ショップへのお問い合わせ"],
        ),
        ("ST-1005", "en", ["Not shipped yet", "常滑焼 急須"]),
        ("NP-2001", "en", ["Parcel 1 of 2", "Parcel 2 of 2", "Boot care kit", "Camp kitchen"]),
        ("NP-2001", "ja", ["お荷物 1/2", "ブーツお手入れキット"]),
        ("NP-2002", "ja", ["配送に問題が発生しました", "help@northpeak.example"]),
        ("NP-2002", "en", ["Problem with delivery", "help@northpeak.example"]),
    ],
)
def test_key_texts_and_accessibility(page, order_url, viewport_width, number, lang, texts):
    page.goto(f"{order_url(number)}?lang={lang}")
    body = page.locator("main").inner_text()
    for text in texts:
        assert text in body, f"{text!r} missing on {number} ({lang})"
    # Privacy: the email is masked, nothing like a full address or phone of the customer.
    assert "@example.com" in body and not re.search(r"\b[a-z]{3,}@example\.com", body)
    # The copy button appears with JavaScript; the number itself is plain text either way.
    copy = page.locator("button.copy")
    assert copy.count() == 0 or copy.first.is_visible()
    screenshot(page, f"page-{number}-{lang}-{viewport_width}")
    assert_accessible(page, f"{number} {lang} {viewport_width}")


def test_banner_click_is_recorded_and_redirects(page, live_app, order_url):
    # Leaving for the shop's site is the point of a click; answer it locally so the test
    # needs no network (a page route wins over the fixture's foreign-host guard).
    landed: list[str] = []

    def shop_site(route):
        landed.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>shop</title>shop")

    page.route("https://sakura-tea.example/**", shop_site)
    page.goto(f"{order_url('ST-1003')}?lang=en")
    banner = page.locator("a.banner", has_text="Make your tea even better")
    on_page = sorted(
        re.search(r"/go/([a-z0-9-]+)", h).group(1)
        for h in page.locator("a.banner").evaluate_all("links => links.map(a => a.href)")
    )
    banner.click()
    page.wait_for_url("https://sakura-tea.example/**")
    assert landed and landed[0].startswith("https://sakura-tea.example/collections/teaware?")
    assert "utm_source=todoku" in landed[0] and "utm_campaign=teaware" in landed[0]
    with _db(live_app) as s:
        clicks = s.exec(
            select(PageEvent).where(PageEvent.kind == "click", PageEvent.banner == "teaware")
        ).all()
        assert clicks and clicks[-1].order_id == live_app.config["DEMO_ORDERS"]["ST-1003"].id
        view_id = clicks[-1].view_id
        # The page view that showed the banner recorded its impression once.
        impressions = s.exec(
            select(PageEvent).where(PageEvent.kind == "impression", PageEvent.view_id == view_id)
        ).all()
        assert sorted(e.banner for e in impressions) == on_page


def test_feedback_posts_with_htmx(page, live_app, order_url, viewport_width):
    order = live_app.config["DEMO_ORDERS"]["ST-1001"]
    with _db(live_app) as s:
        s.exec(delete(Feedback).where(Feedback.order_id == order.id))
        s.commit()
    page.goto(f"{order_url('ST-1001')}?lang=en")
    page.evaluate("window.stillHere = true")
    page.locator("label[for=rating-4]").click()
    page.get_by_label("Comment (optional)").fill("Quick and careful, thank you")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you for your feedback!").wait_for()
    assert page.evaluate("window.stillHere") is True  # swapped in place, no reload
    screenshot(page, f"page-feedback-sent-{viewport_width}")
    with _db(live_app) as s:
        row = s.exec(select(Feedback).where(Feedback.order_id == order.id)).one()
        assert (row.rating, row.comment) == (4, "Quick and careful, thank you")


def test_feedback_without_a_rating_says_so(page, live_app, order_url):
    order = live_app.config["DEMO_ORDERS"]["NP-2003"]
    with _db(live_app) as s:
        s.exec(delete(Feedback).where(Feedback.order_id == order.id))
        s.commit()
    page.goto(f"{order_url('NP-2003')}?lang=en")
    page.get_by_label("Comment (optional)").fill("no stars")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_role("alert").wait_for()
    assert "choose a rating" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Comment (optional)").input_value() == "no stars"


def test_status_region_refreshes_until_terminal(page, live_app, order_url, viewport_width):
    order = live_app.config["DEMO_ORDERS"]["NP-2005"]
    live_app.config["PAGE_REFRESH_SECONDS"] = 1
    try:
        page.goto(f"{order_url('NP-2005')}?lang=en")
        page.evaluate("window.stillHere = true")
        heading = page.locator("#parcel-1")
        before = heading.inner_text()
        new_status, label = (
            ("out_for_delivery", "Out for delivery")
            if "Out for delivery" not in before
            else ("in_transit", "On its way")
        )
        with _db(live_app) as s:
            shipment = s.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
            shipment.status = new_status
            shipment.last_checked_at = utcnow()
            s.add(shipment)
            s.commit()
        page.locator("#parcel-1", has_text=label).wait_for(timeout=10_000)
        assert page.evaluate("window.stillHere") is True
        assert "Last checked" in page.locator("#status").inner_text()
        # The live region outside the swapped part now says what changed, in one line.
        announce = page.locator("#status-announce")
        assert announce.get_attribute("aria-live") == "polite"
        assert announce.inner_text().startswith("Status updated:")
        assert label in announce.inner_text()
        screenshot(page, f"page-refreshed-{viewport_width}")
    finally:
        live_app.config["PAGE_REFRESH_SECONDS"] = None


def test_status_refresh_is_conditional(page, live_app, order_url):
    """The refresh loop sends the part's ETag and keeps the part as it is on a 304."""
    live_app.config["PAGE_REFRESH_SECONDS"] = 1
    try:
        seen = []
        page.on(
            "response",
            lambda r: (
                seen.append((r.status, r.request.headers.get("if-none-match")))
                if r.request.headers.get("hx-request")
                else None
            ),
        )
        page.goto(f"{order_url('NP-2005')}?lang=en")
        before = page.locator("#status").inner_text()
        page.wait_for_timeout(2500)
        assert seen and all(status == 304 and etag for status, etag in seen), seen
        assert page.locator("#status").inner_text() == before
    finally:
        live_app.config["PAGE_REFRESH_SECONDS"] = None


def test_ask_the_shop(page, live_app, order_url, viewport_width):
    order = live_app.config["DEMO_ORDERS"]["ST-1002"]
    page.goto(f"{order_url('ST-1002')}?lang=ja")
    question = f"玉露の淹れ方を教えてください ({viewport_width})"
    page.get_by_label("ご質問内容").fill(question)
    page.get_by_role("button", name="質問を送信").click()
    confirmation = page.locator("#ask .ok")
    confirmation.wait_for()
    assert "までにメールでご回答します" in confirmation.inner_text()
    screenshot(page, f"page-asked-ja-{viewport_width}")
    with _db(live_app) as s:
        asked = s.exec(select(Inquiry).where(Inquiry.message == question)).one()
        assert asked.order_id == order.id
        mail = s.exec(
            select(Notification).where(Notification.dedupe_key == f"inquiry:{asked.id}")
        ).one()
        assert mail.to_address == "support@sakura-tea.example" and "ST-1002" in mail.body_text


def test_transfer_budget_and_own_host_only(page, order_url):
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())))
    for number in ("ST-1001", "NP-2001"):
        sizes.clear()
        page.goto(f"{order_url(number)}?lang=en")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy banners too
        page.wait_for_load_state("networkidle")
        # The demo's banner images are small enough to travel inside the page (data: URIs):
        # shown, without a request of their own.
        shown = page.eval_on_selector_all(
            "a.banner img", "els => els.map(e => [e.src.slice(0, 5), e.naturalWidth])"
        )
        assert shown and all(src == "data:" and width > 0 for src, width in shown), shown
        assert not any("/banner/" in u for u in sizes), "a banner image was fetched"
        total = sum(sizes.values())
        assert total <= 100 * 1024, f"{number}: {total} bytes transferred"


def test_compressed_and_a_second_visit_fetches_only_the_page(browser, live_app, order_url):
    # Its own context without request routing: Playwright turns the browser's cache off for a
    # routed context. DevTools tell each response's encoding; the server what it was asked.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    encodings: dict[str, str] = {}

    def received(e):
        headers = {k.lower(): v for k, v in e["response"]["headers"].items()}
        encodings[e["response"]["url"].split("?")[0]] = headers.get("content-encoding", "")

    cdp.on("Network.responseReceived", received)
    asked: list[str] = []
    serve = live_app.wsgi_app

    def counting(environ, start_response):
        asked.append(environ["PATH_INFO"])
        return serve(environ, start_response)

    url = f"{order_url('ST-1001')}?lang=en"
    path = "/" + url.split("/", 3)[3].split("?")[0]
    live_app.wsgi_app = counting
    try:
        page.goto(url, wait_until="load")
        assert encodings[url.split("?")[0]] in ("br", "gzip")
        htmx = [u for u in encodings if u.endswith("/static/vendor/htmx-2.0.8.min.js")]
        assert htmx and encodings[htmx[0]] in ("br", "gzip")
        assert not any("/static/css/" in u for u in encodings), "the stylesheet is inline"
        # The favicon and lazy images of the first visit may still be on their way.
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)
        asked.clear()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        # The page itself (private, no-store) and its view pixel; no static file is asked for.
        assert path in asked and not [p for p in asked if p.startswith("/static/")], asked
    finally:
        live_app.wsgi_app = serve
        context.close()


@pytest.fixture
def no_js_page(browser, live_url):
    context, foreign = own_host_context(
        browser, live_url, java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    yield context.new_page()
    context.close()
    assert not foreign, foreign


def test_page_works_without_javascript(no_js_page, live_app, order_url):
    page = no_js_page
    order = live_app.config["DEMO_ORDERS"]["NP-2003"]
    with _db(live_app) as s:
        s.exec(delete(Feedback).where(Feedback.order_id == order.id))
        s.commit()
    page.goto(f"{order_url('NP-2003')}?lang=en")
    assert not page.locator("button.copy").is_visible()  # no clipboard without JS
    assert page.locator(".tn").is_visible()
    page.locator("label[for=rating-5]").click()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_load_state()
    assert "Thank you for your feedback!" in page.locator("#feedback").inner_text()
    page.get_by_label("Your question").fill("Can I get a second pack in another colour?")
    page.get_by_role("button", name="Send question").click()
    page.wait_for_load_state()
    assert "will answer by email by" in page.locator("#ask").inner_text()
    page.get_by_role("link", name="Refresh").click()
    assert page.locator("h1").inner_text() == "Order status"
    screenshot(page, "page-no-js-NP-2003-en-390")
