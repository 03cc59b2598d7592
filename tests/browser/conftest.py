"""Real-browser tests: the app served on a loopback port, Debian's Chromium driven by Playwright.

Skipped when /usr/bin/chromium is missing (``.ci/run`` installs it). Under `make screenshots`
(``TODOKU_SCREENSHOTS=1``) the tests also save pictures to ``tests/screenshots/`` (git-ignored)
for review.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("TODOKU_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
# `make screenshots` sets this: the pictures are for people to look at, not checks, and taking
# them cost an eighth of the browser tests' time in every `make test`.
SAVE_SCREENSHOTS = os.environ.get("TODOKU_SCREENSHOTS", "") not in ("", "0")

# The ``browser`` marker is put on these tests by tests/conftest.py (a ``pytestmark`` in a
# conftest would mark nothing).


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_template(tmp_path_factory, sqlite_template) -> Path:
    """The migrated SQLite file with the demo (history included) loaded once per test process;
    each browser module serves its own copy."""
    from sqlmodel import Session

    from app import create_app
    from tracking import demo
    from tracking.db import get_engine

    path = tmp_path_factory.mktemp("live-template") / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "t"})
    with app.app_context(), Session(get_engine(app)) as s:
        demo.load(s)
    get_engine(app).dispose()
    return path


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, live_template):
    """A copy of the demo database, served by a thread on a free port."""
    from sqlmodel import Session, select

    from app import create_app
    from tracking import demo
    from tracking.db import get_engine
    from tracking.orders.models import Order

    db = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copy(live_template, db)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{db}",
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOOKUP_RATE_LIMIT": "1000 per minute",
        }
    )
    numbers = [spec.number for spec in demo.ORDERS]
    with app.app_context(), Session(get_engine(app), expire_on_commit=False) as s:
        orders = {o.number: o for o in s.exec(select(Order).where(Order.number.in_(numbers)))}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    # Mail (and its staff preview) links and images go to the public base URL: here, this server.
    app.config["BASE_URL"] = app.config["LIVE_URL"]
    app.config["DEMO_ORDERS"] = orders
    yield app
    server.shutdown()
    get_engine(app).dispose()


@pytest.fixture(scope="module")
def live_url(live_app) -> str:
    return live_app.config["LIVE_URL"]


@pytest.fixture(scope="module")
def order_url(live_app, live_url):
    """``order_url("ST-1001")`` → the signed tracking-page URL of a demo order."""
    from tracking.security import order_token

    def make(number: str) -> str:
        order = live_app.config["DEMO_ORDERS"][number]
        with live_app.app_context():
            return f"{live_url}/{order.brand}/o/{order_token(order.brand, order.public_id)}"

    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(params=[390, 1280], ids=["phone", "desktop"])
def viewport_width(request) -> int:
    return request.param


def own_host_context(browser, live_url: str, **options):
    """A new browser context that lets only our server (and data: URLs) answer: (context, the
    list every request to another host is added to, and refused)."""
    context = browser.new_context(**options)
    foreign: list[str] = []

    def guard(route):
        if route.request.url.startswith(live_url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context, foreign


@pytest.fixture
def page(browser, live_url, viewport_width):
    """A fresh context per test; every request to a host other than ours fails the test."""
    context, foreign = own_host_context(
        browser,
        live_url,
        viewport={"width": viewport_width, "height": 900 if viewport_width > 500 else 844},
        locale="ja-JP",
    )
    page = context.new_page()
    yield page
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


def screenshot(page, name: str) -> Path | None:
    """Save a full-page picture as tests/screenshots/<name>.png (only under `make screenshots`)."""
    if not SAVE_SCREENSHOTS:
        return None
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
