"""Imports started from the admin page run in the worker, from rows of ``import_jobs``
(``tracking.orders.models.ImportJob``), so a web restart loses nothing and the web and the
worker need not share a disk.

The web only queues: the preview (a dry run) at upload, with the file's bytes on its row; the
import once, on confirm (the unique (file_id, kind) turns a second confirm into the first
import). The page reads the rows (``view``). The worker ``claim``s a queued job, or a running
one whose lease ran out (its worker died), with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (on
SQLite run one worker), and ``run_job`` runs it with ``run_import``, saving the progress and
renewing the lease as it goes. A job that lost its worker ``MAX_ATTEMPTS`` times fails.
``cleanup`` drops stored files after ``IMPORT_KEEP_DAYS`` and rows after
``IMPORT_ROWS_KEEP_DAYS``; ``counts`` and ``oldest_queued_seconds`` are read by metrics."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, delete, exists, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, defer
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.db import get_engine
from tracking.orders.imports.run import ImportFileError, Report, run_import
from tracking.orders.models import ImportJob
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

JOB_ID = "^[A-Za-z0-9_-]{16,32}$"
KINDS = ("preview", "import")
STATES = ("queued", "running", "done", "failed")
#: A claimed job is the worker's for this long; each saved progress (every
#: ``run.COMMIT_EVERY`` rows) renews it. A worker that dies leaves it to be taken again.
LEASE = timedelta(minutes=5)
#: A job whose worker died this many times is failed instead of being taken again.
MAX_ATTEMPTS = 3
SOURCE = "import:admin"  # the writer named in the orders' history


class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow to renew its lease)."""


# --- the web side: queue and read ---------------------------------------------------------


def enqueue_preview(
    session: Session, brand: str, fmt: str, filename: str, raw: bytes, history: bool = False
) -> str:
    """Store an uploaded file and queue its preview; returns the upload's id (the page's URL).
    ``history``: import its orders as history (``run_import``), chosen at upload. Commits."""
    file_id = secrets.token_urlsafe(18)
    session.add(
        ImportJob(
            file_id=file_id,
            kind="preview",
            brand=brand,
            format=fmt,
            filename=filename[:200],
            history=history,
            data=raw,
        )
    )
    session.commit()
    return file_id


def _rows(session: Session, brand: str, file_id: str) -> dict[str, ImportJob]:
    query = (
        select(ImportJob)
        .where(ImportJob.brand == brand, ImportJob.file_id == file_id)
        .options(defer(ImportJob.data))
    )
    return {row.kind: row for row in session.exec(query).all()}


def confirm(session: Session, brand: str, file_id: str) -> str:
    """Queue the import of a previewed file, exactly once: "queued" (now or by an earlier
    confirm: a double click, a second tab), "missing" (no such upload for ``brand``),
    "not_ready" (its preview has not finished well) or "gone" (its file is no longer kept).
    Race-safe in the database: two confirms at once insert one row, the unique constraint
    refuses the other. Commits."""
    if not re.fullmatch(JOB_ID, file_id or ""):
        return "missing"
    rows = _rows(session, brand, file_id)
    preview = rows.get("preview")
    if preview is None:
        return "missing"
    if "import" in rows:
        return "queued"
    if preview.state != "done":
        return "not_ready"
    kept = session.exec(
        select(ImportJob.id).where(ImportJob.id == preview.id, col(ImportJob.data).is_not(None))
    ).first()
    if kept is None:
        return "gone"
    session.add(
        ImportJob(
            file_id=file_id,
            kind="import",
            brand=brand,
            format=preview.format,
            filename=preview.filename,
            history=preview.history,
        )
    )
    try:
        session.commit()
    except IntegrityError:  # a concurrent confirm queued it first
        session.rollback()
    return "queued"


def _job_dict(row: ImportJob, now: datetime) -> dict:
    started = as_utc(row.started_at) if row.started_at else None
    finished = as_utc(row.finished_at) if row.finished_at else None
    return {
        "state": row.state,
        "report": row.report,
        "error": row.error,
        "params": row.params or {},
        "attempts": row.attempts,
        "waited": (now - as_utc(row.created_at)).total_seconds(),
        "seconds": round((finished - started).total_seconds(), 1) if started and finished else None,
    }


def view(session: Session, brand: str, file_id: str, now: datetime | None = None) -> dict | None:
    """What the job page shows of an upload, or None when ``brand`` has none by that id
    (another brand's is None): its file's name, format and history flag, whether its bytes
    are still kept, and each job's state, report, error and times."""
    if not re.fullmatch(JOB_ID, file_id or ""):
        return None
    rows = _rows(session, brand, file_id)
    preview = rows.get("preview")
    if preview is None:
        return None
    now = now or utcnow()
    kept = session.exec(
        select(ImportJob.id).where(ImportJob.id == preview.id, col(ImportJob.data).is_not(None))
    ).first()
    return {
        "brand": preview.brand,
        "format": preview.format,
        "filename": preview.filename,
        "history": preview.history,
        "kept": kept is not None,
        "jobs": {kind: _job_dict(row, now) for kind, row in rows.items()},
    }


# --- the worker side: claim, run, clean up -------------------------------------------------


def _due(now: datetime):
    return or_(
        ImportJob.state == "queued",
        and_(ImportJob.state == "running", col(ImportJob.lease_until) < now),
    )


def claim(session: Session, worker: str, now: datetime | None = None) -> int | None:
    """Take the oldest due job (queued, or running with its lease run out) for ``worker`` and
    commit the claim; returns its id, or None when nothing is due. On PostgreSQL a job another
    worker is claiming is skipped (``FOR UPDATE SKIP LOCKED``); the conditional update makes
    the claim safe without it too."""
    now = now or utcnow()
    job_id = session.exec(
        select(ImportJob.id)
        .where(_due(now))
        .order_by(ImportJob.created_at, ImportJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job_id is None:
        session.commit()
        return None
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, _due(now))
        .values(
            state="running",
            claimed_by=worker,
            lease_until=now + LEASE,
            attempts=ImportJob.attempts + 1,
            started_at=now,
        )
    )
    session.commit()
    return job_id if claimed.rowcount == 1 else None


