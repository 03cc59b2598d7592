"""The LINE opt-in on a real tracking page (issue 25): the card and its button on the in-transit
ST-1003, the linked state on ST-1002, ja and en, phone and desktop. The button leads to our
opt-in route, which answers with LINE's oaMessage link (not followed: no request leaves the
machine)."""

from __future__ import annotations

import shutil
import threading
from urllib.parse import unquote

import pytest
from werkzeug.serving import make_server

from tests.support import ROOT

from .conftest import screenshot
from .test_page_browser import assert_accessible

CHANNELS = {"SAKURA_TEA": {"secret": "s", "token": "t"}, "NORTHPEAK": {"secret": "s", "token": "t"}}


@pytest.fixture(params=[390, 1280, 1366], ids=["phone", "desktop", "wide"])
def viewport_width(request) -> int:
    return request.param


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, live_template):
    """The demo served with a ``[line]`` section on both shops and their channels set, and
    ST-1002's customer already linked."""
    from sqlmodel import Session, select

    from app import create_app
    from tracking import demo
    from tracking.db import get_engine
    from tracking.line.models import LineLink
    from tracking.orders.models import Order

    base = tmp_path_factory.mktemp("live-line")
    db = base / "live.sqlite3"
    shutil.copy(live_template, db)
    brands = base / "brands"
    shutil.copytree(ROOT / "brands", brands)
    for slug in ("sakura-tea", "northpeak"):
        path = brands / f"{slug}.toml"
        path.write_text(path.read_text() + '\n[line]\nbasic_id = "@todoku-demo"\n')
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{db}",
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "BRANDS_DIR": str(brands),
            "LINE_CHANNELS": CHANNELS,
        }
    )
    numbers = [spec.number for spec in demo.ORDERS]
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        orders = {o.number: o for o in s.exec(select(Order).where(Order.number.in_(numbers)))}
        linked = orders["ST-1002"]
        s.add(LineLink(brand=linked.brand, order_id=linked.id, user_id="U" + "e" * 32))
        s.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = app.config["LIVE_URL"]
    app.config["DEMO_ORDERS"] = orders
    yield app
    server.shutdown()
    get_engine(app).dispose()


@pytest.mark.parametrize(
    ("lang", "label", "typed"),
    [
        ("ja", "LINEで受け取る", "LINE通知の登録コード："),
        ("en", "Get updates on LINE", "LINE notifications, code: "),
    ],
)
def test_the_opt_in_button_opens_the_shops_chat_with_a_code(
    page, order_url, live_url, viewport_width, lang, label, typed
):
    page.goto(f"{order_url('ST-1003')}?lang={lang}")
    link = page.get_by_role("link", name=label)
    assert link.is_visible()
    box = link.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= viewport_width
    href = link.get_attribute("href")
    assert href.endswith("/line")
    page.locator("#line").scroll_into_view_if_needed()
    screenshot(page, f"page-line-optin-{lang}-{viewport_width}")
    assert_accessible(page, f"line opt-in {lang} {viewport_width}")
    answer = page.request.get(live_url + href, max_redirects=0)
    assert answer.status == 303
    location = answer.headers["location"]
    assert location.startswith("https://line.me/R/oaMessage/%40todoku-demo/?")
    assert unquote(location.split("?", 1)[1]).startswith(typed)


@pytest.mark.parametrize(
    ("lang", "said"), [("ja", "LINEでお知らせします"), ("en", "sent to you on LINE")]
)
def test_a_linked_order_says_so(page, order_url, viewport_width, lang, said):
    page.goto(f"{order_url('ST-1002')}?lang={lang}")
    card = page.locator("#line")
    assert said in card.inner_text()
    assert card.get_by_role("link").count() == 0
    screenshot(page, f"page-line-linked-{lang}-{viewport_width}")
