"""Carrier sync: poll shipments that are due, store what carriers say, schedule the next look.

Runs in the worker, never in a request. Cadence depends on the status (a parcel out for
delivery changes by the hour, one in a depot by the day); failures back off exponentially;
a carrier that keeps failing is skipped for the rest of the round (circuit breaker) so one
outage does not burn the whole round's time. On PostgreSQL several workers share the work by
claiming rows with ``FOR UPDATE SKIP LOCKED``; on SQLite run one worker.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

import carriers
from carriers import CarrierError, NotFound, RateLimited, Status
from tracking.brands.brand import Brand
from tracking.orders.models import Order, Shipment
from tracking.sync.apply import apply_result
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

# How long until the next look, by status. Terminal statuses are never polled again.
CADENCE: dict[Status, timedelta] = {
    Status.PENDING: timedelta(hours=2),
    Status.INFO_RECEIVED: timedelta(hours=4),
    Status.IN_TRANSIT: timedelta(hours=3),
    Status.OUT_FOR_DELIVERY: timedelta(minutes=30),
    Status.ATTEMPT_FAILED: timedelta(hours=2),
    Status.AVAILABLE_FOR_PICKUP: timedelta(hours=6),
    Status.DELAYED: timedelta(hours=3),
    Status.EXCEPTION: timedelta(hours=3),
    Status.RETURNING_TO_SENDER: timedelta(hours=12),
    Status.UNKNOWN: timedelta(hours=6),
}
MAX_BACKOFF = timedelta(hours=24)
BREAKER_THRESHOLD = 3  # consecutive failures of one carrier in a round


@dataclass
class RoundReport:
    checked: int = 0
    updated: int = 0
    new_events: int = 0
    failed: int = 0
    skipped: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def next_check(status: str, now: datetime, failures: int = 0) -> datetime | None:
    try:
        st = Status(status)
    except ValueError:
        st = Status.UNKNOWN
    if st.is_terminal:
        return None
    base = CADENCE.get(st, CADENCE[Status.UNKNOWN])
    return now + min(base * (2**failures), MAX_BACKOFF) if failures else now + base


def due_shipments(session: Session, now: datetime, limit: int) -> list[tuple[Shipment, str]]:
    query = (
        select(Shipment, Order.brand)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.next_check_at.is_not(None), Shipment.next_check_at <= now)
        .order_by(Shipment.next_check_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several workers: each claims its own rows; locked rows go to the next worker.
        query = query.with_for_update(skip_locked=True, of=Shipment)
    return list(session.exec(query).all())


def run_round(
    session: Session, brands: dict[str, Brand], now: datetime | None = None, limit: int = 200
) -> RoundReport:
    """One polling round; commits once at the end (claims are held until then)."""
    now = now or utcnow()
    report = RoundReport()
    batches: dict[str, list[Shipment]] = defaultdict(list)
    for shipment, brand_slug in due_shipments(session, now, limit):
        brand = brands.get(brand_slug)
        route = brand.route_for(shipment.carrier) if brand else shipment.carrier
        batches[route].append(shipment)

    for code, shipments in batches.items():
        try:
            adapter = carriers.get(code)
        except carriers.UnknownCarrier:
            log.error("sync: no adapter %r for %d shipments", code, len(shipments))
            for s in shipments:
                _failed(session, s, now, report, "UnknownCarrier")
            continue
        consecutive = 0
        size = max(1, adapter.batch_size)
        for start in range(0, len(shipments), size):
            chunk = shipments[start : start + size]
            if consecutive >= BREAKER_THRESHOLD:
                report.skipped += len(chunk)
                for s in chunk:  # not tried: look again in an hour, no failure counted
                    s.next_check_at = now + timedelta(hours=1)
                    session.add(s)
                continue
            ok = _sync_chunk(session, adapter, chunk, now, report)
            consecutive = 0 if ok else consecutive + 1
    session.commit()
    return report


def _sync_chunk(session, adapter, chunk: list[Shipment], now, report: RoundReport) -> bool:
    numbers = [s.tracking_number for s in chunk]
    context = {
        "shipped_at": {s.tracking_number: as_utc(s.shipped_at) for s in chunk if s.shipped_at},
        "carrier": chunk[0].carrier,
        "now": now,
    }
    try:
        bodies = adapter.fetch(numbers, **context)
    except RateLimited as exc:
        wait = timedelta(seconds=exc.retry_after or 900)
        for s in chunk:
            s.next_check_at = now + wait
            session.add(s)
        report.errors["RateLimited"] += 1
        return False
    except CarrierError as exc:
        log.warning("sync: %s fetch failed: %s", adapter.code, exc)
        for s in chunk:
            _failed(session, s, now, report, type(exc).__name__)
        return False
    for s in chunk:
        report.checked += 1
        body = bodies.get(s.tracking_number)
        try:
            if body is None:
                raise NotFound(s.tracking_number)
            result = adapter.parse(body, s.tracking_number)
        except NotFound:
            # Often just not registered yet: keep "pending", look again later.
            s.last_checked_at = now
            s.next_check_at = next_check(Status.PENDING, now)
            session.add(s)
            continue
        except CarrierError as exc:
            log.warning("sync: %s parse failed for %s: %s", adapter.code, s.id, exc)
            _failed(session, s, now, report, type(exc).__name__)
            continue
        before = s.status
        report.new_events += apply_result(session, s, result)
        s.last_checked_at = now
        s.next_check_at = next_check(s.status, now)
        report.updated += int(before != s.status)
    return True


def _failed(session, shipment: Shipment, now, report: RoundReport, kind: str) -> None:
    # Keep the last known status and its check time: the page shows both.
    shipment.failures += 1
    shipment.next_check_at = next_check(shipment.status, now, shipment.failures)
    session.add(shipment)
    report.failed += 1
    report.errors[kind] += 1
