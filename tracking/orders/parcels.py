"""One home for changing an order's parcels: the tracking-number check every path uses (the API,
imports, Shopify webhooks, staff on the order page, the returns "ship" action), finding, adding
and correcting a parcel, and the one writer of the order history (``OrderChange``).

Correcting a parcel also has to forget what other features learned about its old number
(estimates' lane observations, sync's polling schedule). Those packages sit above ``orders``, so
the caller hands that step in as ``start_over`` (``tracking.sync.reset.start_over``) and the
layers hold. Nothing here commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import insert
from sqlmodel import Session, select

import carriers
from tracking.brands.brand import Brand
from tracking.orders.carrier_codes import CarrierNotResolved, brand_carriers, resolve
from tracking.orders.models import Order, OrderChange, Shipment
from tracking.timeutil import utcnow


class ParcelError(ValueError):
    """A parcel that cannot be stored as given. ``code`` is stable (the API and the import report
    show it: invalid_tracking_number, unknown_carrier, ambiguous_carrier, duplicate_parcel),
    ``message`` is in the current locale, ``field`` names the input (carrier or
    tracking_number)."""

    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class IntakeError(ParcelError):
    """Input that cannot be stored; ``field`` names where it is (``shipments.0.carrier``)."""


@dataclass(frozen=True)
class Checked:
    carrier: str  # our code
    number: str  # normalised as every lookup compares it


def check_number(
    brand: Brand, carrier: str, raw: str, *, shop_only: bool = False, check_digits: bool = True
) -> Checked:
    """The one tracking-number check: normalise ``raw`` (full-width, spaces, every dash
    look-alike), resolve ``carrier`` (our code, a Shopify or Rakuten name; empty: detected from
    the number among the shop's carriers) and check the number by that carrier's own rules
    (format and check digit). ``shop_only``: the carrier must be one of the shop's (staff choose
    from those). ``check_digits=False`` leaves the last step out, for the shop's own systems
    (API, imports, webhooks), whose numbers are stored as sent. Raises ``ParcelError``."""
    number = carriers.normalize(raw)
    if not number:
        raise ParcelError(
            "invalid_tracking_number",
            gettext("Please enter the tracking number."),
            "tracking_number",
        )
    try:
        code = resolve(brand, carrier, number)
    except CarrierNotResolved as exc:
        raise _not_resolved(brand, carrier, number, exc, shop_only) from None
    if shop_only and brand.carriers and code not in brand.carriers:
        raise ParcelError(
            "unknown_carrier", gettext("Please choose one of the shop's carriers."), "carrier"
        )
    if check_digits and not _valid(code, number):
        raise ParcelError(
            "invalid_tracking_number",
            gettext(
                "%(number)s is not a valid tracking number for this carrier (check the digits).",
                number=number,
            ),
            "tracking_number",
        )
    return Checked(code, number)


def _valid(code: str, number: str) -> bool:
    try:
        return carriers.get(code).validate(number)
    except carriers.UnknownCarrier:
        return False


def _not_resolved(
    brand: Brand, given: str, number: str, exc: CarrierNotResolved, shop_only: bool
) -> ParcelError:
    choices = ", ".join(exc.candidates)
    if exc.ambiguous:
        message = gettext(
            "%(number)s fits several carriers (%(choices)s): please choose the carrier.",
            number=number,
            choices=choices,
        )
        return ParcelError("ambiguous_carrier", message, "carrier")
    if given.strip():
        if shop_only:
            message = gettext("Please choose one of the shop's carriers.")
        else:
            message = gettext(
                "Unknown carrier %(name)s: use one of %(choices)s.",
                name=given.strip(),
                choices=choices,
            )
        return ParcelError("unknown_carrier", message, "carrier")
    message = gettext(
        "No carrier of this shop (%(choices)s) uses tracking numbers like %(number)s: check the "
        "number or choose the carrier.",
        choices=", ".join(brand_carriers(brand)),
        number=number,
    )
    # Marked on the carrier: naming it is the way out when the number is right.
    return ParcelError("unknown_carrier", message, "carrier")


def find_parcel(session: Session, order_id: int, carrier: str, number: str) -> Shipment | None:
    """The order's parcel (outbound or return) with this carrier and normalised number."""
    return session.exec(
        select(Shipment).where(
            Shipment.order_id == order_id,
            Shipment.carrier == carrier,
            Shipment.tracking_number == number,
        )
    ).first()


