"""``flask --app app worker``: the background worker's loop."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session

from tracking.db import get_engine
from tracking.mail import outbox
from tracking.sync.rounds import run_round

log = logging.getLogger("todoku.worker")


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--interval", default=60, show_default=True, help="Seconds between rounds.")
def worker_command(once: bool, interval: int) -> None:
    """The background worker: polls carriers for due shipments and delivers queued mail."""
    brands = current_app.extensions["todoku_brands"]
    while True:
        try:
            with Session(get_engine(), expire_on_commit=False) as session:
                report = run_round(session, brands)
                sent = outbox.deliver_pending(session, brands)
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
