"""Where outbound events come from: each source calls one function here.

* ``parcels_changed``: the worker's ``sync.apply.AFTER_APPLY`` hook (a parcel's milestone);
* ``scan_late``: the worker's round (an order past its estimate, once per order);
* ``return_updated``: ``returns.transitions.transition`` (every status change of a return);
* ``inquiry_created``: ``page.inquiry.ask`` (a customer's question).

Each event is written once whatever calls it how often (``events.record``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session, col, exists, or_, select

from carriers import Status, TrackingEvent
from tracking.brands.brand import Brand
from tracking.orders.models import Order, Shipment
from tracking.outbound.events import admin_link, order_data, parcel_data, record, stamp, wanted
from tracking.outbound.models import OutboundEvent
from tracking.timeutil import as_utc, utcnow

#: A parcel's status → its milestone event.
PARCEL_EVENTS = {
    Status.INFO_RECEIVED.value: "parcel.shipped",
    Status.IN_TRANSIT.value: "parcel.shipped",
    Status.DELAYED.value: "parcel.shipped",
    Status.OUT_FOR_DELIVERY.value: "parcel.out_for_delivery",
    Status.ATTEMPT_FAILED.value: "parcel.attempted",
    Status.AVAILABLE_FOR_PICKUP.value: "parcel.attempted",
    Status.DELIVERED.value: "parcel.delivered",
    Status.EXCEPTION.value: "parcel.exception",
    Status.RETURNING_TO_SENDER.value: "parcel.exception",
    Status.RETURNED_TO_SENDER.value: "parcel.exception",
}
#: Milestones a parcel can reach more than once (out again the next day, a second attempt):
#: one event per carrier scan that says so. "shipped" and "delivered" happen once a parcel.
REPEATABLE = {"parcel.out_for_delivery", "parcel.attempted", "parcel.exception"}
#: A moving parcel that is late (the estimates' flag, or its window has passed).
LATE_STATUSES = (Status.INFO_RECEIVED.value, Status.IN_TRANSIT.value, Status.DELAYED.value)


def occurrence(parcel: Shipment, event_type: str, scans: Iterable[TrackingEvent]) -> str:
    """Which time of the milestone this is: the tracking number (a corrected number is a new
    parcel to the receiver), and for a repeatable milestone the time of the newest scan that
    reached it (two workers reading the same carrier answer agree on it)."""
    if event_type not in REPEATABLE:
        return parcel.tracking_number
    times = [as_utc(s.occurred_at) for s in scans if PARCEL_EVENTS.get(str(s.status)) == event_type]
    return f"{parcel.tracking_number}@{stamp(max(times))}" if times else parcel.tracking_number


def parcels_changed(
    session: Session,
    brands: Mapping[str, Brand],
    changed: list[tuple[Shipment, list[TrackingEvent]]],
    now: datetime | None = None,
) -> int:
    """The ``AFTER_APPLY`` hook's work: each changed outbound parcel's milestone, once. One
    query for the batch's orders. Returns how many events were written. Does not commit."""
    now = now or utcnow()
    wanted_parcels = [
        (parcel, scans)
        for parcel, scans in changed
        if parcel.direction == "outbound" and parcel.status in PARCEL_EVENTS
    ]
    if not any(b.webhooks for b in brands.values()) or not wanted_parcels:
        return 0
    ids = {p.order_id for p, _ in wanted_parcels}
    orders = {o.id: o for o in session.exec(select(Order).where(col(Order.id).in_(ids))).all()}
    written = 0
    for parcel, scans in wanted_parcels:
        order = orders.get(parcel.order_id)
        brand = brands.get(order.brand) if order is not None else None
        event_type = PARCEL_EVENTS[parcel.status]
        if brand is None or not wanted(brand, event_type):
            continue
        data = order_data(brand, order) | {"parcel": parcel_data(parcel)}
        key = occurrence(parcel, event_type, scans)
        subject = f"parcel:{parcel.id}"
        if record(session, brand, event_type, subject, data, occurrence=key, order=order, now=now):
            written += 1
    return written


def scan_late(session: Session, brands: Mapping[str, Brand], now: datetime | None = None) -> int:
    """``order.late`` for every order of a brand that wants it with a moving parcel past its
    estimate (the estimates' late flag, or the window's last day has gone by in the shop's
    time zone) and no such event yet: once per order. Commits."""
    now = now or utcnow()
    written = 0
    for brand in brands.values():
        if not wanted(brand, "order.late"):
            continue
        today = as_utc(now).astimezone(brand.tz).date()
        already = exists().where(
            OutboundEvent.order_id == Order.id,
            OutboundEvent.brand == brand.slug,
            OutboundEvent.type == "order.late",
        )
        late = session.exec(
            select(Order, Shipment)
            .join(Shipment, col(Shipment.order_id) == Order.id)
            .where(
                Order.brand == brand.slug,
                col(Order.history).is_(False),
                Shipment.direction == "outbound",
                col(Shipment.status).in_(LATE_STATUSES),
                or_(col(Shipment.late).is_(True), col(Shipment.edd_end) < today),
                ~already,
            )
            .order_by(Order.id, Shipment.id)
            .limit(500)
        ).all()
        parcels: dict[int, tuple[Order, list[Shipment]]] = {}
        for order, parcel in late:
            parcels.setdefault(order.id, (order, []))[1].append(parcel)
        for order, late_parcels in parcels.values():
            data = order_data(brand, order) | {
                "parcels": [parcel_data(p) for p in late_parcels],
            }
            if record(
                session, brand, "order.late", f"order:{order.id}", data, order=order, now=now
            ):
                written += 1
    session.commit()
    return written


def return_updated(
    session: Session,
    brand: Brand,
    order: Order | None,
    *,
    return_id: int,
    rma: str,
    status: str,
    previous: str,
    action: str,
    version: int,
    link: str,
    now: datetime | None = None,
) -> OutboundEvent | None:
    """``return.updated`` for one status change of a return (its new ``version`` tells one
    change from another). Does not commit."""
    if order is None:
        return None
    data = order_data(brand, order) | {
        "return": {
            "rma": rma,
            "status": status,
            "previous_status": previous,
            "action": action,
            "status_link": link,
        }
    }
    return record(
        session,
        brand,
        "return.updated",
        f"return:{return_id}",
        data,
        occurrence=f"{version}:{status}",
        order=order,
        now=now,
    )


def inquiry_created(
    session: Session,
    brand: Brand,
    order: Order,
    *,
    inquiry_id: int,
    locale: str,
    reply_by,
    now: datetime | None = None,
) -> OutboundEvent | None:
    """``inquiry.created`` for a customer's question. The question itself is not sent (it is
    free text from the customer): the staff page it waits on is linked. Does not commit."""
    data = order_data(brand, order) | {
        "inquiry": {
            "id": inquiry_id,
            "customer_language": locale,
            "reply_by": reply_by.isoformat() if reply_by else None,
            "staff_link": admin_link(brand, "inquiries"),
        }
    }
    return record(
        session, brand, "inquiry.created", f"inquiry:{inquiry_id}", data, order=order, now=now
    )
