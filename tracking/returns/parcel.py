"""The return parcel: the customer's box back to the shop, recorded when staff (or the API) take
the ``ship`` step with its carrier and tracking number, then tracked like any parcel."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy import update
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.orders import parcels
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.returns.models import ReturnEvent, ReturnRequest
from tracking.returns.notify import notify_update
from tracking.returns.transitions import TransitionError, transition
from tracking.timeutil import utcnow


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


def by_customer(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    *,
    carrier: str,
    tracking_number: str,
    now: datetime | None = None,
) -> ReturnRequest:
    """The customer's own return parcel, typed on the status page: the ``ship`` step while the
    return is approved, a change of number while it is on its way (until the shop has it).
    Refused with ``TransitionError`` (``tracking``: a bad number; ``illegal``: too late)."""
    if rr.status == "in_transit":
        return change(
            session,
            brand,
            rr,
            carrier=carrier,
            tracking_number=tracking_number,
            actor="customer",
            now=now,
        )
    return ship(
        session,
        brand,
        rr,
        carrier=carrier,
        tracking_number=tracking_number,
        actor="customer",
        actor_kind="customer",
        now=now,
    )


def change(
    session: Session,
    brand: Brand,
    rr: ReturnRequest,
    *,
    carrier: str,
    tracking_number: str,
    actor: str,
    now: datetime | None = None,
) -> ReturnRequest:
    """Another carrier or number for a return on its way back (a typo, a second box sent
    instead): the new parcel is tracked, the old one no longer polled unless another return
    shares it, and the change recorded in the return's history. The status stays."""
    now = now or utcnow()
    if rr.brand != brand.slug or rr.status != "in_transit":
        raise TransitionError("illegal", f"cannot change the parcel of a {rr.status} return")
    try:
        checked = parcels.check_number(brand, carrier, tracking_number)
    except parcels.ParcelError as exc:
        raise TransitionError("tracking", exc.message) from None
    if (checked.carrier, checked.number) == (rr.return_carrier, rr.return_tracking_number):
        return rr  # the same parcel typed again: nothing changes
    old, _event = return_parcel(session, rr)
    new = _track_return_parcel(session, rr, checked.carrier, checked.number, now)
    if new.next_check_at is None:
        new.next_check_at = now  # a parcel named again after a change: look at it afresh
    result = session.exec(
        update(ReturnRequest)
        .where(
            col(ReturnRequest.id) == rr.id,
            col(ReturnRequest.version) == rr.version,
            col(ReturnRequest.status) == "in_transit",
        )
        .values(
            return_carrier=checked.carrier,
            return_tracking_number=checked.number,
            version=rr.version + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise TransitionError("stale", "someone else changed this return first")
    if old is not None and not _shared(session, rr, old):
        old.next_check_at = None  # nobody waits for that parcel any more: stop polling it
        session.add(old)
    session.add(
        ReturnEvent(
            return_id=rr.id,
            action="parcel",
            actor=actor[:254],
            reason=f"{rr.return_carrier} {rr.return_tracking_number} → "
            f"{checked.carrier} {checked.number}",
            created_at=now,
        )
    )
    rr.return_carrier, rr.return_tracking_number = checked.carrier, checked.number
    rr.version, rr.updated_at = rr.version + 1, now
    order = session.get(Order, rr.order_id)
    if actor != "customer" and order is not None:
        # Staff (or an API key) changed it: the customer is told, once per change. The
        # customer's own change needs no mail: they see it on the page they typed it in.
        notify_update(session, brand, rr, order, "parcel", now=now)
    session.commit()
    return rr


def _shared(session: Session, rr: ReturnRequest, shipment: Shipment) -> bool:
    """Another return of the order still names this parcel (two returns sent in one box)."""
    return (
        session.exec(
            select(ReturnRequest.id).where(
                ReturnRequest.order_id == rr.order_id,
                ReturnRequest.id != rr.id,
                ReturnRequest.return_carrier == shipment.carrier,
                ReturnRequest.return_tracking_number == shipment.tracking_number,
            )
        ).first()
        is not None
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
    """The return's tracked parcel and its newest carrier event. Found by its number, so
    returns of one order sent back in one box share the parcel."""
    return tracked_parcel(session, rr, "return", rr.return_carrier, rr.return_tracking_number)


def tracked_parcel(
    session: Session, rr: ReturnRequest, direction: str, carrier: str, number: str
) -> tuple[Shipment | None, ShipmentEvent | None]:
    """A parcel of the return's order by direction and number, with its newest event, in one
    query; (None, None) while no number is known."""
    if not number:
        return None, None
    row = session.exec(
        select(Shipment, ShipmentEvent)
        .join(ShipmentEvent, ShipmentEvent.shipment_id == Shipment.id, isouter=True)
        .where(
            Shipment.order_id == rr.order_id,
            Shipment.direction == direction,
            Shipment.carrier == carrier,
            Shipment.tracking_number == number,
        )
        .order_by(col(ShipmentEvent.occurred_at).desc(), col(ShipmentEvent.id).desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)
