"""``flask --app app dashboard digest``: queue the daily watchlist digest of every brand."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from tracking.dashboard import alerts
from tracking.db import get_session

dashboard_cli = AppGroup("dashboard", help="The merchant's dashboard: alerts.")


@dashboard_cli.command("digest")
def digest_command() -> None:
    """Queue each brand's watchlist digest (run once a day, e.g. from cron)."""
    for slug, brand in sorted(current_app.extensions["todoku_brands"].items()):
        n = alerts.run(get_session(), brand, current_app.config["BASE_URL"])
        click.echo(f"{slug}: {n} mails queued")
