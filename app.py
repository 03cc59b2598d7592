"""Todoku's application factory; ``app`` is what gunicorn and ``flask --app app`` load."""

from __future__ import annotations

import logging
import os

from flask import Flask
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

from tracking import brands, cli, db, errors, estimate_display, i18n, templating
from tracking.config import load_config
from tracking.extensions import csrf, limiter
from tracking.web import portal, site
from tracking.web import returns as returns_web


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("TODOKU_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.from_mapping(load_config(app.instance_path, test_config))
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    if app.config["TRUST_PROXY_HOPS"]:
        # Behind a reverse proxy: take the client address from X-Forwarded-For, or every
        # customer would share the proxy's rate-limit budget.
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    # A bad brand file stops start-up here, naming the file and key.
    app.extensions["todoku_brands"] = brands.load_brands(app.config["BRANDS_DIR"])

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    db.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    estimate_display.init_app(app)
    Htmx(app)
    csrf.init_app(app)
    limiter.init_app(app)
    errors.init_app(app)
    app.register_blueprint(site.bp)
    app.register_blueprint(portal.bp)
    returns_web.init_app(app)
    cli.init_app(app)
    return app


app = create_app()