def parcel_by_id(session: Session, order: Order, shipment_id: int) -> Shipment | None:
    """An outbound parcel of this order (another order's or brand's id: None, so a 404)."""
    return session.exec(
        select(Shipment).where(
            Shipment.id == shipment_id,
            Shipment.order_id == order.id,
            Shipment.direction == "outbound",
        )
    ).first()


def record_change(
    session: Session, order: Order, source: str, changes: dict, now: datetime | None = None
) -> OrderChange:
    """The one writer of an order's history: what changed (``{"field": [old, new]}``), by whom
    (``source``: ``api:<key>``, ``shopify-webhook``, ``admin:<email>`` …) and when."""
    now = now or utcnow()
    order.updated_at = now
    session.add(order)
    change = OrderChange(order_id=order.id, source=source[:64], changes=changes, created_at=now)
    session.add(change)
    session.flush()
    return change


def record_changes(
    session: Session, entries: list[tuple[Order, dict]], source: str, now: datetime | None = None
) -> None:
    """``record_change`` for many orders at once (imports): one INSERT for the lot."""
    if not entries:
        return
    now = now or utcnow()
    for order, _ in entries:
        order.updated_at = now
        session.add(order)
    session.execute(
        insert(OrderChange.__table__),
        [
            {"order_id": o.id, "source": source[:64], "changes": c, "created_at": now}
            for o, c in entries
        ],
    )


def new_parcel(
    session: Session, order: Order, checked: Checked, now: datetime, **values
) -> Shipment:
    """A new outbound parcel, due for a carrier check at once, carrying the order's promise."""
    shipment = Shipment(
        order_id=order.id, carrier=checked.carrier, tracking_number=checked.number, **values
    )
    shipment.next_check_at = now  # a new parcel: ask its carrier at once
    shipment.promised_date = order.requested_date
    shipment.promised_slot = order.requested_slot or ""
    session.add(shipment)
    session.flush()
    return shipment


def add_parcel(
    session: Session,
    brand: Brand,
    order: Order,
    *,
    carrier: str,
    tracking_number: str,
    source: str,
    now: datetime | None = None,
) -> Shipment:
    """A parcel typed by a person: checked (the shop's carriers, check digits), refused when
    the order has it already, recorded in the history."""
    now = now or utcnow()
    checked = check_number(brand, carrier, tracking_number, shop_only=True)
    if find_parcel(session, order.id, checked.carrier, checked.number) is not None:
        raise _duplicate()
    shipment = new_parcel(session, order, checked, now, shipped_at=now)
    record_change(
        session, order, source, {f"shipments.{checked.carrier}:{checked.number}": [None, "added"]}
    )
    return shipment


def correct_parcel(
    session: Session,
    brand: Brand,
    order: Order,
    shipment: Shipment,
    *,
    carrier: str,
    tracking_number: str,
    source: str,
    start_over: Callable[[Session, Shipment, datetime], None],
    now: datetime | None = None,
) -> bool:
    """A wrong carrier or number fixed in place. What was learned about the wrong number belonged
    to another parcel: ``start_over`` forgets it (its events, learned lanes, polling schedule)
    and the parcel is due for a check at once. Returns False when nothing changed."""
    now = now or utcnow()
    checked = check_number(brand, carrier, tracking_number, shop_only=True)
    if (checked.carrier, checked.number) == (shipment.carrier, shipment.tracking_number):
        return False
    other = find_parcel(session, order.id, checked.carrier, checked.number)
    if other is not None and other.id != shipment.id:
        raise _duplicate()
    changes = {}
    if checked.carrier != shipment.carrier:
        changes[f"shipments.{shipment.id}.carrier"] = [shipment.carrier, checked.carrier]
    if checked.number != shipment.tracking_number:
        changes[f"shipments.{shipment.id}.tracking_number"] = [
            shipment.tracking_number,
            checked.number,
        ]
    changes[f"shipments.{shipment.id}.status"] = [shipment.status, "pending"]
    shipment.carrier, shipment.tracking_number = checked.carrier, checked.number
    start_over(session, shipment, now)
    record_change(session, order, source, changes, now)
    return True


def _duplicate() -> ParcelError:
    return ParcelError(
        "duplicate_parcel", gettext("This parcel is already on the order."), "tracking_number"
    )
