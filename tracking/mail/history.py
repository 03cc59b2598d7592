"""The mails a brand has sent or queued, as staff look them up: the latest ones for the mail
page, and one of them (its HTML, "send again"). Another brand's mail is never found."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracking.mail.models import Notification


def recent(session: Session, brand: str, limit: int = 100) -> list[Notification]:
    """``brand``'s newest mails first."""
    return list(
        session.exec(
            select(Notification)
            .where(Notification.brand == brand)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        ).all()
    )


def mail_of(session: Session, brand: str, note_id: int) -> Notification | None:
    """``brand``'s mail with this id, or None (also for another brand's)."""
    note = session.get(Notification, note_id)
    return note if note is not None and note.brand == brand else None
