"""What a warm tracking page view skips, and what it must still do: no ORM session and one
query, no new session cookie for a visitor who has one, no rate-limiter work on the GETs no
limit applies to (checked against the limiter itself), CSRF still checked on every post, and
signed links read back through the remembered signatures still bound to the secret."""

from __future__ import annotations

import re

from tests.factories import make_order
from tests.support.queries import counted_queries
from tracking import db, extensions
from tracking.extensions import UNLIMITED_GETS, limiter
from tracking.security import order_token, read_order_token

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def url_of(app, order) -> str:
    with app.app_context():
        return f"/{order.brand}/o/{order_token(order.brand, order.public_id)}"


def test_a_returning_visitor_gets_no_new_session_cookie(app, session):
    app.config["WTF_CSRF_ENABLED"] = True
    url = url_of(app, make_order(session))
    visitor = app.test_client()
    first = visitor.get(url)
    assert "session=" in first.headers.get("Set-Cookie", "")  # a new visitor: its CSRF token
    again = visitor.get(url)
    assert again.status_code == 200 and "Set-Cookie" not in again.headers
    # The token on the page served without a cookie is still this visitor's: the post passes.
    token = TOKEN.search(again.get_data(as_text=True)).group(1)
    form = {"rating": "5", "comment": ""}
    assert visitor.post(url + "/feedback", data=form).status_code == 400  # no token
    assert (
        visitor.post(url + "/feedback", data=form | {"csrf_token": "x" + token}).status_code == 400
    )
    assert visitor.post(url + "/feedback", data=form | {"csrf_token": token}).status_code == 303


def test_a_warm_view_builds_no_orm_session(app, client, session, monkeypatch):
    url = url_of(app, make_order(session))
    client.get(url)  # rendered and kept, the page and its status part
    client.get(url, headers={"HX-Request": "true"})
    built = []
    real = db.Session
    monkeypatch.setattr(db, "Session", lambda *a, **kw: built.append(1) or real(*a, **kw))
    with counted_queries(app) as statements:
        assert client.get(url).status_code == 200
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    assert built == [] and len(statements) == 2
    assert client.get("/healthz").status_code == 200 and built == []


def test_the_limiter_skips_only_gets_it_would_not_count(app, client, session, monkeypatch):
    """Run the skipped GETs through the limiter's own check: it counts nothing for them, while
    a limited GET (a banner click) is counted, so the probe can see a count."""
    monkeypatch.setattr(extensions, "nothing_to_limit", lambda: False)
    url = url_of(app, make_order(session))
    storage = limiter.storage.storage
    assert {"portal.order_page", "site.healthz"} == UNLIMITED_GETS
    for _ in range(3):
        assert client.get(url).status_code == 200
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
        assert client.get("/healthz").status_code == 200
    assert not storage
    client.get("/sakura-tea/go/no-such-banner")
    assert storage


def test_a_remembered_link_is_still_bound_to_the_secret(app, session):
    order = make_order(session)
    with app.app_context():
        token = order_token(order.brand, order.public_id)
        assert read_order_token(order.brand, token) == order.public_id
        assert read_order_token("another-brand", token) is None
        app.config["SECRET_KEY"] = "rotated"
        assert read_order_token(order.brand, token) is None
