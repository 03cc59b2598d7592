"""Blueprints. Views stay thin: parse input → call a service → render.

Also gunicorn's start-up hook: the Procfile runs ``gunicorn -c python:tracking.web``, and
gunicorn takes ``on_starting`` from this module (it reads only names of its own settings)."""

import os

from flask import abort, current_app, g

from tracking.brands.brand import Brand
from tracking.config import ConfigError, shared_limits_problem


def on_starting(server) -> None:
    """Before gunicorn forks its workers: several workers without shared rate-limit storage
    stop a production start (ConfigError is a RuntimeError, which gunicorn prints as
    "Error: …" before it exits with 1) and get a warning in development."""
    problem = shared_limits_problem(server.cfg.workers, os.environ)
    if problem is None:
        return
    if os.environ.get("TODOKU_ENV", "development") == "production":
        raise ConfigError(problem)
    server.log.warning("%s (allowed outside production)", problem)


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
