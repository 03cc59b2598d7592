"""Operator commands: ``flask --app app db upgrade``, ``demo``, ``worker``."""

from __future__ import annotations

import logging
import os
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import demo, mail, migrate, staff
from .db import get_session
from .returns import demo as returns_demo
from .security import order_token

log = logging.getLogger("todoku.worker")
db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    migrate.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION ("base" for empty)."""
    migrate.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None, help="e.g. 0002 — keeps the history readable")
def db_revision(message: str, rev_id: str | None) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    migrate.revision(current_app.config["DATABASE_URL"], message, rev_id)


def base_url() -> str:
    return os.environ.get("TODOKU_BASE_URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo shops' orders (idempotent) and print one tracking link per order."""
    orders = demo.load(get_session())
    root = base_url()
    brands = current_app.extensions["todoku_brands"]
    click.echo("Demo orders loaded. Tracking links (signed; what a shipping mail carries):")
    for order in orders:
        token = order_token(order.brand, order.public_id)
        click.echo(f"  {order.brand:<11} {order.number:<8} {root}/{order.brand}/o/{token}")
    click.echo("Lookup forms:")
    for slug in brands:
        click.echo(f"  {root}/{slug}/")
    click.echo(returns_demo.summary(root))


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--interval", default=60, show_default=True, help="Seconds between rounds.")
def worker_command(once: bool, interval: int) -> None:
    """The background worker: delivers queued mail. Carrier polling arrives with the sync work."""
    cfg = current_app.config
    while True:
        sent = mail.deliver_pending(get_session(), cfg["SMTP_URL"], cfg["MAIL_FROM"])
        log.info("worker: %d mail sent; carrier sync not built yet", sent)
        if once:
            return
        time.sleep(interval)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(staff.staff_cli)
