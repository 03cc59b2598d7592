"""Storing a carrier result on a shipment, then the follow-up work it causes.

``apply_result`` stores the new events (deduplicated), the status and the carrier's date, then runs
every hook in ``AFTER_APPLY`` in order. The hooks are the one place to add "when a parcel changes,
also …" work (the estimate today; mail triggers and dashboard counters later), so nothing is
buried in the storing code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from carriers import Status, TrackingResult
from tracking.estimates import service as estimates
from tracking.mail import triggers as mail_triggers
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

#: ``hook(session, shipment, result)``, called after every stored result, in this order.
AfterApply = Callable[[Session, Shipment, TrackingResult], None]


def _refresh_estimate(session: Session, shipment: Shipment, result: TrackingResult) -> None:
    estimates.refresh(session, shipment, carrier_window=result.estimated_delivery)


# The estimate first: the shipping and delivery mail quote it.
AFTER_APPLY: list[AfterApply] = [_refresh_estimate, mail_triggers.after_apply]


def apply_result(session: Session, shipment: Shipment, result: TrackingResult) -> int:
    """Store a carrier result on a shipment: new events only (dedupe), status, EDD.

    Returns how many events were new. Does not commit.
    """
    existing = {
        (as_utc(e.occurred_at), e.raw_code, e.description)
        for e in session.exec(
            select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
        ).all()
    }
    new = 0
    for ev in result.events:
        key = (as_utc(ev.occurred_at), ev.raw_code, ev.description)
        if key in existing:
            continue
        existing.add(key)
        session.add(
            ShipmentEvent(
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
    for hook in AFTER_APPLY:
        hook(session, shipment, result)
    return new
