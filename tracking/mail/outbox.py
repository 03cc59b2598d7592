"""Mail: an outbox table, and delivery over SMTP when ``SMTP_URL`` is set.

Without SMTP (the demo, development) mail stays in the outbox, where staff read it in the admin
mail preview. ``enqueue`` never sends: delivery happens in the worker, outside any request.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking.mail.models import Notification
from tracking.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def enqueue(
    session: Session,
    *,
    brand: str,
    kind: str,
    dedupe_key: str,
    to: str,
    subject: str,
    body: str,
    locale: str = "ja",
    order_id: int | None = None,
) -> Notification:
    """Add a mail to the outbox unless one with ``dedupe_key`` exists; returns the row.

    Does not commit: the caller's transaction decides whether the mail exists at all.
    """
    existing = session.exec(
        select(Notification).where(Notification.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return existing
    note = Notification(
        brand=brand,
        kind=kind,
        dedupe_key=dedupe_key,
        to_address=to,
        subject=subject,
        body_text=body,
        locale=locale,
        order_id=order_id,
    )
    try:
        with session.begin_nested():
            session.add(note)
    except IntegrityError:  # a concurrent writer queued the same event first
        return session.exec(select(Notification).where(Notification.dedupe_key == dedupe_key)).one()
    return note


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlparse(url)
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    conn = cls(
        parts.hostname or "localhost",
        parts.port or (465 if parts.scheme == "smtps" else 25),
        timeout=10,
    )
    if parts.scheme == "smtp+starttls":
        conn.starttls()
    if parts.username:
        conn.login(unquote(parts.username), unquote(parts.password or ""))
    return conn


def deliver_pending(session: Session, smtp_url: str | None, sender: str, limit: int = 50) -> int:
    """Send queued mail; returns how many were sent. Without ``smtp_url`` nothing is sent."""
    if not smtp_url:
        return 0
    queued = session.exec(
        select(Notification)
        .where(Notification.status == "queued")
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    if not queued:
        return 0
    sent = 0
    with _smtp(smtp_url) as conn:
        for note in queued:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = sender, note.to_address, note.subject
            msg.set_content(note.body_text)
            try:
                conn.send_message(msg)
            except smtplib.SMTPException as exc:
                note.attempts += 1
                note.last_error = str(exc)[:500]
                note.status = "failed" if note.attempts >= MAX_ATTEMPTS else "queued"
                log.warning("mail %s not sent: %s", note.id, exc)
            else:
                note.status, note.sent_at = "sent", utcnow()
                sent += 1
            session.add(note)
    session.commit()
    return sent
