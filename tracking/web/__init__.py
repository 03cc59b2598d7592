"""Blueprints. Views stay thin: parse input → call a service → render.

The request guard (``guard_requests``): every request's body cap, path, query string and form
fields are checked (tracking.normalize) before any view runs; ``<int:…>`` stops at INTEGER.
gunicorn's start-up hooks live in tracking/operations/gunicorn_conf.py."""

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
