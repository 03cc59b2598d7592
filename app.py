"""Todoku's application factory. Nothing is built at import: gunicorn runs ``app:create_app()``
and ``flask --app app`` finds ``create_app`` by itself, so importing this module (as tests and
tools do) never builds an app from whatever environment happens to be set.

``create_app`` is the table of contents: every extension, Jinja helper set, blueprint and CLI
group is registered here and nowhere else.
"""

from __future__ import annotations

import os

from flask import Flask
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

from carriers.cli import carriers_cli
from tracking import db, errors, i18n, migrate, security, templating, web
from tracking.addresses import jinja as addresses_jinja
from tracking.brands import cli as brands_cli
from tracking.brands.brand import BrandConfigError
from tracking.brands.registry import BrandRegistry
from tracking.config import ConfigError, load_config, refuse_start
from tracking.dashboard.cli import dashboard_cli
from tracking.demo.cli import demo_command
from tracking.estimates import display as estimates_display
from tracking.estimates.cli import estimate_cli
from tracking.extensions import csrf, init_limiter
from tracking.line import channels as line_channels
from tracking.mail import transport as mail_transport
from tracking.mail.cli import coupons_cli
from tracking.monitoring import logs, metrics
from tracking.operations.cli import backup_command, restore_command
from tracking.orders.cli import orders_cli
from tracking.outbound import signing as outbound_signing
from tracking.privacy import retention
from tracking.privacy.cli import privacy_cli
from tracking.returns import display as returns_display
from tracking.staff.cli import staff_cli
from tracking.sync import accounts as carrier_accounts
from tracking.sync.cli import ROUND_TASKS, worker_command
from tracking.web import staff
from tracking.web.api import metrics as metrics_view
from tracking.web.api import routes as api
from tracking.web.customer import line as line_optin
from tracking.web.customer import portal, site, unsubscribe
from tracking.web.customer import returns as returns_desk
from tracking.web.hooks import carrier as carrier_hooks
from tracking.web.hooks import line as line_hooks
from tracking.web.hooks import shop as shop_hooks
from tracking.web.staff import carriers as staff_carriers
from tracking.web.staff import dashboard
from tracking.web.staff import imports as staff_imports
from tracking.web.staff import webhooks as staff_webhooks


def create_app(test_config: dict | None = None) -> Flask:
    try:
        return _create_app(test_config)
    except ConfigError as error:  # a missing setting or secret: its lines, not a traceback
        refuse_start(error)
        raise


def _create_app(test_config: dict | None) -> Flask:
    app = Flask(
        __name__,
        # The one setting read before the config: the config's own defaults live under it.
        instance_path=os.environ.get("TODOKU_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    app.config.from_mapping(load_config(app.instance_path, test_config))
    # First: every later start-up line, request and worker round goes through its handler.
    logs.configure(app)
    if app.config["TRUST_PROXY_HOPS"]:
        # Behind a reverse proxy: take the client address from X-Forwarded-For, or every
        # customer would share the proxy's rate-limit budget.
        hops = app.config["TRUST_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    def secrets_problems(brands) -> list[str]:
        # A brand's mail server secret missing from the environment, or a variable a brand
        # names for its own carrier account.
        problems = mail_transport.check_brands(brands, app.config["SMTP_SECRETS"])
        problems += line_channels.check_brands(brands, app.config["LINE_CHANNELS"])
        problems += outbound_signing.check_brands(brands, app.config["WEBHOOK_ENVIRON"])
        return problems + carrier_accounts.check_brands(brands, app.config["CARRIER_ENVIRON"])

    # A bad brand file stops start-up here, one line per problem (docs/brand-config.md);
    # an edited file is picked up later without a restart (BRANDS_RELOAD_SECONDS).
    try:
        app.extensions["todoku_brands"] = BrandRegistry(
            app.config["BRANDS_DIR"],
            app.config["BRANDS_RELOAD_SECONDS"],
            secrets_problems,
            demo=app.config["TODOKU_DEMO"],
            production=app.config["TODOKU_ENV"] == "production",
        )
    except BrandConfigError as exc:
        app.extensions["todoku_brands"] = brands_cli.refuse_cli_start(app, exc)
    problems = secrets_problems(app.extensions["todoku_brands"])
    if problems:
        raise ConfigError("\n".join(problems))

    # Extensions.
    db.init_app(app)
    # First of the request hooks: every request is counted, refused ones too.
    metrics.init_app(app)
    # Before any blueprint: the bounded <int:…> converter applies as routes are added.
    web.guard_requests(app)
    i18n.init_app(app)
    Htmx(app)
    csrf.init_app(app)
    security.init_app(app)  # after csrf: its cheaper csrf_token() and session serializer
    init_limiter(app)
    errors.init_app(app)

    # Jinja helpers and response headers; compression runs after every other response hook.
    templating.init_app(app)
    web.compress_responses(app)
    estimates_display.init_app(app)
    returns_display.init_app(app)
    addresses_jinja.init_app(app)

    # Blueprints.
    # Customer side (tracking.web.customer).
    app.register_blueprint(site.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(returns_desk.bp)
    app.register_blueprint(unsubscribe.bp)
    app.register_blueprint(line_optin.bp)
    # Staff side (tracking.web.staff): "admin" carries login, the returns queue and mail;
    # "dashboard" carries one module per screen.
    app.register_blueprint(staff.admin)
    app.register_blueprint(staff_carriers.bp)
    app.register_blueprint(staff_imports.bp)
    app.register_blueprint(staff_webhooks.bp)
    app.register_blueprint(dashboard.bp)
    # Machines: the JSON API, the metrics scrape and the signed webhooks.
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics_view.bp)
    app.register_blueprint(shop_hooks.bp)
    app.register_blueprint(line_hooks.bp)
    app.register_blueprint(carrier_hooks.bp)

    # The worker's work from packages above sync/ (it cannot import them).
    if retention.round_task not in ROUND_TASKS:
        ROUND_TASKS.append(retention.round_task)

    # CLI groups (``flask --app app --help``).
    for command in (
        migrate.db_cli,
        i18n.translate_cli,
        demo_command,
        worker_command,
        carriers_cli,
        estimate_cli,
        staff_cli,
        orders_cli,
        dashboard_cli,
        coupons_cli,
        brands_cli.brands_cli,
        backup_command,
        privacy_cli,
        restore_command,
    ):
        app.cli.add_command(command)
    return app
