"""``flask --app app estimate simulate N`` and ``flask --app app estimate evaluate``."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, insert
from sqlmodel import select

from tracking.db import get_session
from tracking.estimates.config import ShippingConfig
from tracking.estimates.models import LaneObservation
from tracking.estimates.sim import evaluate, simulate
from tracking.timeutil import utcnow

estimate_cli = AppGroup("estimate", help="Delivery estimates: synthetic history and accuracy.")


@estimate_cli.command("simulate")
@click.argument("n", type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=7, show_default=True)
@click.option("--keep", is_flag=True, help="Add to earlier synthetic history instead of replacing.")
def simulate_command(n: int, seed: int, keep: bool) -> None:
    """Write N synthetic delivered parcels (ending yesterday) into the learned lanes' history."""
    session = get_session()
    if not keep:
        session.execute(delete(LaneObservation).where(LaneObservation.synthetic.is_(True)))
    rows = simulate(n, utcnow().date() - timedelta(days=1), seed=seed)
    payload = [r.model_dump(exclude={"id"}) for r in rows]
    for i in range(0, len(payload), 5000):
        session.execute(insert(LaneObservation), payload[i : i + 5000])
    session.commit()
    click.echo(f"{len(rows)} synthetic deliveries written; run `flask --app app estimate evaluate`")


@estimate_cli.command("evaluate")
@click.option("--holdout", default=0.2, show_default=True, help="Newest share kept for testing.")
@click.option("--brand", default="", help="Whose [shipping] settings to use (default: built-in).")
def evaluate_command(holdout: float, brand: str) -> None:
    """Accuracy of each estimate source over delivered parcels, on a held-out newer part."""
    chosen = current_app.extensions["todoku_brands"].get(brand) if brand else None
    if brand and chosen is None:
        raise click.BadParameter(f"no brand {brand!r}", param_hint="--brand")
    cfg = chosen.shipping if chosen else ShippingConfig()
    rows = list(get_session().exec(select(LaneObservation)).all())
    if len(rows) < 10:
        raise click.ClickException("fewer than 10 delivered parcels; try `estimate simulate`")
    for line in evaluate(rows, cfg, holdout).lines():
        click.echo(line)
