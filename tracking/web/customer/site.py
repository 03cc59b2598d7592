"""Site-wide routes: health check, the landing page, brand assets."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)

from tracking.db import ping
from tracking.web import brand_or_404, brands
from tracking.web.customer.portal import lookup_form

bp = Blueprint("site", __name__)
FAVICON_MAX_AGE = 7 * 86400


@bp.get("/healthz")
def healthz():
    try:
        ping()
    except Exception as exc:  # any DB failure means "not healthy"; say which, not how
        current_app.logger.error("health check: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def index():
    host = request.host.lower()
    for brand in brands().values():
        if host in brand.hostnames:
            return lookup_form(brand.slug)  # a brand's own hostname serves its lookup page
    listed = [] if current_app.config["TODOKU_ENV"] == "production" else list(brands().values())
    return render_template("site/index.html", brands=listed)


@bp.get("/favicon.ico")
def favicon():
    """Pages link the fingerprinted copy (cached a year); this is for clients that ask the
    conventional address by themselves (it was a 404). A week: the address never changes."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=FAVICON_MAX_AGE)


@bp.get("/<brand_slug>/logo")
def logo(brand_slug: str):
    brand = brand_or_404(brand_slug)
    if not brand.theme.logo:
        abort(404)
    assets = Path(current_app.config["BRANDS_DIR"]) / "assets"
    return send_from_directory(assets, brand.theme.logo, max_age=86400)


@bp.get("/<brand_slug>/icon")
def icon(brand_slug: str):
    """The brand's tab icon (``theme.icon``, else its logo unless a wordmark)."""
    brand = brand_or_404(brand_slug)
    if not brand.theme.tab_icon:
        abort(404)
    assets = Path(current_app.config["BRANDS_DIR"]) / "assets"
    return send_from_directory(assets, brand.theme.tab_icon, max_age=86400)
