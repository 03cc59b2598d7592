"""The staff page's reading side: a brand's recent deliveries (newest first) and how many are
in each status, in two queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import Session, col, select

from tracking.outbound.delivery import GONE, REMOVED
from tracking.outbound.events import ERASED
from tracking.outbound.models import OutboundDelivery, OutboundEvent
from tracking.timeutil import as_utc

STATUSES = ("pending", "sending", "delivered", "failed")
LIMIT = 100


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event_id: str
    event_type: str
    url: str
    status: str
    attempts: int
    last_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    resent_by: str
    resent_at: datetime | None
    created_at: datetime

    @property
    def problem(self) -> str:
        """What went wrong with the last try, in the staff member's language ("" when the HTTP
        status says it all, or nothing did)."""
        error = self.last_error
        if not error or error.startswith("HTTP "):
            return ""
        if error == GONE:
            return _("The receiver answered 410 Gone: the address is gone for good.")
        if error == REMOVED:
            return _("This endpoint is no longer in the brand file.")
        if error == ERASED:
            return _("Not sent: the customer's personal data was erased.")
        if error.startswith("no answer ("):
            kind = error.removeprefix("no answer (").removesuffix(")")
            return _("No answer from the receiver (%(kind)s).", kind=kind)
        return error  # a secret that is missing or malformed: the variable's name and why

    @property
    def endpoint(self) -> str:
        """The address without its scheme or query (which may carry a token): host and path."""
        parts = urlsplit(self.url)
        return f"{parts.netloc}{parts.path}"


def recent(
    session: Session, brand_slug: str, status: str | None = None, limit: int = LIMIT
) -> list[DeliveryRow]:
    """The brand's latest deliveries (``status``: only those), newest first."""
    stmt = (
        select(OutboundDelivery, OutboundEvent.public_id, OutboundEvent.type)
        .join(OutboundEvent, col(OutboundEvent.id) == OutboundDelivery.event_id)
        .where(OutboundDelivery.brand == brand_slug)
        .order_by(col(OutboundDelivery.created_at).desc(), col(OutboundDelivery.id).desc())
        .limit(limit)
    )
    if status in STATUSES:
        stmt = stmt.where(OutboundDelivery.status == status)
    return [
        DeliveryRow(
            id=d.id,
            event_id=public_id,
            event_type=event_type,
            url=d.url,
            status=d.status,
            attempts=d.attempts,
            last_code=d.last_code,
            last_error=d.last_error,
            next_attempt_at=as_utc(d.next_attempt_at) if d.status == "pending" else None,
            last_attempt_at=as_utc(d.last_attempt_at),
            resent_by=d.resent_by,
            resent_at=as_utc(d.resent_at),
            created_at=as_utc(d.created_at),
        )
        for d, public_id, event_type in session.exec(stmt).all()
    ]


def counts(session: Session, brand_slug: str) -> dict[str, int]:
    """status → how many of the brand's deliveries are in it."""
    found = dict(
        session.exec(
            select(OutboundDelivery.status, func.count())
            .where(OutboundDelivery.brand == brand_slug)
            .group_by(OutboundDelivery.status)
        ).all()
    )
    return {s: found.get(s, 0) for s in STATUSES}
