"""Compressed responses (tracking.web.compress): brotli or gzip when asked, Vary, weak ETags for
compressed bodies, nothing for small bodies, 304s, images, streams, ranges or staff pages."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Response, request, send_file

from tracking.web import MIN_COMPRESS_BYTES

PAGE = ("<p>" + "Tracking page text, repeated to be worth compressing. " * 60 + "</p>").encode()
GZIP = {"Accept-Encoding": "gzip"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def decoded(r) -> bytes:
    encoding = r.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(r.data)
    if encoding == "br":
        return brotli.decompress(r.data)
    assert encoding is None, encoding
    return r.data


@pytest.fixture
def app(tmp_path):
    """An app with a few made-up routes; none of them queries, so no database is needed."""
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_ENABLED": True,
        }
    )
    image = tmp_path / "big.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5000))

    def page():
        response = Response(PAGE, mimetype="text/html")
        response.set_etag("v42")  # a strong ETag, as a page's data version gives
        return response

    def conditional_page():
        # A view that answers If-None-Match itself but compares strongly.
        if request.if_none_match.contains("v42"):
            return Response(status=304, headers={"ETag": '"v42"'})
        return page()

    routes = {
        "/t/page": page,
        "/t/conditional": conditional_page,
        "/t/small": lambda: Response(b"<p>short</p>", mimetype="text/html"),
        "/t/json": lambda: Response(b'{"a": "' + b"x" * 3000 + b'"}', mimetype="application/json"),
        "/t/image": lambda: send_file(image, mimetype="image/png"),
        "/t/stream": lambda: Response(PAGE[i : i + 100] for i in range(0, len(PAGE), 100)),
        "/t/encoded": lambda: Response(PAGE, headers={"Content-Encoding": "gzip"}),
        "/t/file": lambda: send_file(image, mimetype="text/plain"),
        "/admin/t/page": page,
    }
    for path, view in routes.items():
        app.add_url_rule(path, path, view)

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_compressed_only_when_asked(client):
    plain = client.get("/t/page")
    assert plain.headers.get("Content-Encoding") is None and plain.data == PAGE
    for asked, encoding in [
        (GZIP, "gzip"),
        ({"Accept-Encoding": "br"}, "br"),
        (BROWSER, "br"),
        ({"Accept-Encoding": "gzip, br;q=0.5"}, "gzip"),
        ({"Accept-Encoding": "*"}, "br"),
    ]:
        r = client.get("/t/page", headers=asked)
        assert r.headers["Content-Encoding"] == encoding, asked
        assert decoded(r) == PAGE and len(r.data) < len(PAGE) / 3
        assert r.headers["Content-Length"] == str(len(r.data))
    for refused in ({"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br;q=0"}):
        assert client.get("/t/page", headers=refused).headers.get("Content-Encoding") is None


def test_vary_accept_encoding_whether_or_not_compressed(client):
    for headers in ({}, GZIP):
        r = client.get("/t/page", headers=headers)
        assert "Accept-Encoding" in r.headers["Vary"]
    assert "Accept-Encoding" in client.get("/t/small", headers=GZIP).headers["Vary"]
    # An image is never compressed here, so its answer does not vary with the header.
    assert "Vary" not in client.get("/t/image", headers=GZIP).headers


def test_small_bodies_images_streams_and_encoded_bodies_are_left_alone(client):
    small = client.get("/t/small", headers=BROWSER)
    assert small.headers.get("Content-Encoding") is None and len(small.data) < MIN_COMPRESS_BYTES
    image = client.get("/t/image", headers=BROWSER)
    assert image.headers.get("Content-Encoding") is None and len(image.data) == 5008
    stream = client.get("/t/stream", headers=BROWSER)
    assert stream.headers.get("Content-Encoding") is None and stream.data == PAGE
    encoded = client.get("/t/encoded", headers=BROWSER)
    assert encoded.headers["Content-Encoding"] == "gzip" and encoded.data == PAGE
    # send_file of a text file that is not one of our static files: streamed as it is.
    served = client.get("/t/file", headers=BROWSER)
    assert served.headers.get("Content-Encoding") is None and len(served.data) == 5008


def test_json_is_compressed_too(client):
    r = client.get("/t/json", headers=GZIP)
    assert r.headers["Content-Encoding"] == "gzip" and decoded(r).startswith(b'{"a": "xxx')


def test_a_compressed_body_carries_the_weak_form_of_the_strong_etag(client):
    assert client.get("/t/page").headers["ETag"] == '"v42"'
    r = client.get("/t/page", headers=BROWSER)
    assert r.headers["ETag"] == 'W/"v42"'
    # Not asked for: not compressed, and the strong ETag stays.
    assert client.get("/t/page", headers={"Accept-Encoding": "identity"}).headers["ETag"] == '"v42"'


def test_compression_runs_after_every_other_hook(app):
    # Flask runs after_request hooks last-registered first: compress must be at the front of
    # the list so that hooks registered before it (extensions, ETags) are already done.
    from tracking.web import compress

    assert app.after_request_funcs[None][0] is compress


def test_the_weak_etag_sent_back_gets_a_304_even_from_a_strongly_comparing_view(client):
    held = client.get("/t/conditional", headers=BROWSER).headers["ETag"]
    assert held == 'W/"v42"'
    again = client.get("/t/conditional", headers={**BROWSER, "If-None-Match": held})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == 'W/"v42"' and "Accept-Encoding" in again.headers["Vary"]
    # The view's own 304 for its strong tag keeps it strong; a changed page is a 200.
    plain = client.get("/t/conditional", headers={"If-None-Match": '"v42"'})
    assert plain.status_code == 304 and plain.headers["ETag"] == '"v42"'
    stale = client.get("/t/conditional", headers={**BROWSER, "If-None-Match": 'W/"v41"'})
    assert stale.status_code == 200 and decoded(stale) == PAGE


def test_a_view_304_answering_a_compressed_copy_says_which_one(client):
    # The client holds both tags (a proxy's copy and its own): the strong one matched.
    r = client.get("/t/conditional", headers={**BROWSER, "If-None-Match": 'W/"v42", "v42"'})
    assert r.status_code == 304 and r.headers["ETag"] == '"v42"'


def test_staff_pages_are_not_compressed(client):
    r = client.get("/admin/t/page", headers=BROWSER)
    assert r.headers.get("Content-Encoding") is None and r.data == PAGE


def test_static_files_are_compressed_once_and_304_still_works(client):
    url = "/static/vendor/htmx-2.0.8.min.js"
    plain = client.get(url)
    assert plain.headers.get("Content-Encoding") is None and len(plain.data) > 50_000
    r = client.get(url, headers=BROWSER)
    assert r.headers["Content-Encoding"] == "br" and brotli.decompress(r.data) == plain.data
    assert r.headers["ETag"] == "W/" + plain.headers["ETag"] and "Accept-Ranges" not in r.headers
    assert client.get(url, headers=BROWSER).data == r.data  # the same bytes: a strong copy
    again = client.get(url, headers={**BROWSER, "If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == r.headers["ETag"]
    # A range is served from the plain file.
    part = client.get(url, headers={**BROWSER, "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == plain.data[:100]
    assert part.headers.get("Content-Encoding") is None


def test_head_is_compressed_like_get(client):
    get = client.get("/t/page", headers=GZIP)
    head = client.head("/t/page", headers=GZIP)
    assert head.headers["Content-Encoding"] == "gzip"
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_error_pages_are_compressed(client):
    r = client.get("/no/such/page/at/all", headers=GZIP)
    assert r.status_code == 404
    assert r.headers["Content-Encoding"] == "gzip" and b"</html>" in decoded(r)
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
