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