def _save(session: Session, job_id: int, worker: str, **values) -> None:
    """Write ``values`` on a job this worker holds; ``LeaseLost`` when another worker took it."""
    done = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.claimed_by == worker)
        .values(**values)
    )
    session.commit()
    if done.rowcount != 1:
        raise LeaseLost(job_id)


def _finish(session: Session, job_id: int, worker: str, state: str, **values) -> None:
    values = {"state": state, "finished_at": utcnow(), "lease_until": None, **values}
    try:
        _save(session, job_id, worker, claimed_by="", **values)
    except LeaseLost:
        log.warning("import job %s: finished after another worker took it over", job_id)


def run_job(app: Flask, job_id: int, worker: str) -> str:
    """Run a job this worker claimed; returns its final state ("done", "failed"), or "lost"
    when another worker took it over. Runs inside ``app``."""
    engine = get_engine(app)
    with Session(engine, expire_on_commit=False) as status, Session(engine) as work:
        job = status.exec(
            select(ImportJob).where(ImportJob.id == job_id).options(defer(ImportJob.data))
        ).one()
        if job.attempts > MAX_ATTEMPTS:
            _finish(status, job_id, worker, "failed", error="gave_up", params={"n": MAX_ATTEMPTS})
            return "failed"
        raw = status.exec(
            select(ImportJob.data).where(
                ImportJob.file_id == job.file_id, ImportJob.kind == "preview"
            )
        ).first()
        brand: Brand | None = app.extensions["todoku_brands"].get(job.brand)
        if raw is None or brand is None:
            _finish(status, job_id, worker, "failed", error="file_gone")
            return "failed"
        dry_run = job.kind == "preview"
        # A dry run holds its writes open until it rolls back: SQLite (one writer) cannot
        # save progress beside it, so there the preview shows no count until it is done.
        silent = dry_run and engine.dialect.name == "sqlite"

        def progress(report: Report) -> None:
            if not silent:
                lease = utcnow() + LEASE
                _save(status, job_id, worker, report=report.as_dict(20), lease_until=lease)

        try:
            report = run_import(
                work,
                brand,
                job.format,
                raw,
                dry_run=dry_run,
                source=SOURCE,
                progress=progress,
                history=job.history,
            )
        except ImportFileError as exc:
            work.rollback()
            _finish(status, job_id, worker, "failed", error=exc.code, params=exc.params)
            return "failed"
        except LeaseLost:
            work.rollback()
            log.warning("import job %s: another worker took it over", job_id)
            return "lost"
        except Exception:  # noqa: BLE001  (the page must say so, not poll forever)
            work.rollback()
            log.exception("import job %s (%s) failed", job_id, job.kind)
            _finish(status, job_id, worker, "failed", error="internal_error")
            return "failed"
        _finish(status, job_id, worker, "done", report=report.as_dict())
        return "done"


def run_pending(app: Flask, worker: str, limit: int = 100) -> int:
    """Claim and run due jobs one after another until none is due (at most ``limit``);
    returns how many ran. The worker calls it every couple of seconds between rounds."""
    ran = 0
    while ran < limit:
        with Session(get_engine(app)) as session:
            job_id = claim(session, worker)
        if job_id is None:
            return ran
        started = time.monotonic()
        state = run_job(app, job_id, worker)
        log.info("import job %s: %s in %.1f s", job_id, state, time.monotonic() - started)
        ran += 1
    return ran


def cleanup(session: Session, config: Mapping, now: datetime | None = None) -> tuple[int, int]:
    """Drop the files of uploads whose jobs all finished more than ``IMPORT_KEEP_DAYS`` ago
    (nothing queued or running, nothing finished since), and delete rows finished more than
    ``IMPORT_ROWS_KEEP_DAYS`` ago; returns (files dropped, rows deleted). Commits."""
    now = now or utcnow()
    files_before = now - timedelta(days=int(config["IMPORT_KEEP_DAYS"]))
    rows_before = now - timedelta(days=int(config["IMPORT_ROWS_KEEP_DAYS"]))
    other = aliased(ImportJob)
    busy = exists().where(
        other.file_id == ImportJob.file_id,
        or_(
            col(other.state).in_(("queued", "running")),
            col(other.finished_at).is_(None),
            other.finished_at >= files_before,
        ),
    )
    dropped = session.execute(
        update(ImportJob)
        .where(col(ImportJob.data).is_not(None), ~busy)
        .values(data=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    deleted = session.execute(
        delete(ImportJob)
        .where(col(ImportJob.state).in_(("done", "failed")), ImportJob.finished_at < rows_before)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return dropped, deleted


# --- read by metrics ------------------------------------------------------------------------


def counts(session: Session) -> dict[str, int]:
    """Jobs by state, every state named (0 when none): the "import jobs by state" gauge."""
    found = dict(
        session.exec(select(ImportJob.state, func.count()).group_by(ImportJob.state)).all()
    )
    return {state: int(found.get(state, 0)) for state in STATES}


def oldest_queued_seconds(session: Session, now: datetime | None = None) -> float:
    """How long the oldest queued job has waited for a worker (0 when none waits)."""
    oldest = session.exec(
        select(func.min(ImportJob.created_at)).where(ImportJob.state == "queued")
    ).one()
    if oldest is None:
        return 0.0
    return max(((now or utcnow()) - as_utc(oldest)).total_seconds(), 0.0)
