"""Recording an outbound event: once in the database, with one delivery per endpoint.

``record`` is what every source calls (the worker's parcel hook and late scan, a return's
transition, a customer's question). The event's body is written here, once: the exact bytes
every try sends and signs. Nothing is recorded for a brand without an endpoint that wants the
type, nor for orders imported as history (the shop's tools would be flooded with old news).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import current_app
from sqlalchemy import insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.orders.links import tracking_link
from tracking.orders.models import Order, Shipment
from tracking.outbound.models import OutboundDelivery, OutboundEvent, new_event_id
from tracking.timeutil import as_utc, utcnow


def stamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, to the second."""
    if value is None:
        return None
    return as_utc(value).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def order_data(brand: Brand, order: Order) -> dict:
    """What every event says about its order: no name, address, email or free text."""
    return {
        "brand": brand.slug,
        "order_number": order.number,
        "tracking_link": tracking_link(order),
    }


def parcel_data(parcel: Shipment) -> dict:
    return {
        "carrier": parcel.carrier,
        "tracking_number": parcel.tracking_number,
        "status": parcel.status,
        "shipped_at": stamp(parcel.shipped_at),
        "delivered_at": stamp(parcel.delivered_at),
        "estimated_delivery": {"from": _day(parcel.edd_start), "to": _day(parcel.edd_end)},
    }


def admin_link(brand: Brand, page: str) -> str:
    """A staff page of the brand (the receiver's staff sign in to read it)."""
    return f"{current_app.config['BASE_URL']}/admin/{brand.slug}/{page}"


def wanted(brand: Brand, event_type: str) -> list[str]:
    """The URLs of ``brand``'s endpoints that receive ``event_type``."""
    return [e.url for e in brand.webhooks if e.wants(event_type)]


def with_customer(brand: Brand, event_type: str) -> bool:
    """Whether ``event_type``'s body carries the customer's email (an endpoint asked for it)."""
    return any(e.customer_email for e in brand.webhooks if e.wants(event_type))


def record(
    session: Session,
    brand: Brand,
    event_type: str,
    subject: str,
    data: dict,
    *,
    occurrence: str = "",
    order: Order | None = None,
    now: datetime | None = None,
) -> OutboundEvent | None:
    """The event (brand, type, subject, occurrence), written once: returns it when this call
    wrote it, None when it was already there (or is being written by a concurrent transaction,
    which this one waits for), when no endpoint wants it, or when the order is history.
    Its deliveries are written with it. Does not commit."""
    urls = wanted(brand, event_type)
    if not urls or (order is not None and order.history):
        return None
    now = now or utcnow()
    if order is not None and order.email and with_customer(brand, event_type):
        data = data | {"customer": {"email": order.email, "language": order.locale or None}}
    public_id = new_event_id()
    body = json.dumps(
        {"id": public_id, "type": event_type, "created_at": stamp(now), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    values = {
        "public_id": public_id,
        "brand": brand.slug,
        "type": event_type,
        "subject": subject[:64],
        "occurrence": occurrence[:120],
        "order_id": order.id if order is not None else None,
        "body": body,
        "created_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(OutboundEvent)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["brand", "type", "subject", "occurrence"])
        .returning(OutboundEvent.id)
    )
    event_id = session.execute(stmt).scalar()
    if event_id is None:
        return None
    session.execute(
        insert(OutboundDelivery),
        [
            {
                "event_id": event_id,
                "brand": brand.slug,
                "url": url,
                "next_attempt_at": now,
                "created_at": now,
            }
            for url in urls
        ],
    )
    return OutboundEvent(id=event_id, **values)


ERASED = "not sent: the customer's personal data was erased"


def forget_orders(session: Session, order_ids: list[int]) -> int:
    """Privacy erasure: the customer's email leaves the stored bodies of these orders' events,
    and their deliveries not yet made are never made (failed, saying why). Returns how many
    events were changed. Does not commit."""
    if not order_ids:
        return 0
    changed = 0
    events = session.exec(
        select(OutboundEvent).where(col(OutboundEvent.order_id).in_(order_ids))
    ).all()
    for event in events:
        body = json.loads(event.body)
        if body.get("data", {}).pop("customer", None) is not None:
            event.body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            session.add(event)
            changed += 1
    ids = [e.id for e in events]
    if ids:
        session.execute(
            update(OutboundDelivery)
            .where(
                col(OutboundDelivery.event_id).in_(ids),
                col(OutboundDelivery.status).in_(("pending", "sending")),
            )
            .values(status="failed", next_attempt_at=None, claim_token="", last_error=ERASED)
            .execution_options(synchronize_session=False)
        )
    return changed
