"""The watchlist: parcels that need a look before the customer asks.

One query finds the brand's open outbound parcels that match any reason (past the estimate,
failed attempt, exception, waiting at a pickup point, returning to the shop, stalled, not
registered with the carrier, failing checks); Python only sorts that short list into reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, col, select

from carriers import Status
from carriers.status import TERMINAL
from tracking.dashboard.sql import common, rare
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.timeutil import as_utc, utcnow

# No scan for this many days while moving: stalled. Per carrier; the rest use the default.
STALLED_DAYS = {"default": 4, "yamato": 3, "sagawa": 3, "japanpost": 4, "usps": 5, "ups": 4}
# The carrier still does not know the number this many days after shipping.
NOT_REGISTERED_DAYS = 2
# Consecutive failed checks (the carrier's API erred): shown until issue 12's captured failures.
FAILING_CHECKS = 3
LIMIT = 500

# In the order the watchlist shows them.
REASONS = (
    "exception",
    "attempt_failed",
    "late",
    "returning",
    "pickup",
    "stalled",
    "not_registered",
    "failing_checks",
)
_MOVING = (Status.INFO_RECEIVED, Status.IN_TRANSIT, Status.DELAYED, Status.OUT_FOR_DELIVERY)
_UNREGISTERED = (Status.PENDING, Status.UNKNOWN)
# Named positively so the status index finds the few open parcels among millions delivered.
_OPEN = tuple(s.value for s in Status if s not in TERMINAL)


@dataclass
class Entry:
    reason: str
    shipment: Shipment
    order_number: str
    last_scan: datetime | None
    since: datetime | None  # what the age counts from

    def age_days(self, now: datetime) -> int | None:
        if self.since is None:
            return None
        return max(0, (now - as_utc(self.since)).days)


def _stalled_limit(now: datetime):
    """The cut-off scan time for the shipment's carrier, as a SQL CASE."""
    default = as_utc(now - timedelta(days=STALLED_DAYS["default"]))
    whens = [
        (Shipment.carrier == code, as_utc(now - timedelta(days=days)))
        for code, days in STALLED_DAYS.items()
        if code != "default"
    ]
    return case(*whens, else_=default)


def entries(session: Session, brand: str, now: datetime | None = None) -> list[Entry]:
    now = now or utcnow()
    last_scan = (
        select(func.max(ShipmentEvent.occurred_at))
        .where(ShipmentEvent.shipment_id == Shipment.id)
        .scalar_subquery()
    )
    registered_by = as_utc(now - timedelta(days=NOT_REGISTERED_DAYS))
    shipped = func.coalesce(Shipment.shipped_at, Shipment.created_at)
    rows = session.exec(
        select(Shipment, Order.number, last_scan.label("last_scan"))
        .join(Order, Order.id == Shipment.order_id)
        .where(
            common(Order.brand == brand),
            common(Shipment.direction == "outbound"),
            rare(col(Shipment.status).in_(_OPEN)),
            or_(
                col(Shipment.late).is_(True),
                col(Shipment.status).in_(
                    [
                        Status.EXCEPTION,
                        Status.ATTEMPT_FAILED,
                        Status.AVAILABLE_FOR_PICKUP,
                        Status.RETURNING_TO_SENDER,
                    ]
                ),
                Shipment.failures >= FAILING_CHECKS,
                and_(col(Shipment.status).in_(_UNREGISTERED), shipped < registered_by),
                and_(
                    col(Shipment.status).in_(_MOVING),
                    func.coalesce(last_scan, shipped) < _stalled_limit(now),
                ),
            ),
        )
        # No ORDER BY: SQLite would walk every parcel by id to honour it; sorted below.
        .limit(LIMIT)
    ).all()
    out: list[Entry] = []
    for shipment, number, scan in rows:
        out.extend(_classify(shipment, number, as_utc(scan), now))
    out.sort(key=lambda e: (REASONS.index(e.reason), -(e.age_days(now) or 0), e.shipment.id))
    return out


def _classify(shipment: Shipment, number: str, scan: datetime | None, now: datetime):
    shipped = as_utc(shipment.shipped_at or shipment.created_at)
    status = shipment.status
    by_status = {
        Status.EXCEPTION: "exception",
        Status.ATTEMPT_FAILED: "attempt_failed",
        Status.AVAILABLE_FOR_PICKUP: "pickup",
        Status.RETURNING_TO_SENDER: "returning",
    }
    found = []
    if status in by_status:
        found.append((by_status[status], scan or shipped))
    if shipment.late:
        end = shipment.edd_end
        since = datetime.combine(end, datetime.min.time(), tzinfo=now.tzinfo) if end else None
        found.append(("late", since))
    if status in _UNREGISTERED and shipped < now - timedelta(days=NOT_REGISTERED_DAYS):
        found.append(("not_registered", shipped))
    days = STALLED_DAYS.get(shipment.carrier, STALLED_DAYS["default"])
    if status in _MOVING and (scan or shipped) < now - timedelta(days=days):
        found.append(("stalled", scan or shipped))
    if shipment.failures >= FAILING_CHECKS:
        found.append(
            ("failing_checks", shipment.last_checked_at and as_utc(shipment.last_checked_at))
        )
    return [Entry(reason, shipment, number, scan, since) for reason, since in found]


def counts(items: list[Entry]) -> dict[str, int]:
    out = dict.fromkeys(REASONS, 0)
    for e in items:
        out[e.reason] += 1
    return out
