"""Order lookup, the tracking-page view model, and applying carrier results to shipments."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from carriers import Status, TrackingResult

from . import estimate, normalize
from .models import Order, OrderItem, Shipment, ShipmentItem, TrackingEvent
from .timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

# Milestones of the progress bar, in order.
PROGRESS = (
    Status.INFO_RECEIVED,
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
    Status.DELIVERED,
)


def find_order(session: Session, brand: str, number: str, contact: str) -> Order | None:
    """The order when ``contact`` matches its email or postcode; None otherwise.

    Callers must answer "no such order" and "wrong contact" identically.
    """
    number = normalize.order_number(number)
    contact_clean = normalize.clean(contact)
    if not number or not contact_clean:
        return None
    order = session.exec(select(Order).where(Order.brand == brand, Order.number == number)).first()
    if order is None:
        return None
    if "@" in contact_clean:
        given, stored = normalize.email(contact_clean), order.email
    else:
        given, stored = normalize.postcode(contact_clean), order.postcode
    # Constant-time compare: no timing hint about how much of the contact matched.
    if stored and hmac.compare_digest(given.encode(), stored.encode()):
        return order
    return None


def order_by_public_id(session: Session, brand: str, public_id: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.brand == brand, Order.public_id == public_id)
    ).first()


@dataclass
class ParcelView:
    shipment: Shipment
    events: list[TrackingEvent] = field(default_factory=list)  # newest first
    items: list[tuple[OrderItem, int]] = field(default_factory=list)

    @property
    def status(self) -> Status:
        try:
            return Status(self.shipment.status)
        except ValueError:
            return Status.UNKNOWN

    @property
    def progress_step(self) -> int:
        """Index into PROGRESS reached so far (-1: nothing yet)."""
        status = self.status
        if status in PROGRESS:
            return PROGRESS.index(status)
        if status in (Status.ATTEMPT_FAILED, Status.AVAILABLE_FOR_PICKUP):
            return PROGRESS.index(Status.OUT_FOR_DELIVERY)
        if status in (Status.DELAYED, Status.EXCEPTION, Status.RETURNING_TO_SENDER):
            return PROGRESS.index(Status.IN_TRANSIT)
        return -1


@dataclass
class OrderView:
    order: Order
    parcels: list[ParcelView]
    unshipped: list[tuple[OrderItem, int]]

    @property
    def is_terminal(self) -> bool:
        return (
            bool(self.parcels)
            and not self.unshipped
            and all(p.status.is_terminal for p in self.parcels)
        )

    @property
    def last_checked_at(self) -> datetime | None:
        times = [as_utc(p.shipment.last_checked_at) for p in self.parcels]
        times = [t for t in times if t]
        return max(times) if times else None


def order_view(session: Session, order: Order) -> OrderView:
    """Everything the tracking page shows, in two queries after the order itself."""
    item_rows = session.exec(
        select(OrderItem, ShipmentItem)
        .join(ShipmentItem, ShipmentItem.order_item_id == OrderItem.id, isouter=True)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    ).all()
    parcel_rows = session.exec(
        select(Shipment, TrackingEvent)
        .join(TrackingEvent, TrackingEvent.shipment_id == Shipment.id, isouter=True)
        .where(Shipment.order_id == order.id)
        .order_by(Shipment.id, TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
    ).all()

    parcels: dict[int, ParcelView] = {}
    for shipment, event in parcel_rows:
        view = parcels.setdefault(shipment.id, ParcelView(shipment))
        if event is not None:
            view.events.append(event)

    shipped_qty: dict[int, int] = {}
    items: dict[int, OrderItem] = {}
    for item, link in item_rows:
        items[item.id] = item
        if link is not None and link.shipment_id in parcels:
            parcels[link.shipment_id].items.append((item, link.qty))
            shipped_qty[item.id] = shipped_qty.get(item.id, 0) + link.qty
    unshipped = [
        (item, item.qty - shipped_qty.get(item.id, 0))
        for item in items.values()
        if item.qty - shipped_qty.get(item.id, 0) > 0
    ]
    return OrderView(order=order, parcels=list(parcels.values()), unshipped=unshipped)


def apply_result(session: Session, shipment: Shipment, result: TrackingResult) -> int:
    """Store a carrier result on a shipment: new events only (dedupe), status, EDD.

    Returns how many events were new. Does not commit.
    """
    existing = {
        (as_utc(e.occurred_at), e.raw_code, e.description)
        for e in session.exec(
            select(TrackingEvent).where(TrackingEvent.shipment_id == shipment.id)
        ).all()
    }
    new = 0
    for ev in result.events:
        key = (as_utc(ev.occurred_at), ev.raw_code, ev.description)
        if key in existing:
            continue
        existing.add(key)
        session.add(
            TrackingEvent(
                shipment_id=shipment.id,
                occurred_at=ev.occurred_at,
                status=str(ev.status),
                sub_status=ev.sub_status,
                description=ev.description[:500],
                location=ev.location[:200],
                raw_code=ev.raw_code[:64],
            )
        )
        new += 1
        if ev.status is Status.UNKNOWN:
            log.warning(
                "unmapped carrier status", extra={"carrier": result.carrier, "raw": ev.raw_code}
            )
    shipment.status = str(result.status)
    shipment.sub_status = result.sub_status
    shipment.raw_status = result.raw_status[:500]
    shipment.delivered_at = result.delivered_at
    if result.estimated_delivery is not None:
        start, end = result.estimated_delivery.start, result.estimated_delivery.end
        shipment.edd_start = start.date() if isinstance(start, datetime) else start
        shipment.edd_end = end.date() if isinstance(end, datetime) else end
        shipment.edd_source = "carrier"
    shipment.last_checked_at = utcnow()
    shipment.failures = 0
    shipment.updated_at = utcnow()
    session.add(shipment)
    estimate.refresh(session, shipment, carrier_window=result.estimated_delivery)
    return new


def edd_window(shipment: Shipment) -> tuple[date, date] | None:
    if shipment.edd_start and shipment.edd_end:
        return shipment.edd_start, shipment.edd_end
    return None
