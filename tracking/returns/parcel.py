"""The return parcel: the customer's box back to the shop, recorded when staff (or the API) take
the ``ship`` step with its carrier and tracking number, then tracked like any parcel."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.orders import parcels
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.returns.models import ReturnRequest
from tracking.returns.transitions import TransitionError, transition


def ship(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    *,
    carrier: str,
    tracking_number: str,
    actor: str,
    actor_kind: str = "staff",
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """``approved → in_transit`` with the return parcel. The number goes through the parcels'
    one check (``orders.parcels.check_number``: normalised and stored as intake stores it, the
    carrier resolved, check digits); a bad one is ``TransitionError("tracking")``."""

    def record_parcel(at: datetime) -> dict:
        try:
            checked = parcels.check_number(brand, carrier, tracking_number)
        except parcels.ParcelError as exc:
            raise TransitionError("tracking", exc.message) from None
        _track_return_parcel(session, rr, checked.carrier, checked.number, at)
        return {"return_carrier": checked.carrier, "return_tracking_number": checked.number}

    return transition(
        session,
        brand,
        rr,
        "ship",
        actor=actor,
        actor_kind=actor_kind,
        reason=reason,
        expected_version=expected_version,
        now=now,
        before_write=record_parcel,
    )


def _track_return_parcel(
    session: Session, rr: ReturnRequest, carrier: str, number: str, now: datetime
) -> Shipment:
    """The return parcel as a shipment: the sync worker polls it like any other (same carrier
    routing, cadence, backoff and event dedupe). Due at once, so the next round looks at it."""
    parcel = parcels.find_parcel(session, rr.order_id, carrier, number)
    if parcel is not None and parcel.direction != "return":
        # The order's own parcel number: the shop's parcel, not the customer's return.
        raise TransitionError(
            "tracking",
            gettext("That number is one of the order's own parcels, not the customer's return."),
        )
    if parcel is None:
        parcel = Shipment(
            order_id=rr.order_id,
            carrier=carrier,
            tracking_number=number,
            direction="return",
            return_id=rr.id,  # the first return it carries; two returns may share one box
            shipped_at=now,
            next_check_at=now,
        )
        session.add(parcel)
    return parcel


def return_parcel(
    session: Session, rr: ReturnRequest
) -> tuple[Shipment | None, ShipmentEvent | None]:
    """The return's tracked parcel and its newest carrier event, in one query. Found by its
    number, so returns of one order sent back in one box share the parcel."""
    if not rr.return_tracking_number:
        return None, None
    row = session.exec(
        select(Shipment, ShipmentEvent)
        .join(ShipmentEvent, ShipmentEvent.shipment_id == Shipment.id, isouter=True)
        .where(
            Shipment.order_id == rr.order_id,
            Shipment.direction == "return",
            Shipment.carrier == rr.return_carrier,
            Shipment.tracking_number == rr.return_tracking_number,
        )
        .order_by(
            col(ShipmentEvent.occurred_at).desc(),
            col(ShipmentEvent.id).desc(),
        )
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)
