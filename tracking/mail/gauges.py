"""What ``/metrics`` reads from the outbox at scrape time (tracking.monitoring.metrics,
``DATABASE_GAUGES``): how much mail waits, and how long the longest-waiting due mail has."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from tracking.mail.models import Notification
from tracking.monitoring.metrics import Reading
from tracking.timeutil import as_utc


def outbox(session: Session, now: datetime) -> list[Reading]:
    """Mails not yet sent by state (due, scheduled, sending), and the seconds since the
    longest-waiting due mail could have gone. A claim that ran out (its worker died) is due
    again, as the next delivery round sees it."""
    n = Notification
    due = or_(
        and_(n.status == "queued", n.send_after <= now),
        and_(n.status == "sending", n.claimed_until < now),
    )
    # The first case that fits: a NULL comparison falls through to the next one.
    state = case((due, "due"), (n.status == "queued", "scheduled"), else_="sending")
    due_count, scheduled_count, sending_count, first = session.exec(
        select(
            func.count(case((state == "due", 1))),
            func.count(case((state == "scheduled", 1))),
            func.count(case((state == "sending", 1))),
            func.min(case((state == "due", n.send_after))),
        ).where(n.status.in_(("queued", "sending")))
    ).one()
    oldest = as_utc(first)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    counts = {"due": due_count, "scheduled": scheduled_count, "sending": sending_count}
    return [
        *(Reading("todoku_outbox_mails", c, {"state": s}) for s, c in counts.items()),
        Reading("todoku_outbox_oldest_queued_age_seconds", age),
    ]
