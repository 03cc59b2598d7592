"""Operator commands: ``flask --app app db upgrade``, ``demo``, ``worker``."""

from __future__ import annotations

import logging
import os
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import Session, select

from carriers.cli import carriers_cli

from . import demo, estimate_cli, mail, migrate, staff, sync
from .db import get_engine, get_session
from .models import Order
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
    session = get_session()
    demo.load(session)
    # Every order of the demo shops, including those the feature demos add.
    orders = session.exec(
        select(Order).where(Order.brand.in_(demo.BRANDS)).order_by(Order.brand.desc(), Order.number)
    ).all()
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
    """The background worker: polls carriers for due shipments and delivers queued mail."""
    cfg = current_app.config
    brands = current_app.extensions["todoku_brands"]
    while True:
        try:
            with Session(get_engine(), expire_on_commit=False) as session:
                report = sync.run_round(session, brands)
                sent = mail.deliver_pending(session, cfg["SMTP_URL"], cfg["MAIL_FROM"])
        except Exception:  # a bad round must not kill the worker; the next one retries
            log.exception("worker: round failed")
        else:
            log.info(
                "worker: %d checked, %d changed, %d new events, %d failed, %d skipped; %d mail sent",
                report.checked,
                report.updated,
                report.new_events,
                report.failed,
                report.skipped,
                sent,
            )
        if once:
            return
        time.sleep(interval)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(carriers_cli)
    app.cli.add_command(estimate_cli.estimate_cli)
    app.cli.add_command(staff.staff_cli)
