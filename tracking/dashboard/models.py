"""The dashboard's own tables (alert settings, watchlist entries already alerted) and the
indexes its queries need on other features' tables.

The indexes are declared here, next to the queries that use them (``orders.py``, ``figures.py``):
keyset pagination of a brand's orders, search by postcode and name, and page events by day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.orders.models import Order, Shipment
from tracking.page.models import Feedback, PageEvent
from tracking.timeutil import utcnow

# Newest first, page after page: WHERE brand = ? AND id < ? ORDER BY id DESC LIMIT n.
Index("ix_orders_brand_id", Order.brand, Order.id)
Index("ix_orders_brand_postcode", Order.brand, Order.postcode)
Index("ix_orders_brand_name", Order.brand, Order.name)
Index("ix_orders_brand_placed_at", Order.brand, Order.placed_at)
Index("ix_shipments_order_status", Shipment.order_id, Shipment.status)
Index("ix_shipments_delivered_at", Shipment.delivered_at)
Index("ix_feedback_brand_created", Feedback.brand, Feedback.created_at)
Index("ix_page_events_brand_kind_created", PageEvent.brand, PageEvent.kind, PageEvent.created_at)


class AlertSettings(SQLModel, table=True):
    """Per brand: the daily watchlist digest (on/off, recipients) and immediate exception mail."""

    __tablename__ = "alert_settings"

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(unique=True, max_length=64)
    digest: bool = True
    immediate_exceptions: bool = False
    # Empty: every active staff account of the brand.
    recipients: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class WatchAlert(SQLModel, table=True):
    """A watchlist entry that has been reported once: the next digest lists only new ones."""

    __tablename__ = "watch_alerts"
    __table_args__ = (UniqueConstraint("shipment_id", "reason", name="uq_watch_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    brand: str = Field(index=True, max_length=64)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    reason: str = Field(max_length=32)
    first_seen_at: datetime = Field(default_factory=utcnow)


versions.untrack("watch_alerts", "the merchant's late-parcel alerts")
