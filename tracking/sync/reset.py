"""Starting a parcel over after staff corrected its carrier or number: everything learned about
the old number belonged to another parcel. ``orders.parcels.correct_parcel`` takes this as its
``start_over`` step (``orders`` sits below ``sync`` and ``estimates`` and cannot import them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from tracking.estimates.models import LaneObservation
from tracking.orders.models import Shipment, ShipmentEvent


def start_over(session: Session, shipment: Shipment, now: datetime) -> None:
    """Forget the parcel's scans, status and carrier dates, the lane it was learned on (its
    ``LaneObservation``) and its polling state; it is ``pending`` and due for a check at once."""
    session.execute(delete(ShipmentEvent).where(col(ShipmentEvent.shipment_id) == shipment.id))
    session.execute(delete(LaneObservation).where(col(LaneObservation.shipment_id) == shipment.id))
    shipment.status, shipment.sub_status, shipment.raw_status = "pending", "", ""
    shipment.carrier_edd_start = shipment.carrier_edd_end = None
    shipment.delivered_at, shipment.late = None, False
    shipment.failures, shipment.last_checked_at = 0, None
    shipment.next_check_at, shipment.updated_at = now, now
    session.add(shipment)
    session.flush()
