"""What staff do from an order's detail page: resend the shipping mail (here), set the order's
language (``orders.language``: its later mail is written in it), and add or correct a parcel (``orders.parcels``, with ``sync.reset.start_over`` as the corrected parcel's fresh
start; this module turns its errors into the form's). Each is recorded in the order's history
(``OrderChange``, source ``admin:<staff email>``). Nothing here commits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.mail import outbox, triggers
from tracking.mail.milestones import Facts
from tracking.mail.models import Notification
from tracking.mail.schedule import after_quiet_hours
from tracking.orders import language, parcels
from tracking.orders.models import Order, OrderChange, Shipment
from tracking.sync import reset
from tracking.timeutil import utcnow

RESEND_KEY = re.compile(r"[A-Za-z0-9_-]{8,43}")


class ActionError(ValueError):
    """Input staff can correct; ``message`` is translated, ``field`` names the form field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def _source(staff_email: str) -> str:
    return f"admin:{staff_email}"[:64]


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
    mail.update(dedupe_key=dedupe, send_after=after_quiet_hours(brand, now, order))
    note = outbox.enqueue(session, **mail)
    parcels.record_change(session, order, _source(staff_email), {"mail.resend": [None, kind]}, now)
    return note


def change_language(
    session: Session, brand: Brand, order: Order, locale: str, staff_email: str
) -> bool:
    """Mail ``order``'s customer in ``locale`` from now on (mail already queued keeps its
    language); False when it was that already."""
    try:
        return language.set_language(session, brand, order, locale, source=_source(staff_email))
    except language.BadLanguage:
        raise ActionError(gettext("Choose one of the shop's languages."), "locale") from None


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


def add_parcel(
    session: Session, brand: Brand, order: Order, f: ParcelForm, staff_email: str
) -> Shipment:
    """A new outbound parcel (``orders.parcels.add_parcel``: due for a carrier check at once)."""
    try:
        return parcels.add_parcel(
            session,
            brand,
            order,
            carrier=f.carrier,
            tracking_number=f.tracking_number,
            source=_source(staff_email),
        )
    except parcels.ParcelError as exc:
        raise ActionError(exc.message, exc.field) from None


def correct_parcel(
    session: Session,
    brand: Brand,
    order: Order,
    shipment: Shipment,
    f: ParcelForm,
    staff_email: str,
) -> bool:
    """A wrong carrier or number fixed in place; the parcel starts over (``sync.reset``).
    Returns False when nothing changed."""
    try:
        return parcels.correct_parcel(
            session,
            brand,
            order,
            shipment,
            carrier=f.carrier,
            tracking_number=f.tracking_number,
            source=_source(staff_email),
            start_over=reset.start_over,
        )
    except parcels.ParcelError as exc:
        raise ActionError(exc.message, exc.field) from None


def parcel_of_order(session: Session, order: Order, shipment_id: int) -> Shipment | None:
    return parcels.parcel_by_id(session, order, shipment_id)


def history(session: Session, order: Order, limit: int = 50) -> list[OrderChange]:
    return list(
        session.exec(
            select(OrderChange)
            .where(OrderChange.order_id == order.id)
            .order_by(col(OrderChange.id).desc())
            .limit(limit)
        ).all()
    )
