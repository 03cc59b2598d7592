"""Blueprints. Views stay thin: parse input → call a service → render.

The request guard (``guard_requests``): every request's body cap, path, query string and form
fields are checked (tracking.normalize) before any view runs; ``<int:…>`` stops at INTEGER.

Compression (``compress_responses``): HTML, CSS, JS, JSON and SVG go out as brotli or gzip when
the browser asks for it (docs/operations.md, "Compression").

gunicorn's start-up hooks live in tracking/operations/gunicorn_conf.py."""

import gzip

import brotli
from flask import Blueprint, Flask, abort, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from tracking.brands.brand import Brand
from tracking.normalize import (
    MAX_FORM_VALUE,
    MAX_INT,
    MAX_PATH,
    MAX_QUERY_VALUE,
    check_text,
)
from tracking.templating import static_bytes, static_fingerprint


def brands() -> dict[str, Brand]:
    return current_app.extensions["todoku_brands"]


def brand_or_404(slug: str) -> Brand:
    """Put the brand on ``g`` (locale, timezone and theme read it) or 404."""
    brand = brands().get(slug)
    if brand is None:
        abort(404)
    g.brand = brand
    return brand


def no_store(response, *, hide_referrer: bool = False):
    """Private pages (an order, a return, the staff side): never cached. Customer pages also send
    no referrer, so a signed link never leaks to a site they click through to."""
    response.headers["Cache-Control"] = "private, no-store"
    if hide_referrer:
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` that stops at INTEGER's maximum: a larger id cannot name a row, and
    PostgreSQL would fail the query instead of finding nothing (→ 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


# Blueprint name → the config key of its body cap. Checked here, before anything else reads the
# body (this guard's own form parsing included): a webhook's signature is never computed over
# the 60 MiB a photo upload may send, and a chunked body without Content-Length stops at the cap.
_BODY_CAPS: dict[str, str] = {}


def cap_body(blueprint: Blueprint, config_key: str = "API_MAX_BODY_BYTES") -> None:
    _BODY_CAPS[blueprint.name] = config_key


def _cap_body() -> None:
    config_key = _BODY_CAPS.get(request.blueprint or "")
    if config_key is None:
        return
    cap = current_app.config[config_key]
    if request.content_length is not None and request.content_length > cap:
        raise RequestEntityTooLarge()
    # A chunked body has no length to check: read one byte past the cap (werkzeug's limited
    # stream stops there without a word) and keep what was read for the view.
    request.max_content_length = cap + 1
    if len(request.get_data(cache=True)) > cap:
        raise RequestEntityTooLarge()


def check_request() -> None:
    """The guard run before every view: body cap, path, query string and form fields."""
    _cap_body()
    check_text(request.path, "path", max_length=MAX_PATH)
    for key, value in request.args.items(multi=True):
        check_text(key, "query", max_length=200)
        check_text(value, key, max_length=MAX_QUERY_VALUE)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            check_text(key, "form", max_length=200)
            check_text(value, key, multiline=True, max_length=MAX_FORM_VALUE)
        for key, upload in request.files.items(multi=True):
            check_text(key, "form", max_length=200)
            check_text(upload.filename or "", key, max_length=500)


def guard_requests(app: Flask) -> None:
    """Before any blueprint: the bounded converter applies as routes are added."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(check_request)


# Text worth compressing; images, fonts, archives and PDFs are compressed already.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
        "text/plain",
        "text/xml",
        "application/xml",
    }
)
# Below this a body fits in one packet anyway, and the encoding's own bytes eat the gain.
MIN_COMPRESS_BYTES = 1024
# In the browser's order of preference when it accepts both equally (brotli: ~10 % smaller).
ENCODINGS = ("br", "gzip")
# Pages are compressed per response: quick settings (a 13 KB page in well under a millisecond).
# Static files are compressed once per version of the file: the smallest output.
_QUICK = {
    "br": lambda d: brotli.compress(d, quality=4),
    "gzip": lambda d: gzip.compress(d, 6, mtime=0),
}
_BEST = {
    "br": lambda d: brotli.compress(d, quality=11),
    "gzip": lambda d: gzip.compress(d, 9, mtime=0),
}
# (static filename, content hash, encoding) → compressed bytes; the static folder is small.
_STATIC_COMPRESSED: dict[tuple[str, str, str], bytes] = {}
# Staff pages carry a CSRF token and echo what staff typed (searches, filters): compressed, such a
# page would let a network attacker who can make a signed-in browser send requests guess the
# token byte by byte from the response sizes (BREACH). They are served uncompressed.
UNCOMPRESSED_PREFIXES = ("/admin/",)


def _chosen_encoding() -> str | None:
    accepted = request.accept_encodings
    best = max(ENCODINGS, key=accepted.quality)  # the first on a tie
    return best if accepted.quality(best) > 0 else None


def _static_compressed(encoding: str) -> bytes | None:
    filename = (request.view_args or {}).get("filename", "")
    fingerprint, data = static_fingerprint(filename), static_bytes(filename)
    if fingerprint is None or data is None or len(data) < MIN_COMPRESS_BYTES:
        return None
    key = (filename, fingerprint, encoding)
    if key not in _STATIC_COMPRESSED:
        _STATIC_COMPRESSED[key] = _BEST[encoding](data)
    return _STATIC_COMPRESSED[key]


def compress(response):
    """Compress the body when the client accepts brotli or gzip; run after every other hook.

    ETags (RFC 9110 8.8.1 and 8.8.3): a strong ETag names one exact byte sequence, so a
    compressed body cannot keep the uncompressed body's strong tag. It gets the weak form of it
    (``W/"…"``), as nginx and Django do: If-None-Match compares weakly, so a browser that sends
    the weak tag back still gets a 304, here even if the view compared strongly, and a 304
    answering such a browser carries the weak tag it holds."""
    if response.mimetype not in COMPRESSIBLE:
        return response
    # What a cache stores depends on Accept-Encoding, whether or not this one was compressed.
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    held = request.if_none_match
    if response.status_code == 304:
        if etag and not weak and held.is_weak(etag) and not held.is_strong(etag):
            response.set_etag(etag, weak=True)
        return response
    if (
        response.status_code < 200
        or response.status_code in (204, 206)
        or "Content-Encoding" in response.headers
        or request.path.startswith(UNCOMPRESSED_PREFIXES)
    ):
        return response
    encoding = _chosen_encoding()
    if encoding is None:
        return response
    body = _made_gzip(response)
    if body is not None:
        encoding = "gzip"
    elif response.direct_passthrough:  # send_file: only our static files, compressed once
        body = _static_compressed(encoding) if request.endpoint == "static" else None
        if body is None:
            return response
    elif response.is_streamed:  # a generator: left to stream as it is
        return response
    else:
        data = response.get_data()
        if len(data) < MIN_COMPRESS_BYTES:
            return response
        body = _QUICK[encoding](data)
    _release(response)
    if etag and not weak:
        response.set_etag(etag, weak=True)
    full_get = response.status_code == 200 and request.method in ("GET", "HEAD")
    if full_get and etag and held.contains_weak(etag):
        response.status_code = 304
        response.set_data(b"")
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.headers.pop("Accept-Ranges", None)  # ranges are served from the plain file only
    return response


def _made_gzip(response) -> bytes | None:
    """A tracking page's own gzip encoding (``response.gzip_body``, from ``page.gzipped``: the
    page's shared text deflated once per rendering), when the browser accepts gzip. Taken even
    where brotli would be a little smaller: compressing the whole page cost a third of a view."""
    made = getattr(response, "gzip_body", None)
    if made is None or response.is_streamed or not request.accept_encodings.quality("gzip"):
        return None
    data = response.get_data()
    return made(data) if len(data) >= MIN_COMPRESS_BYTES else None


def _release(response) -> None:
    """Close a send_file body before replacing it (the file handle)."""
    if response.direct_passthrough:
        close = getattr(response.response, "close", None)
        if close is not None:
            close()
        response.direct_passthrough = False


def compress_responses(app: Flask) -> None:
    """Registered so that it runs after every other after_request hook (Flask runs them in
    reverse order of registration): it must see the final body and headers."""
    app.after_request_funcs.setdefault(None, []).insert(0, compress)
