"""The mail outbox's rows."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from tracking.timeutil import utcnow


class Notification(SQLModel, table=True):
    """The mail outbox. A row is written in the same transaction as the change it reports, so
    nothing is mailed for a change that rolled back and nothing is lost if SMTP is down."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=64)  # e.g. "inquiry", "return_approved"
    # One mail per event, however often the event is reported: e.g. "return:RMA-1:approved".
    dedupe_key: str = Field(unique=True, max_length=200)
    to_address: str = Field(max_length=254)
    locale: str = Field(default="ja", max_length=8)
    subject: str = Field(max_length=300)
    body_text: str
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    status: str = Field(default="queued", max_length=16, index=True)  # queued, sent, failed
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
