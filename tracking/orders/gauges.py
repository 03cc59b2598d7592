"""What ``/metrics`` reads from the import jobs at scrape time (tracking.monitoring.metrics,
``DATABASE_GAUGES``): jobs by state, and how long the oldest queued one has waited for a worker
(it grows when no worker runs: staff's uploads wait unseen)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracking.monitoring.metrics import Reading
from tracking.orders.imports import jobs


def import_jobs(session: Session, now: datetime) -> list[Reading]:
    return [
        *(Reading("todoku_import_jobs", n, {"state": s}) for s, n in jobs.counts(session).items()),
        Reading(
            "todoku_import_jobs_oldest_queued_age_seconds",
            jobs.oldest_queued_seconds(session, now),
        ),
    ]
