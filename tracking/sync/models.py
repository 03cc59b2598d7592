"""Rows the sync layer keeps about carriers themselves: captured failures (raw bodies a parser
could not read), per-account health (which is also the breaker shared by every worker), the
shared rate budget per account when there is no Redis, and which shipments an aggregator's webhooks feed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from tracking.orders import versions
from tracking.timeutil import utcnow


class CapturedFailure(SQLModel, table=True):
    """A live response that could not be parsed: redacted, size-capped, exportable as a
    fixture (``flask --app app carriers captured --export DIR``)."""

    __tablename__ = "captured_failures"

    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(max_length=32, index=True)
    tracking_number: str = Field(max_length=64)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id", index=True)
    error: str = Field(default="", max_length=500)
    # Redacted and cut to ``capture.MAX_BODY`` bytes; ``body_size`` is the original length.
    body: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    body_size: int = 0
    content_type: str = Field(default="", max_length=16)  # "json" or "html"
    captured_at: datetime = Field(default_factory=utcnow, index=True)


#: Longest account key: a brand's credential variable name (``tracking.sync.accounts``).
ACCOUNT_LENGTH = 100


class CarrierHealth(SQLModel, table=True):
    """One row per carrier account (code and account key; "" is the installation's account),
    shared by all workers: last success, error counts for the current window, and the circuit
    (open until; a half-open probe claimed at)."""

    __tablename__ = "carrier_health"
    __table_args__ = (
        UniqueConstraint("carrier", "account", name="uq_carrier_health_carrier_account"),
    )

    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(max_length=32)
    account: str = Field(default="", max_length=ACCOUNT_LENGTH)
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    # Since when the carrier has failed without a success in between (None: healthy).
    failing_since: datetime | None = None
    last_error: str = Field(default="", max_length=200)
    consecutive_failures: int = 0
    window_started_at: datetime = Field(default_factory=utcnow)
    window_calls: int = 0
    window_failures: int = 0
    open_until: datetime | None = None
    probe_started_at: datetime | None = None


class RateBucket(SQLModel, table=True):
    """The database's token bucket per carrier account (used when REDIS_URL is not set)."""

    __tablename__ = "carrier_rate_buckets"
    __table_args__ = (
        UniqueConstraint("carrier", "account", name="uq_carrier_rate_buckets_carrier_account"),
    )

    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(max_length=32)
    account: str = Field(default="", max_length=ACCOUNT_LENGTH)
    tokens: float = 0.0
    refilled_at: datetime = Field(default_factory=utcnow)
    day: str = Field(default="", max_length=10)
    day_count: int = 0


class WebhookFeed(SQLModel, table=True):
    """An aggregator pushes updates for this shipment: the worker polls it rarely (a safety
    net), and deliveries are deduplicated by event id."""

    __tablename__ = "webhook_feeds"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_event"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    provider: str = Field(max_length=16)
    event_id: str = Field(max_length=100)
    newest_event_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)


def ensure_row(session, model, carrier: str, account: str = "") -> None:
    """Create ``model``'s row for the ``carrier`` account if missing, race-free across workers
    (INSERT … ON CONFLICT DO NOTHING), so the caller can then lock it with ``FOR UPDATE``."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"carrier": carrier, "account": account}
    if model is CarrierHealth:
        values |= {
            "last_error": "",
            "consecutive_failures": 0,
            "window_started_at": utcnow(),
            "window_calls": 0,
            "window_failures": 0,
        }
    else:
        values |= {"tokens": 0.0, "refilled_at": utcnow(), "day": "", "day_count": 0}
    session.execute(
        insert(model).values(**values).on_conflict_do_nothing(index_elements=["carrier", "account"])
    )


class WorkerHeartbeat(SQLModel, table=True):
    """A worker process's last sign of life (``tracking.sync.heartbeat``): the import page
    says plainly when no worker has been seen for a while."""

    __tablename__ = "worker_heartbeats"

    id: int | None = Field(default=None, primary_key=True)
    worker: str = Field(unique=True, max_length=128)  # host:pid
    started_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


versions.untrack("captured_failures", "carrier answers kept for debugging")
versions.untrack("webhook_feeds", "which aggregator feeds a parcel; the page never shows it")
