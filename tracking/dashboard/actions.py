"""What staff do from an order's detail page: resend the shipping mail, add a parcel, correct
a parcel's carrier or tracking number. Each is recorded in the order's history
(``OrderChange``, source ``admin:<staff email>``). Nothing here commits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete
from sqlmodel import Session, col, select

import carriers
from tracking.brands.brand import Brand
from tracking.estimates.models import LaneObservation
from tracking.mail import outbox, triggers
from tracking.mail.milestones import Facts
from tracking.mail.models import Notification
from tracking.mail.schedule import after_quiet_hours
from tracking.orders import intake
from tracking.orders.carrier_codes import CarrierNotResolved, resolve
from tracking.orders.models import Order, OrderChange, Shipment, ShipmentEvent
from tracking.orders.schema import ShipmentIn
from tracking.timeutil import utcnow

RESEND_KEY = re.compile(r"[A-Za-z0-9_-]{8,43}")


class ActionError(ValueError):
    """Input staff can correct; ``message`` is translated, ``field`` names the form field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def _source(staff_email: str) -> str:
    return f"admin:{staff_email}"[:64]


def _history(session: Session, order: Order, staff_email: str, changes: dict) -> None:
    now = utcnow()
    order.updated_at = now
    session.add(order)
    session.add(
        OrderChange(order_id=order.id, source=_source(staff_email), changes=changes, created_at=now)
    )


def resend_shipping_mail(
    session: Session, brand: Brand, order: Order, staff_email: str, key: str
) -> Notification:
    """Queue the shipping mail for ``order`` again, as it reads now (every parcel, current
    numbers), as a new outbox row: its dedupe key ``order:<id>:shipped:resend:<key>`` is its
    own, so the milestone trigger's once-per-order key is untouched. ``key`` comes from the
    form shown to staff: posting that form twice queues one mail, a fresh form another."""
    if not brand.mail.enabled:
        raise ActionError(gettext("Mail is switched off for this shop."))
    if not order.email:
        raise ActionError(gettext("The order has no email address."))
    facts = Facts.load(session, [order.id])
    if not facts.parcels[order.id]:
        raise ActionError(gettext("The order has no parcel yet: add one first."))
    if not RESEND_KEY.fullmatch(key or ""):
        raise ActionError(gettext("The form has expired. Please try again."))
    kind = "shipped_partial" if facts.milestone(order.id) == "shipped_partial" else "shipped"
    dedupe = f"order:{order.id}:shipped:resend:{key}"
    existing = session.exec(select(Notification).where(Notification.dedupe_key == dedupe)).first()
    if existing is not None:
        return existing
    now = utcnow()
    mail = triggers.mail_args(session, brand, order, kind, now, facts)
    # Its own key, and due now (after quiet hours), not after the trigger's configured delay.
    mail.update(dedupe_key=dedupe, send_after=after_quiet_hours(brand, now))
    note = outbox.enqueue(session, **mail)
    _history(session, order, staff_email, {"mail.resend": [None, kind]})
    session.flush()
    return note


def is_resend(note: Notification) -> bool:
    return ":resend:" in note.dedupe_key


@dataclass
class ParcelForm:
    """What staff typed, kept for the form when it comes back with an error."""

    carrier: str = ""
    tracking_number: str = ""
    shipment_id: int | None = None
    error: str = ""
    field: str = ""


def parse_parcel_form(form) -> ParcelForm:
    raw_id = str(form.get("shipment_id", ""))[:12]
    return ParcelForm(
        carrier=str(form.get("carrier", ""))[:64].replace("\x00", "").strip(),
        tracking_number=str(form.get("tracking_number", ""))[:64].replace("\x00", "").strip(),
        shipment_id=int(raw_id) if raw_id.isdigit() and int(raw_id) < 2**31 else None,
    )


