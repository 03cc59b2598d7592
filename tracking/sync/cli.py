"""``flask --app app worker``: the background worker's loop (carrier rounds, mail, and the
admin's import jobs between rounds); ``carriers captured``: the
failures it captured (the ``carriers`` group is the library's; this command is added to it
from the tracking side, since ``carriers/`` imports nothing from ``tracking/``)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import Session

from carriers.cli import carriers_cli
from tracking.db import get_engine
from tracking.mail import line_outbox, outbox, triggers
from tracking.monitoring import logs, metrics
from tracking.orders.imports import jobs
from tracking.outbound import delivery as outbound_delivery
from tracking.outbound import sources as outbound_sources
from tracking.sync import capture, heartbeat
from tracking.sync.rounds import ROUND_LIMIT, run_round

log = logging.getLogger("todoku.worker")


# Work above this package that the worker runs once per round (``create_app`` registers it:
# privacy retention). Each takes (session, brands) and commits its own work.
ROUND_TASKS: list = []


#: Between rounds the worker looks for import jobs this often (seconds): staff wait for their
#: file's preview, not for the next round.
IMPORT_POLL = 2.0
#: Outbound deliveries: batches a round at most.
OUTBOUND_BATCHES = 10


def _imports(app, worker: str, beat: bool = True) -> int:
    """Run the import jobs that are due (stamping the heartbeat first when ``beat``); a failure
    is logged, never raised (the next look retries)."""
    try:
        if beat:
            with Session(get_engine(app)) as session:
                heartbeat.beat(session, worker)
        return jobs.run_pending(app, worker)
    except Exception:
        log.exception("worker: import jobs failed")
        return 0


def _wait(app, worker: str, seconds: float) -> None:
    """Until the next round: run import jobs as they come, looking every ``IMPORT_POLL`` (one
    small query when nothing waits) and stamping the heartbeat every ``heartbeat.EVERY``."""
    deadline = time.monotonic() + seconds
    last_beat = time.monotonic()
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(IMPORT_POLL, left))
        beat = time.monotonic() - last_beat >= heartbeat.EVERY.total_seconds()
        if beat:
            last_beat = time.monotonic()
        _imports(app, worker, beat)


def _outbound(session: Session, brands) -> int:
    """Outbound events: late orders' events, then every due delivery (docs/webhooks.md); a
    batch at a time while batches come back full, at most ``OUTBOUND_BATCHES`` a round (a
    backlog to a slow receiver must not hold the parcels' round back). Returns how many were
    delivered."""
    outbound_sources.scan_late(session, brands)
    delivered = 0
    for _ in range(OUTBOUND_BATCHES):
        outcomes = outbound_delivery.deliver_pending(session, brands)
        delivered += outcomes.get("delivered", 0)
        if sum(outcomes.values()) < outbound_delivery.BATCH:
            break
    return delivered


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one round (and the due import jobs) and exit.")
@click.option("--interval", default=60, show_default=True, help="Seconds between rounds.")
def worker_command(once: bool, interval: int) -> None:
    """The background worker: polls carriers for due shipments, queues time-based mail (late,
    not yet registered with the carrier), delivers queued mail, and runs the import jobs staff
    start at /admin/<brand>/import (looked for every couple of seconds between rounds)."""
    app = current_app._get_current_object()
    brands = app.extensions["todoku_brands"]
    worker = heartbeat.worker_name()
    while True:
        more_due = False
        imported = _imports(app, worker)
        started, report = time.perf_counter(), None
        try:
            with Session(get_engine(), expire_on_commit=False) as session:
                report = run_round(session, brands)
                queued = triggers.scan(session, brands)  # time-based mail: late, not registered
                sent = 0
                # Drain what is due, a batch (one SMTP connection) at a time.
                while batch := outbox.deliver_pending(session, brands):
                    sent += batch
                    if batch < outbox.BATCH:
                        break
                # LINE pushes: the same outbox, their own channel (docs/line.md)
                while batch := line_outbox.deliver_pending(session, brands):
                    sent += batch
                    if batch < outbox.BATCH:
                        break
                hooks = _outbound(session, brands)
                files, rows = jobs.cleanup(session, app.config)
                for task in ROUND_TASKS:
                    task(session, brands)
        except Exception:  # a bad round must not kill the worker; the next one retries
            log.exception("worker: round failed")
            metrics.record_round(report, time.perf_counter() - started, failed=True)
        else:
            metrics.record_round(report, time.perf_counter() - started)
            figures = {
                "checked": report.checked,
                "changed": report.updated,
                "new_events": report.new_events,
                "failed": report.failed,
                "skipped": report.skipped,
                "mail_queued": queued,
                "mail_sent": sent,
                "webhooks_delivered": hooks,
                "import_jobs": imported,
                "import_files_dropped": files,
                "import_rows_deleted": rows,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            log.info(
                "worker: %(checked)d checked, %(changed)d changed, %(new_events)d new events, "
                "%(failed)d failed, %(skipped)d skipped; %(mail_queued)d mail queued by time, "
                "%(mail_sent)d mail sent; %(webhooks_delivered)d webhooks delivered; %(import_jobs)d import jobs run, %(import_files_dropped)d "
                "import files dropped, %(import_rows_deleted)d import rows deleted; "
                "%(duration_ms).1f ms",
                figures,
                extra=logs.fields(**figures),
            )
            # A full claim means more may be due now (a backlog after an outage, a large
            # import): go again at once instead of leaving it for the next interval.
            more_due = report.claimed >= ROUND_LIMIT
        if once:
            return
        if not more_due:
            _wait(app, worker, interval)


@carriers_cli.command("captured")
@with_appcontext
@click.option(
    "--export",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write every captured body as a fixture file (+ a cases.toml stub per carrier).",
)
@click.option("--carrier", default=None, help="Only this carrier code.")
def captured_command(directory: Path | None, carrier: str | None) -> None:
    """Responses no parser could read (redacted): list them, or export them as fixtures."""
    with Session(get_engine(), expire_on_commit=False) as session:
        if directory is None:
            for row in capture.recent(session, limit=200):
                if carrier and row.carrier != carrier:
                    continue
                click.echo(
                    f"{row.id:>5} {row.captured_at:%Y-%m-%d %H:%M} {row.carrier:<10} "
                    f"{row.tracking_number:<24} {row.body_size:>7} B  {row.error}"
                )
            return
        written = capture.export(session, directory, carrier)
    click.echo(f"wrote {len(written)} file(s) under {directory}")
