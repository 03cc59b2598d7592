"""The tracking page rendered once per change (``tracking.page.rendered``): never stale after
any writer, per-visitor parts filled per visitor, the ``#status`` part's 304, and the key's
other parts (brand file, day, locale, brand)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import items_of, make_order, make_parcel
from tests.support import ROOT
from tests.support.queries import counted_queries
from tests.support.writers import WRITERS
from tracking.orders import versions
from tracking.page import rendered
from tracking.page.cache import MemoryStore, store_for
from tracking.security import order_token
from tracking.timeutil import utcnow

HTMX = {"HX-Request": "true"}
# The per-visitor parts, as they appear in the HTML.
VISITOR = (
    (re.compile(r'name="csrf_token" value="[^"]+"'), 'name="csrf_token" value="…"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="…"'),
    (re.compile(r"/px/[^/\"]+\.gif"), "/px/….gif"),
    (re.compile(r"v=[A-Za-z0-9_.\-]+"), "v=…"),
)


def shared(html: str) -> str:
    """The page without its per-visitor parts."""
    for pattern, stand_in in VISITOR:
        html = pattern.sub(stand_in, html)
    return html


def url_of(app, order) -> str:
    with app.app_context():
        return f"/{order.brand}/o/{order_token(order.brand, order.public_id)}"


def fresh(app, client, url: str, headers: dict | None = None) -> str:
    """The page rendered now, the cache switched off for this one request."""
    kept = store_for(app)
    app.extensions["todoku_render_cache"] = None
    try:
        return client.get(url, headers=headers or {}).get_data(as_text=True)
    finally:
        app.extensions["todoku_render_cache"] = kept


def served(app, client, url: str, headers: dict | None = None) -> tuple[str, int]:
    """The page as served, and how many queries it took (1: from the cache)."""
    with counted_queries(app) as statements:
        html = client.get(url, headers=headers or {}).get_data(as_text=True)
    return html, len(statements)


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_no_writer_leaves_a_stale_page(app, client, session, writer):
    with app.test_request_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        order = writer.make(session, brand)
        url = url_of(app, order)
    for headers in ({}, HTMX):
        client.get(url, headers=headers)
        assert served(app, client, url, headers)[1] == 1  # cached
    before = {k: served(app, client, url, h)[0] for k, h in (("page", {}), ("part", HTMX))}
    with app.test_request_context():
        writer.act(session, brand, order)
        session.commit()
    for kind, headers in (("page", {}), ("part", HTMX)):
        html, queries = served(app, client, url, headers)
        assert queries > 1, f"{kind} served from the cache after the write"
        assert shared(html) == shared(fresh(app, client, url, headers))
    assert shared(html) != shared(before["part"]) or writer.name in UNSEEN_BY_THE_PART


# Writers whose change the live part does not show (it shows parcels, not the order's
# mail language, its feedback, questions, returns or personal data).
UNSEEN_BY_THE_PART = {
    "API: order upsert with a new item",
    "return submitted",
    "return approved by staff",
    "return received by staff",
    "feedback given",
    "question asked",
    "question answered by staff",
    "staff: mail language changed",
    "privacy erase",
    "worker: a carrier check without news",
}


def test_a_forgotten_writer_would_be_caught(app, client, session, monkeypatch):
    """The walk above can fail: with the version left alone (a writer the session missed),
    the cached page is what it would see."""
    order = make_order(session, ship=False)
    url = url_of(app, order)
    client.get(url)
    monkeypatch.setattr(versions, "_bump", lambda session, ids: None)
    make_parcel(session, order, items=items_of(session, order), status="in_transit")
    session.commit()
    html, queries = served(app, client, url)
    assert queries == 1 and shared(html) != shared(fresh(app, client, url))


def test_two_visitors_get_their_own_parts_of_one_rendering(app, session):
    app.config["WTF_CSRF_ENABLED"] = True
    order = make_order(session)
    url = url_of(app, order)
    one, two = app.test_client(), app.test_client()
    first = one.get(url)
    second, queries = served(app, two, url)
    assert queries == 1  # the second visitor is served the first one's rendering
    a, b = first.get_data(as_text=True), second
    assert shared(a) == shared(b)
    for pattern, _ in VISITOR[:3]:
        assert pattern.search(a).group() != pattern.search(b).group()
    # Each page's nonce is its own response's CSP nonce.
    nonce = re.search(r'nonce="([^"]+)"', a).group(1)
    assert f"'nonce-{nonce}'" in first.headers["Content-Security-Policy"]
    # Each visitor's CSRF token is their own session's: the other's is refused.
    token_a = re.search(r'name="csrf_token" value="([^"]+)"', a).group(1)
    token_b = re.search(r'name="csrf_token" value="([^"]+)"', b).group(1)
    form = {"rating": "5", "comment": ""}
    assert two.post(url + "/feedback", data=form | {"csrf_token": token_a}).status_code == 400
    assert two.post(url + "/feedback", data=form | {"csrf_token": token_b}).status_code == 303


def test_the_status_part_answers_304_until_the_order_changes(app, client, session):
    order = make_order(session, ship=False)
    parcel = make_parcel(session, order, items=items_of(session, order), status="in_transit")
    session.commit()
    url = url_of(app, order)
    page = client.get(url)
    assert "ETag" not in page.headers  # per-visitor parts: a 304 would revive old ones
    part = client.get(url, headers=HTMX)
    etag = part.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert f'data-etag="{etag.replace(chr(34), "&#34;")}"' in page.get_data(as_text=True)
    assert part.headers["Cache-Control"] == "private, no-store"
    again = client.get(url, headers=HTMX | {"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "private, no-store"
    parcel.status = "out_for_delivery"
    session.add(parcel)
    session.commit()
    changed = client.get(url, headers=HTMX | {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200  # the page


def test_an_edited_brand_file_is_a_new_rendering(tmp_path, app_config, session):
    from app import create_app

    directory = tmp_path / "brands"
    shutil.copytree(ROOT / "brands", directory)
    app = create_app({**app_config, "BRANDS_DIR": str(directory), "BRANDS_RELOAD_SECONDS": 0})
    order = make_order(session)
    client = app.test_client()
    url = url_of(app, order)
    assert "support@sakura-tea.example" in client.get(url).get_data(as_text=True)
    path = directory / "sakura-tea.toml"
    path.write_text(path.read_text().replace("support@sakura-tea.example", "help@sakura.example"))
    os.utime(path, ns=(1, 1_000_000_000))
    html = client.get(url).get_data(as_text=True)
    assert "help@sakura.example" in html and "support@sakura-tea.example" not in html


def test_the_shops_day_turning_is_a_new_rendering(app, client, session):
    # 14:59 UTC is 23:59 in Tokyo; a minute later it is the next day there.
    evening = datetime(2026, 12, 7, 14, 59, tzinfo=UTC)  # a Monday
    with time_machine.travel(evening, tick=False):
        order = make_order(session)
        url = url_of(app, order)
        client.get(url)
        assert served(app, client, url)[1] == 1
    with time_machine.travel(evening + timedelta(minutes=2), tick=False):
        html, queries = served(app, client, url)
        assert queries > 1
        assert shared(html) == shared(fresh(app, client, url))


def test_an_outage_notice_appears_without_a_write(app, client, session):
    morning = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    with time_machine.travel(morning, tick=False):
        order = make_order(session, ship=False)
        make_parcel(
            session,
            order,
            items=items_of(session, order),
            status="in_transit",
            failures=3,
            last_checked_at=morning - timedelta(hours=1),
        )
        session.commit()
        url = url_of(app, order)
        assert "notice outage" not in client.get(url).get_data(as_text=True)
        assert served(app, client, url)[1] == 1
    # In transit is looked at every 3 hours: 4 hours after the last good look the page says
    # the carrier cannot be reached, on the same day and with nothing written.
    with time_machine.travel(morning + timedelta(hours=3), tick=False):
        assert "notice outage" in client.get(url).get_data(as_text=True)


def test_locales_are_kept_apart(app, session):
    order = make_order(session)
    url = url_of(app, order)
    ja, en = app.test_client(), app.test_client()
    for _ in range(2):  # rendered, then from the cache
        assert '<html lang="ja">' in ja.get(url, headers={"Accept-Language": "ja"}).get_data(
            as_text=True
        )
        assert '<html lang="en">' in en.get(url + "?lang=en").get_data(as_text=True)
    # Remembered (the cookie), not asked again.
    assert "Order status" in en.get(url).get_data(as_text=True)
    assert "Order status" not in ja.get(url, headers={"Accept-Language": "ja"}).get_data(
        as_text=True
    )


def test_brands_are_kept_apart(app, client, session):
    tea, gear = make_order(session), make_order(session, "northpeak")
    tea_url, gear_url = url_of(app, tea), url_of(app, gear)
    for _ in range(2):
        assert "support@sakura-tea.example" in client.get(tea_url).get_data(as_text=True)
        assert "sakura-tea.example" not in client.get(gear_url).get_data(as_text=True)
    # A cached page of one shop is no key to another's address.
    assert client.get(tea_url.replace("/sakura-tea/", "/northpeak/")).status_code == 404


def test_error_pages_are_never_cached(app, client, session):
    order = make_order(session)
    url = url_of(app, order)
    client.get(url)
    bad = client.post(url + "/ask", data={"message": ""})
    assert bad.status_code == 422
    html, queries = served(app, client, url)
    assert queries == 1 and 'role="alert" id="ask-error"' not in html


def test_a_session_that_wrote_files_nothing(app, session):
    order = make_order(session)
    assert rendered.cacheable(session)
    order.name = "changed"
    session.add(order)
    session.flush()
    assert not rendered.cacheable(session)
    session.commit()
    assert rendered.cacheable(session)


def test_the_memory_store_is_bounded_and_expires():
    store = MemoryStore(2)
    now = utcnow().timestamp()
    store.set("a", b"1", now + 60)
    store.set("b", b"2", now + 60)
    assert store.get("a") == b"1"  # a is now the most recently used
    store.set("c", b"3", now + 60)
    assert store.get("b") is None and store.get("a") == b"1" and len(store) == 2
    store.set("d", b"4", now - 1)
    assert store.get("d") is None


def test_workers_share_renderings_through_redis(app_config, session, redis_url):
    import redis

    from app import create_app

    redis.Redis.from_url(redis_url).flushdb()
    config = {**app_config, "REDIS_URL": redis_url}
    one, two = create_app(config), create_app(config)
    order = make_order(session)
    url = url_of(one, order)
    a = one.test_client().get(url).get_data(as_text=True)
    b, queries = served(two, two.test_client(), url)
    assert queries == 1 and shared(a) == shared(b) and a != b


def test_a_restore_forgets_every_rendering(app_config, redis_url):
    import redis

    from app import create_app
    from tracking.page.cache import PREFIX, forget_all

    client = redis.Redis.from_url(redis_url)
    client.set("someone-else", b"kept")
    for config in (
        {**app_config, "RENDER_CACHE": "memory"},
        {**app_config, "REDIS_URL": redis_url},
    ):
        app = create_app(config)
        store = store_for(app)
        store.set("k", b"page", utcnow().timestamp() + 60)
        forget_all(app)
        assert store.get("k") is None
    assert client.get("someone-else") == b"kept" and not list(client.scan_iter(PREFIX + "*"))
    client.delete("someone-else")
