"""What ``/metrics`` reads from the worker's tables at scrape time (tracking.monitoring.metrics,
``DATABASE_GAUGES``): how far the polling is behind, each carrier account's breaker, and when a
worker was last seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from tracking.monitoring.metrics import Reading
from tracking.orders.models import Shipment
from tracking.sync import heartbeat
from tracking.sync.models import CarrierHealth
from tracking.timeutil import as_utc


def due_parcels(session: Session, now: datetime) -> list[Reading]:
    """How many parcels are due for a check, and how long the most overdue one has waited:
    a worker that keeps up leaves both small (a claimed parcel is leased, so it is not due)."""
    count, oldest = session.exec(
        select(func.count(), func.min(Shipment.next_check_at)).where(
            Shipment.next_check_at.is_not(None), Shipment.next_check_at <= now
        )
    ).one()
    age = (now - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    return [
        Reading("todoku_parcels_due", count),
        Reading("todoku_parcels_oldest_due_age_seconds", max(0.0, age)),
    ]


def breakers(session: Session, now: datetime) -> list[Reading]:
    """Each carrier account's circuit (tracking.sync.health): 0 closed, 1 half-open, 2 open."""
    readings = []
    for row in session.exec(select(CarrierHealth)).all():
        labels = {"carrier": row.carrier, "account": row.account or "default"}
        open_until = as_utc(row.open_until)
        state = 0 if open_until is None else 2 if now < open_until else 1
        readings.append(Reading("todoku_carrier_breaker_state", state, labels))
        readings.append(
            Reading("todoku_carrier_consecutive_failures", row.consecutive_failures, labels)
        )
    return readings


def worker_seen(session: Session, now: datetime) -> list[Reading]:
    """Seconds since any worker last stamped its heartbeat (tracking.sync.heartbeat); -1 when
    none ever has. Read from the database, so it tells a dead worker from the web's scrape
    wherever the worker runs."""
    seen = heartbeat.last_seen(session)
    age = -1.0 if seen is None else max(0.0, (now - seen).total_seconds())
    return [Reading("todoku_worker_last_seen_age_seconds", age)]
