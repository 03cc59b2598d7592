"""Tables of the delivery-estimate feature: every estimate a shipment had, and the delivered
lanes the learned model fits on."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow


class EstimateRevision(SQLModel, table=True):
    """One row per change of a shipment's estimate or of its carrier's date: the history a
    customer-service answer ("the carrier moved it twice") and the accuracy report need."""

    __tablename__ = "estimate_revisions"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    computed_at: datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=32)
    start: date
    end: date
    slot: str = Field(default="", max_length=16)
    confidence: str = Field(default="", max_length=16)
    carrier_start: date | None = None
    carrier_end: date | None = None
    late: bool = False


class LaneObservation(SQLModel, table=True):
    """One delivered parcel reduced to its lane and its transit days (on the delivery calendar
    of its service). ``synthetic`` rows come from ``flask estimate simulate``."""

    __tablename__ = "lane_observations"
    __table_args__ = (
        Index("ix_lane_observations_lane", "carrier", "service", "origin_key", "dest_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id", unique=True)
    carrier: str = Field(max_length=32)
    service: str = Field(default="", max_length=64)
    origin_country: str = Field(default="", max_length=2)
    origin_region: str = Field(default="", max_length=32)
    origin_key: str = Field(default="", max_length=32)
    dest_country: str = Field(default="", max_length=2)
    dest_region: str = Field(default="", max_length=32)
    dest_key: str = Field(default="", max_length=32)
    dest_postcode: str = Field(default="", max_length=16)
    handover_on: date = Field(index=True)
    delivered_on: date
    transit_days: int
    # What the other sources said at hand-over, so the report compares them on the same parcels.
    carrier_start: date | None = None
    carrier_end: date | None = None
    promised_on: date | None = None
    synthetic: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)


versions.untrack(
    "estimate_revisions", "the history of estimates; the page shows the shipment's own"
)
versions.untrack(
    "lane_observations",
    "learned lanes of every order: the page of an order with unshipped items, whose estimate "
    "reads them, is cached for an hour at most (page.render_cache)",
)
