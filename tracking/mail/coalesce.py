"""Updates folded into one mail: rows sharing a ``coalesce_key`` (a return's, "return:<RMA>")
are at most one *pending* (``queued``) mail at a time, which says the latest state, and go out
at most once per ``[mail] return_mail_minutes``.

Queueing a new update of a key: its unsent predecessor is marked ``superseded``, and the new
row (due by its own quiet hours) waits, if need be, until the window after the key's last mail
went (or is going) out. A return walked through six states in
three minutes so mails its customer once or twice, with the latest state, instead of six times.

Race-safe in the database: a partial unique index (``uq_notifications_pending_coalesce``,
migration 0017) allows one ``queued`` row per non-empty key. Two writers that queue the same key
at once would each supersede what they see and insert; the second insert waits for the first
writer's commit and fails, and it tries again, now superseding the first writer's row. On
PostgreSQL a transaction-scoped advisory lock per key queues such writers before they start, so
twenty at once need no retries (tests/mail/test_hours.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking.db import savepoint
from tracking.mail.models import Notification
from tracking.timeutil import as_utc, utcnow

SUPERSEDED = "a later update replaced it"
TRIES = 5


def _not_before(session: Session, key: str, window: timedelta, due: datetime) -> datetime:
    """``due``, or later: the key's last mail's send plus ``window`` (one being sent right now
    counts as sent now)."""
    rows = session.exec(
        select(Notification.status, func.max(Notification.sent_at))
        .where(
            Notification.coalesce_key == key,
            col(Notification.status).in_(("sent", "sending")),
        )
        .group_by(Notification.status)
    ).all()
    out = as_utc(due)
    for status, sent_at in rows:
        last = as_utc(sent_at) if status == "sent" and sent_at is not None else utcnow()
        out = max(out, last + window)
    return out


def _lock(session: Session, key: str) -> None:
    if session.connection().dialect.name == "postgresql":
        # Writers of one key queue one after the other (until each commits), so none retries;
        # the index stays the guarantee. SQLite serialises every writer anyway.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def replaced(session: Session, note: Notification) -> bool:
    """Going back to the queue (a retry, a released claim), is ``note`` replaced by a later
    update of its key queued meanwhile? Then it is superseded, not queued twice."""
    if not note.coalesce_key:
        return False
    _lock(session, note.coalesce_key)
    later = session.exec(
        select(Notification.id).where(
            Notification.coalesce_key == note.coalesce_key,
            Notification.status == "queued",
            Notification.id != note.id,
        )
    ).first()
    return later is not None


def add(session: Session, note: Notification, window: timedelta) -> Notification:
    """Queue ``note`` (a fresh row with ``coalesce_key`` set) in place of its key's pending
    mail; returns the row, or the one already queued for its ``dedupe_key``. Does not commit."""
    key, dedupe = note.coalesce_key, note.dedupe_key
    _lock(session, key)
    for _ in range(TRIES):
        existing = session.exec(
            select(Notification).where(Notification.dedupe_key == dedupe)
        ).first()
        if existing is not None:
            return existing
        note.send_after = _not_before(session, key, window, note.send_after)
        try:
            with savepoint(session):
                session.execute(
                    update(Notification)
                    .where(Notification.coalesce_key == key, Notification.status == "queued")
                    .values(status="superseded", last_error=SUPERSEDED)
                    .execution_options(synchronize_session=False)
                )
                session.add(note)
        except IntegrityError:  # a concurrent writer queued this key (or this event) first
            continue
        return note
    raise RuntimeError(f"could not queue mail for {key} after {TRIES} tries")