def _checked(brand: Brand, f: ParcelForm) -> tuple[str, str]:
    """(carrier code, normalised number), checked by the carrier's own number rules."""
    number = carriers.normalize(f.tracking_number)
    if not number:
        raise ActionError(gettext("Please enter the tracking number."), "tracking_number")
    try:
        code = resolve(brand, f.carrier, number)
    except CarrierNotResolved as exc:
        if exc.ambiguous:
            message = gettext("This number fits several carriers: please choose the carrier.")
        elif f.carrier:
            message = gettext("Please choose one of the shop's carriers.")
        else:
            message = gettext(
                "No carrier of this shop uses tracking numbers like this: check the number "
                "or choose the carrier."
            )
        field = "carrier" if f.carrier or exc.ambiguous else "tracking_number"
        raise ActionError(message, field) from None
    if code not in brand.carriers and brand.carriers:
        raise ActionError(gettext("Please choose one of the shop's carriers."), "carrier")
    try:
        valid = carriers.get(code).validate(number)
    except carriers.UnknownCarrier:
        valid = False
    if not valid:
        raise ActionError(
            gettext(
                "%(number)s is not a valid tracking number for this carrier (check the digits).",
                number=number,
            ),
            "tracking_number",
        )
    return code, number


def add_parcel(
    session: Session, brand: Brand, order: Order, f: ParcelForm, staff_email: str
) -> Shipment:
    """A new outbound parcel through the intake (due for a carrier check at once)."""
    code, number = _checked(brand, f)
    if _duplicate(session, order, code, number, None):
        raise ActionError(gettext("This parcel is already on the order."), "tracking_number")
    shipment, _result = intake.add_shipment(
        session,
        brand,
        order,
        ShipmentIn(carrier=code, tracking_number=number),
        source=_source(staff_email),
    )
    _history(session, order, staff_email, {f"shipments.{code}:{number}": [None, "added"]})
    session.flush()
    return shipment


def _duplicate(session: Session, order: Order, code: str, number: str, other_than) -> bool:
    stmt = select(Shipment.id).where(
        Shipment.order_id == order.id, Shipment.carrier == code, Shipment.tracking_number == number
    )
    if other_than is not None:
        stmt = stmt.where(Shipment.id != other_than)
    return session.exec(stmt).first() is not None


def correct_parcel(
    session: Session,
    brand: Brand,
    order: Order,
    shipment: Shipment,
    f: ParcelForm,
    staff_email: str,
) -> bool:
    """A wrong carrier or number fixed in place. What was learned about the wrong number
    (scans, status, carrier dates, the delivered lane) belonged to another parcel: it is
    dropped and the parcel is due for a check at once, so the worker starts over. Returns
    False when nothing changed."""
    code, number = _checked(brand, f)
    if (code, number) == (shipment.carrier, shipment.tracking_number):
        return False
    if _duplicate(session, order, code, number, shipment.id):
        raise ActionError(gettext("This parcel is already on the order."), "tracking_number")
    changes = {}
    if code != shipment.carrier:
        changes[f"shipments.{shipment.id}.carrier"] = [shipment.carrier, code]
    if number != shipment.tracking_number:
        changes[f"shipments.{shipment.id}.tracking_number"] = [shipment.tracking_number, number]
    changes[f"shipments.{shipment.id}.status"] = [shipment.status, "pending"]
    now = utcnow()
    session.execute(delete(ShipmentEvent).where(col(ShipmentEvent.shipment_id) == shipment.id))
    session.execute(delete(LaneObservation).where(col(LaneObservation.shipment_id) == shipment.id))
    shipment.carrier, shipment.tracking_number = code, number
    shipment.status, shipment.sub_status, shipment.raw_status = "pending", "", ""
    shipment.carrier_edd_start = shipment.carrier_edd_end = None
    shipment.delivered_at, shipment.late = None, False
    shipment.failures, shipment.last_checked_at = 0, None
    shipment.next_check_at, shipment.updated_at = now, now
    session.add(shipment)
    _history(session, order, staff_email, changes)
    session.flush()
    return True


def parcel_of_order(session: Session, order: Order, shipment_id: int) -> Shipment | None:
    """An outbound parcel of this order (another order's or brand's id: None, so a 404)."""
    return session.exec(
        select(Shipment).where(
            Shipment.id == shipment_id,
            Shipment.order_id == order.id,
            Shipment.direction == "outbound",
        )
    ).first()


def history(session: Session, order: Order, limit: int = 50) -> list[OrderChange]:
    return list(
        session.exec(
            select(OrderChange)
            .where(OrderChange.order_id == order.id)
            .order_by(col(OrderChange.id).desc())
            .limit(limit)
        ).all()
    )
