"""Rows written by the tracking page: page events (views, banner impressions and clicks),
delivery feedback and customer questions ("ask the shop")."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow


class PageEvent(SQLModel, table=True):
    """One thing that happened on a tracking page. ``kind``: view, impression, click."""

    __tablename__ = "page_events"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    kind: str = Field(max_length=16)
    banner: str = Field(default="", max_length=40, index=True)
    # Random per rendered page: ties a view to its impressions and clicks.
    view_id: str = Field(default="", max_length=32)
    # "<view>:<kind>:<banner>" for views and impressions, so a reloaded pixel counts once;
    # NULL for clicks (every click counts).
    dedupe_key: str | None = Field(default=None, unique=True, max_length=100)
    locale: str = Field(default="", max_length=8)
    # Views only, recorded from migration 0013 on ("" on older rows: not recorded then).
    # The order's parcel status the page showed (``page.events.shown_status``), "unshipped"
    # before any parcel; and how the customer came: "lookup" (the order-number form) or
    # "link" (a mail or saved link).
    status: str = Field(default="", max_length=32)
    source: str = Field(default="", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """ "How was your delivery?" — one answer per order."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    rating: int
    comment: str = Field(default="", max_length=1000)
    locale: str = Field(default="", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class Inquiry(SQLModel, table=True):
    """A question a customer asked the shop from the tracking page, with the order attached."""

    __tablename__ = "inquiries"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    order_id: int = Field(foreign_key="orders.id", index=True)
    message: str = Field(max_length=2000)
    locale: str = Field(default="", max_length=8)
    reply_by: date  # the day promised to the customer (shop-local)
    status: str = Field(default="open", max_length=16, index=True)  # open, answered
    created_at: datetime = Field(default_factory=utcnow)
    # The shop's answer (written in the admin), mailed to the customer and shown on their page.
    reply: str = Field(default="", max_length=4000)
    replied_at: datetime | None = None
    replied_by: str = Field(default="", max_length=254)


versions.track(Feedback)
versions.track(Inquiry)
versions.untrack("page_events", "written by viewing the page: views, impressions, clicks")
