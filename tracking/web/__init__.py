"""Blueprints. Views stay thin: parse input → call a service → render."""

from flask import abort, current_app, g

from tracking.brands.brand import Brand


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
