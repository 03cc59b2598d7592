"""Outbound events and their deliveries.

An ``OutboundEvent`` is decided once in the database: the unique key (brand, type, subject,
occurrence) lets the first writer in and every later or concurrent writer's insert do nothing.
Its ``body`` is the exact JSON sent (and signed) on every try. An ``OutboundDelivery`` is one
event for one endpoint (unique per event and URL), claimed by a worker with a lease."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow


def new_event_id() -> str:
    """``msg_`` + 26 random hex digits: the ``webhook-id`` (no dot, never chosen by a
    request)."""
    return "msg_" + secrets.token_hex(13)


class OutboundEvent(SQLModel, table=True):
    __tablename__ = "outbound_events"
    __table_args__ = (
        UniqueConstraint(
            "brand", "type", "subject", "occurrence", name="uq_outbound_events_occurrence"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(default_factory=new_event_id, unique=True, max_length=40)
    brand: str = Field(max_length=64)
    type: str = Field(max_length=40)
    # What it is about ("parcel:12", "order:3", "return:5", "inquiry:9") and which time of it
    # ("" for once-only events, a status or a scan's time for repeatable ones).
    subject: str = Field(max_length=64)
    occurrence: str = Field(default="", max_length=120)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class OutboundDelivery(SQLModel, table=True):
    """``status``: ``pending`` (due at ``next_attempt_at``), ``sending`` (claimed until
    ``claimed_until``; a worker that dies leaves it to be claimed again), ``delivered`` (a 2xx
    answer), ``failed`` (410 Gone, the endpoint left the brand file, or out of tries)."""

    __tablename__ = "outbound_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "url", name="uq_outbound_deliveries_event_url"),
        Index("ix_outbound_deliveries_due", "status", "next_attempt_at"),
        Index("ix_outbound_deliveries_brand_created", "brand", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="outbound_events.id", index=True)
    brand: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default_factory=utcnow)
    claim_token: str = Field(default="", max_length=32)
    claimed_until: datetime | None = None
    last_attempt_at: datetime | None = None
    last_code: int | None = None  # the receiver's HTTP status of the last try
    last_error: str = Field(default="", max_length=300)
    delivered_at: datetime | None = None
    resent_by: str = Field(default="", max_length=254)
    resent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


versions.untrack("outbound_events", "events for the shop's own tools; the page shows none")
