"""When a shipment is looked at next, and which due shipments a worker round takes.

Cadence depends on the status (a parcel out for delivery changes by the hour, one in a depot by
the day); failures back off exponentially; a webhook-fed shipment is polled only as a safety net.
Claims are leases: a claimed shipment's ``next_check_at`` moves to the lease's end, committed
before any carrier call, so a worker that dies mid-batch loses nothing. On PostgreSQL any number
of workers share the work (claims with ``FOR UPDATE SKIP LOCKED``); on SQLite run one worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from carriers import Status
from tracking.orders.models import Order, Shipment
from tracking.sync.models import WebhookFeed

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
#: A shipment an aggregator's webhooks feed is polled this rarely: a safety net only.
WEBHOOK_SAFETY_NET = timedelta(hours=24)
#: A claimed shipment is leased for this long: a worker that dies mid-batch loses nothing, the
#: shipment is simply due again when the lease runs out. WORKER_LEASE_SECONDS overrides it.
LEASE = timedelta(minutes=10)


def next_check(status: str, now: datetime, failures: int = 0) -> datetime | None:
    try:
        st = Status(status)
    except ValueError:
        st = Status.UNKNOWN
    if st.is_terminal:
        return None
    base = CADENCE.get(st, CADENCE[Status.UNKNOWN])
    return now + min(base * (2**failures), MAX_BACKOFF) if failures else now + base


def schedule(shipment: Shipment, now: datetime, fed: bool) -> None:
    nxt = next_check(shipment.status, now)
    if nxt is not None and fed:
        nxt = now + WEBHOOK_SAFETY_NET
    shipment.next_check_at = nxt


def webhook_fed(session: Session, shipments: list[Shipment]) -> set[int]:
    """The ids among ``shipments`` that an aggregator's webhooks feed."""
    ids = [s.id for s in shipments]
    query = select(WebhookFeed.shipment_id).where(WebhookFeed.shipment_id.in_(ids))
    return set(session.exec(query).all())


def _due(now: datetime, limit: int):
    return (
        select(Shipment, Order.brand)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.next_check_at.is_not(None), Shipment.next_check_at <= now)
        .order_by(Shipment.next_check_at)
        .limit(limit)
    )


def claim(
    session: Session, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[tuple[Shipment, str]]:
    """Take up to ``limit`` due shipments and lease them: their ``next_check_at`` moves to the
    lease's end and the claim is committed at once, so no other worker takes them while this
    one works, and a worker killed mid-batch only delays them by the lease. On PostgreSQL the
    claim skips rows another worker is claiming (``FOR UPDATE SKIP LOCKED``)."""
    query = _due(now, limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Shipment)
    rows = list(session.exec(query).all())
    for shipment, _ in rows:
        shipment.next_check_at = now + lease
        session.add(shipment)
    session.commit()
    return rows


# Kept for callers that only want to look (no lease).
def due_shipments(session: Session, now: datetime, limit: int) -> list[tuple[Shipment, str]]:
    return list(session.exec(_due(now, limit)).all())
