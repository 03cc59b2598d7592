"""Static files: url_for('static') carries the file's content hash, such URLs are cached for a
year (immutable), any other static URL briefly; the favicon; small images inline."""

from __future__ import annotations

import base64
import os
import re
import shutil

import pytest
from flask import url_for

from tracking import templating
from tracking.templating import IMMUTABLE, SHORT_LIVED, static_fingerprint
from tracking.web.customer.site import FAVICON_MAX_AGE


@pytest.fixture
def app(tmp_path):
    """No view here queries: no database is needed."""
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": True,
        }
    )


def static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_static_urls_carry_the_content_hash_and_are_immutable(app):
    client = app.test_client()
    url = static_url(app, "css/todoku.css")
    assert re.fullmatch(r"/static/css/todoku\.css\?v=[0-9a-f]{12}", url)
    r = client.get(url)
    assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE
    assert "Expires" not in r.headers
    revalidated = client.get(url, headers={"If-None-Match": r.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.headers["Cache-Control"] == IMMUTABLE


def test_a_static_url_without_the_current_hash_is_cached_briefly(app):
    client = app.test_client()
    for url in ("/static/css/todoku.css", "/static/css/todoku.css?v=0123456789ab"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["Cache-Control"] == SHORT_LIVED, url
    assert client.get("/static/css/nothing-here.css").status_code == 404


def test_the_hash_changes_when_the_file_changes(app, tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    sheet = folder / "css" / "site.css"
    sheet.write_text("body{color:red}")
    app.static_folder = str(folder)
    client = app.test_client()
    first = static_url(app, "css/site.css")
    assert static_url(app, "css/site.css") == first  # stable while the file is
    sheet.write_text("body{color:blue}")
    stat = sheet.stat()  # same size: only the content and the modification time differ
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = static_url(app, "css/site.css")
    assert second != first and second.startswith("/static/css/site.css?v=")
    assert client.get(second).headers["Cache-Control"] == IMMUTABLE
    # A page still naming the old version gets today's file, but not for a year.
    old = client.get(first)
    assert old.data == b"body{color:blue}" and old.headers["Cache-Control"] == SHORT_LIVED


def test_the_same_content_has_the_same_hash_wherever_it_lives(app, tmp_path):
    copy = tmp_path / "static"
    shutil.copytree(app.static_folder, copy)
    with app.test_request_context():
        original = static_fingerprint("js/site.js")
        app.static_folder = str(copy)
        assert static_fingerprint("js/site.js") == original
        assert static_fingerprint("../app.py") is None and static_fingerprint("js") is None


def test_favicon(app):
    client = app.test_client()
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert r.data[:4] == b"\x00\x00\x01\x00" and len(r.data) < 1024  # an ICO, and tiny
    assert r.headers["Cache-Control"] == f"public, max-age={FAVICON_MAX_AGE}"
    linked = static_url(app, "favicon.ico")
    assert client.get(linked).headers["Cache-Control"] == IMMUTABLE
    # Every page carries it inline (408 bytes: no request of its own), so browsers need not
    # ask /favicon.ico.
    html = client.get("/").get_data(as_text=True)
    inline = "data:image/x-icon;base64," + base64.b64encode(r.data).decode()
    assert f'<link rel="icon" href="{inline}">' in html


def test_small_brand_images_are_inline_and_larger_ones_keep_their_url(app, monkeypatch):
    """The logo (and banners) of a few hundred bytes travel inside the page instead of costing
    a request each; a file over the limit is linked as before."""
    logo = os.path.join(app.config["BRANDS_DIR"], "assets", "sakura-tea.svg")
    with open(logo, "rb") as f:
        inline = "data:image/svg+xml;base64," + base64.b64encode(f.read()).decode()
    client = app.test_client()
    html = client.get("/sakura-tea/").get_data(as_text=True)
    assert f'<img src="{inline}"' in html and "/sakura-tea/logo" not in html
    monkeypatch.setattr(templating, "INLINE_IMAGE_MAX", 100)
    monkeypatch.setattr(templating, "_IMAGES", {})
    html = client.get("/sakura-tea/").get_data(as_text=True)
    assert '<img src="/sakura-tea/logo"' in html and "data:image/svg" not in html
    assert client.get("/sakura-tea/logo").status_code == 200
