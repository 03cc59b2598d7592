"""Playing a parcel's simulated journey through the same path a carrier update takes (for demo
data; the worker then carries on polling it like any shop's parcel)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

import carriers
from tracking.orders.models import Shipment
from tracking.sync.apply import apply_result
from tracking.sync.schedule import next_check


def play_journey(session: Session, shipment: Shipment, now: datetime) -> None:
    """Ask the simulated carrier about ``shipment`` as of ``now`` and store what it says."""
    sim = carriers.get("simulated")
    body = sim.fetch(
        [shipment.tracking_number],
        shipped_at={shipment.tracking_number: shipment.shipped_at},
        now=now,
    )[shipment.tracking_number]
    try:
        apply_result(session, shipment, sim.parse(body, shipment.tracking_number))
    except carriers.NotFound:
        shipment.last_checked_at = now  # carrier has no data yet: stays "pending"
    shipment.next_check_at = next_check(shipment.status, now)
