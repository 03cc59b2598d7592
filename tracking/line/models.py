"""LINE's rows: the link between an order and a LINE user, the one-time codes that make it, and
the webhook events already handled (LINE may deliver an event twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow

LIVE_CODE = "used_at IS NULL"


class LineLink(SQLModel, table=True):
    """An order's customer on LINE: pushes for the order go to ``user_id`` until ``stopped_at``
    (the customer wrote "stop", tapped the stop button or blocked the account). The tracking
    page shows whether the order is linked."""

    __tablename__ = "line_links"
    __table_args__ = (UniqueConstraint("order_id", "user_id", name="uq_line_link_order_user"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    order_id: int = Field(foreign_key="orders.id", index=True)
    # LINE's user id (``U`` + 32 hex), issued per provider: the same person has another id
    # under another shop's provider.
    user_id: str = Field(max_length=64, index=True)
    locale: str = Field(default="ja", max_length=8)  # the language the customer linked in
    linked_at: datetime = Field(default_factory=utcnow)
    stopped_at: datetime | None = None
    stop_reason: str = Field(default="", max_length=16)  # keyword, postback, unfollow


class LineCode(SQLModel, table=True):
    """A one-time code the tracking page's LINE button types into the shop's chat. At most one
    unused code per order at a time (the partial unique index): a second tap, or two at once,
    gets the same code. Used once; useless after ``expires_at``."""

    __tablename__ = "line_codes"
    __table_args__ = (
        Index(
            "uq_line_codes_order_unused",
            "order_id",
            unique=True,
            postgresql_where=text(LIVE_CODE),
            sqlite_where=text(LIVE_CODE),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(max_length=64)
    order_id: int = Field(foreign_key="orders.id")
    code: str = Field(max_length=16, unique=True)
    locale: str = Field(default="ja", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None  # used, or retired when expired (a new one is issued)


class LineEvent(SQLModel, table=True):
    """A webhook event handled: its ``webhookEventId`` (unique), so a redelivered event does
    nothing twice."""

    __tablename__ = "line_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    brand: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    received_at: datetime = Field(default_factory=utcnow, index=True)


versions.track(LineLink)  # the page says whether the order is linked to LINE
versions.untrack("line_codes", "issued when the LINE button is tapped; the page never shows one")
versions.untrack("line_events", "webhook deliveries handled; nothing of an order")
