"""Storing carrier results on shipments, then the follow-up work they cause.

``apply_results`` stores a batch of results (new events only, deduplicated; status; the
carrier's date) with a constant number of queries per batch, then runs every hook in
``AFTER_APPLY`` once with the whole batch. The hooks are the one place to add "when a parcel
changes, also …" work (the estimate, the order's mail), so nothing is buried in the storing code.
Each ``Applied`` says whether the result changed anything: hooks skip what did not change, so
re-polling a quiet parcel costs no estimate or mail work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import insert
from sqlmodel import Session, col, select

from carriers import TrackingEvent, TrackingResult, pickup
from tracking.estimates.refresh import refresh_many
from tracking.mail import triggers as mail_triggers
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.outbound import sources as outbound
from tracking.timeutil import as_utc, utcnow


@dataclass
class Applied:
    shipment: Shipment
    result: TrackingResult
    new_events: int
    #: New events, or a different status, delivery time or carrier date than stored before.
    changed: bool


#: ``hook(session, applied)``, called once per stored batch, in this order.
AfterApply = Callable[[Session, list[Applied]], None]


def _refresh_estimates(session: Session, applied: list[Applied]) -> None:
    refresh_many(
        session,
        [(a.shipment, a.result.estimated_delivery) for a in applied],
        changed=[a.changed for a in applied],
    )


def _order_mail(session: Session, applied: list[Applied]) -> None:
    mail_triggers.after_apply(session, [a.shipment for a in applied if a.changed])


def _outbound_events(session: Session, applied: list[Applied]) -> None:
    changed = [(a.shipment, a.result.events) for a in applied if a.changed]
    if changed:
        outbound.parcels_changed(session, current_app.extensions["todoku_brands"], changed)


# The estimate first: the shipping and delivery mail quote it (and the events the parcel's
# estimated delivery).
AFTER_APPLY: list[AfterApply] = [_refresh_estimates, _order_mail, _outbound_events]


def precision(event: TrackingEvent) -> str:
    """``ShipmentEvent.time_precision``: "date" (a day only), "about" (a guessed zone) or ""."""
    if event.date_only:
        return "date"
    return "about" if event.approximate_time else ""


def _pickup_fields(shipment: Shipment) -> tuple:
    return (
        shipment.pickup_kind,
        shipment.pickup_place,
        as_utc(shipment.pickup_since),
        shipment.pickup_until,
    )


def store_pickup(shipment: Shipment, result: TrackingResult) -> None:
    """Where and until when the parcel waits, while it does (``carriers.pickup``): the
    carrier's own last day, else its documented holding period. Kept once it is collected (staff
    see where it waited); a new hold replaces it."""
    found = pickup.pickup_of(result, shipment.carrier)
    if found is None:
        return
    until, source = pickup.deadline(shipment.carrier, found)
    shipment.pickup_kind = found.kind
    shipment.pickup_place = found.place[:200]
    shipment.pickup_since = found.since
    shipment.pickup_until = until
    shipment.pickup_until_source = source


def apply_result(session: Session, shipment: Shipment, result: TrackingResult) -> int:
    """Store one carrier result. Returns how many events were new. Does not commit."""
    return apply_results(session, [(shipment, result)])[0].new_events


def _edd(result: TrackingResult):
    if result.estimated_delivery is None:
        return None
    start, end = result.estimated_delivery.start, result.estimated_delivery.end
    return (
        start.date() if isinstance(start, datetime) else start,
        end.date() if isinstance(end, datetime) else end,
    )


def apply_results(session: Session, pairs: list[tuple[Shipment, TrackingResult]]) -> list[Applied]:
    """Store carrier results on their shipments: new events only (dedupe), status, EDD; then
    the ``AFTER_APPLY`` hooks. Does not commit."""
    if not pairs:
        return []
    ids = [s.id for s, _ in pairs]
    existing: dict[int, set] = {i: set() for i in ids}
    for shipment_id, occurred_at, raw_code, description in session.exec(
        select(
            ShipmentEvent.shipment_id,
            ShipmentEvent.occurred_at,
            ShipmentEvent.raw_code,
            ShipmentEvent.description,
        ).where(col(ShipmentEvent.shipment_id).in_(ids))
    ).all():
        existing[shipment_id].add((as_utc(occurred_at), raw_code, description))
    rows: list[dict] = []
    applied: list[Applied] = []
    now = utcnow()
    for shipment, result in pairs:
        seen = existing[shipment.id]
        new = 0
        for ev in result.events:
            # The stored copy is cut to the column sizes: compare what will be stored.
            description, raw_code = ev.description[:500], ev.raw_code[:64]
            key = (as_utc(ev.occurred_at), raw_code, description)
            if key in seen or (as_utc(ev.occurred_at), ev.raw_code, ev.description) in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "shipment_id": shipment.id,
                    "occurred_at": ev.occurred_at,
                    "status": str(ev.status),
                    "sub_status": ev.sub_status[:64],
                    "description": description,
                    "location": ev.location[:200],
                    "raw_code": raw_code,
                    "created_at": now,
                    "time_precision": precision(ev),
                }
            )
            new += 1
        before = (
            shipment.status,
            shipment.sub_status,
            shipment.raw_status,
            as_utc(shipment.delivered_at),
            (shipment.carrier_edd_start, shipment.carrier_edd_end),
            _pickup_fields(shipment),
        )
        shipment.status = str(result.status)
        shipment.sub_status = result.sub_status[:64]
        shipment.raw_status = result.raw_status[:500]
        shipment.delivered_at = result.delivered_at
        edd = _edd(result)
        if edd is not None:
            shipment.edd_start, shipment.edd_end = edd
            shipment.edd_source = "carrier"
        store_pickup(shipment, result)
        after = (
            shipment.status,
            shipment.sub_status,
            shipment.raw_status,
            as_utc(shipment.delivered_at),
            edd if edd is not None else before[4],
            _pickup_fields(shipment),
        )
        shipment.last_checked_at = now
        shipment.failures = 0
        shipment.updated_at = now
        session.add(shipment)
        changed = bool(new) or before != after
        applied.append(Applied(shipment, result, new, changed))
    if rows:
        session.execute(insert(ShipmentEvent), rows)
    for hook in AFTER_APPLY:
        hook(session, applied)
    return applied
