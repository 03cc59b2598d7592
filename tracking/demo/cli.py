"""``flask --app app demo``: load the demo shops and print their links."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import select

from tracking.db import get_session
from tracking.demo import BRANDS, load
from tracking.orders.links import tracking_link
from tracking.orders.models import Order
from tracking.staff import demo as staff_demo


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo shops' orders (idempotent) and print one tracking link per order."""
    if not current_app.config["TODOKU_DEMO"]:
        raise click.ClickException(
            "the demo shops are off here (production): set TODOKU_DEMO=1 to load and serve them"
        )
    session = get_session()
    load(session)
    # Every order of the demo shops, including those the feature demos add.
    orders = session.exec(
        select(Order).where(Order.brand.in_(BRANDS)).order_by(Order.brand.desc(), Order.number)
    ).all()
    root = current_app.config["BASE_URL"]
    brands = current_app.extensions["todoku_brands"]
    click.echo("Demo orders loaded. Tracking links (signed; what a shipping mail carries):")
    for order in orders:
        click.echo(f"  {order.brand:<11} {order.number:<8} {tracking_link(order)}")
    click.echo("Lookup forms:")
    for slug in brands:
        click.echo(f"  {root}/{slug}/")
    click.echo(staff_demo.summary(root))
