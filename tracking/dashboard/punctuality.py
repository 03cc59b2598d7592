"""Punctuality figures: parcels delivered in a range, on time and inside the estimate window
shown to the customer, per carrier and per carrier and lane."""

from __future__ import annotations

from sqlalchemy import String, and_, case, cast, func, literal
from sqlmodel import Session, select

from tracking.dashboard.day_range import Range, ratio
from tracking.estimates.models import LaneObservation
from tracking.orders.models import Order, Shipment

# The lane of parcels delivered without a learned lane (``figures.place_label`` names it).
UNKNOWN_LANE = ""


def _punctuality(rng: Range) -> list:
    """count, with a due day, on time, with a window, inside it: for parcels delivered in the
    range (on time: by the promised day, else the estimate's last day)."""
    day = rng.day_of(Shipment.delivered_at)
    due = func.coalesce(Shipment.promised_date, Shipment.edd_end)
    # Dates compared as ISO strings: the same on SQLite (stored as text) and PostgreSQL.
    due_s = cast(due, String)
    start_s = cast(Shipment.edd_start, String)
    end_s = cast(Shipment.edd_end, String)
    with_due = func.sum(case((due.is_not(None), 1), else_=0))
    punctual = func.sum(case((and_(due.is_not(None), day <= due_s), 1), else_=0))
    with_window = func.sum(case((Shipment.edd_end.is_not(None), 1), else_=0))
    inside = func.sum(
        case((and_(Shipment.edd_end.is_not(None), day >= start_s, day <= end_s), 1), else_=0)
    )
    return [func.count(), with_due, punctual, with_window, inside]


def _delivered(brand: str, rng: Range):
    return (
        Order.brand == brand,
        Shipment.direction == "outbound",
        Shipment.status == "delivered",
        rng.within(Shipment.delivered_at),
    )


def _punctuality_row(n, d, p, w, w_in) -> dict:
    return {
        "delivered": n,
        "with_estimate": int(d or 0),
        "on_time": int(p or 0),
        "on_time_rate": ratio(int(p or 0), int(d or 0)),
        "inside_window": int(w_in or 0),
        "accuracy": ratio(int(w_in or 0), int(w or 0)),
    }


def on_time(session: Session, brand: str, rng: Range) -> list[dict]:
    """Per carrier, parcels delivered in the range: on time and inside the estimate window
    shown to the customer."""
    rows = session.exec(
        select(Shipment.carrier, *_punctuality(rng))
        .join(Order, Order.id == Shipment.order_id)
        .where(*_delivered(brand, rng))
        .group_by(Shipment.carrier)
        .order_by(Shipment.carrier)
    ).all()
    return [{"carrier": carrier} | _punctuality_row(*rest) for carrier, *rest in rows]


def _place(region, country):
    """A lane end: the delivery region (JP: 関東, 関西 …; US: the ZIP's first digit), else the
    country."""
    return func.coalesce(func.nullif(region, ""), func.nullif(country, ""), literal(UNKNOWN_LANE))


def on_time_lanes(session: Session, brand: str, rng: Range) -> list[dict]:
    """The same per carrier and lane (origin region → destination region), from the lane each
    delivered parcel was reduced to when it was delivered (``lane_observations``); parcels
    without one (delivered before lanes were learned, or unknown postcode) form the lane "".
    """
    origin = _place(LaneObservation.origin_region, LaneObservation.origin_country).label("o")
    dest = _place(LaneObservation.dest_region, LaneObservation.dest_country).label("d")
    rows = session.exec(
        select(Shipment.carrier, origin, dest, *_punctuality(rng))
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(LaneObservation, LaneObservation.shipment_id == Shipment.id)
        .where(*_delivered(brand, rng))
        .group_by(Shipment.carrier, origin, dest)
        .order_by(Shipment.carrier, func.count().desc(), origin, dest)
    ).all()
    return [
        {"carrier": carrier, "origin": o or "", "destination": d or ""} | _punctuality_row(*rest)
        for carrier, o, d, *rest in rows
    ]
