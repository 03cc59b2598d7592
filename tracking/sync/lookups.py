"""What the staff carrier page reads (beside ``capture``, which stores the failures): a brand's
latest captured failures, and the brand's parcel with a tracking number (for "check now")."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracking.orders.models import Order, Shipment
from tracking.sync.models import CapturedFailure


def recent_failures(session: Session, brand: str, limit: int = 50) -> list[CapturedFailure]:
    """The newest captured failures of ``brand``'s parcels, newest first."""
    query = (
        select(CapturedFailure)
        .join(Shipment, col(Shipment.id) == CapturedFailure.shipment_id)
        .join(Order, col(Order.id) == Shipment.order_id)
        .where(Order.brand == brand)
        .order_by(col(CapturedFailure.captured_at).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def parcel_by_number(session: Session, brand: str, number: str) -> Shipment | None:
    """``brand``'s newest parcel with this tracking number (as stored), or None."""
    return session.exec(
        select(Shipment)
        .join(Order, col(Order.id) == Shipment.order_id)
        .where(Order.brand == brand, Shipment.tracking_number == number)
        .order_by(col(Shipment.id).desc())
    ).first()
