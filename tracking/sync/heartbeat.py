"""The worker's sign of life: each worker process stamps its row (``WorkerHeartbeat``) at every
round and while it waits for import jobs, at most every ``EVERY``. The import page reads the
newest stamp to say plainly when no worker seems to be running (nothing else would tell staff
why their file waits)."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, func, select

from tracking.sync.models import WorkerHeartbeat
from tracking.timeutil import as_utc, utcnow

#: How often a worker stamps its row at most.
EVERY = timedelta(seconds=30)
#: No stamp for this long: no worker seems to be running (a round longer than this is rare).
SILENT = timedelta(minutes=5)
#: Rows of workers gone this long are deleted.
FORGET = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def beat(session: Session, worker: str, now: datetime | None = None) -> None:
    """Stamp ``worker``'s row (and forget workers gone for a day). Commits."""
    now = now or utcnow()
    row = session.exec(select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker)).first()
    if row is None:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET))
        row = WorkerHeartbeat(worker=worker, started_at=now, seen_at=now)
    row.seen_at = now
    session.add(row)
    session.commit()


def last_seen(session: Session) -> datetime | None:
    """When any worker was last seen (None: never)."""
    return as_utc(session.exec(select(func.max(WorkerHeartbeat.seen_at))).one())


def worker_silent(session: Session, now: datetime | None = None) -> bool:
    """True when no worker has stamped its row for ``SILENT``."""
    seen = last_seen(session)
    return seen is None or (now or utcnow()) - seen > SILENT
