"""Reading returns: one by RMA (staff, API) or public id (the customer's link), an order's
returns, the staff queue (``search``) and the ``Detail`` read model a return page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentEvent
from tracking.returns import machine
from tracking.returns.credits import credit_of
from tracking.returns.models import (
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnRequest,
    StoreCredit,
)
from tracking.returns.outcomes import replacement_parcel
from tracking.returns.parcel import return_parcel
from tracking.timeutil import utcnow


def by_rma(session: Session, brand: str, rma: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.brand == brand, ReturnRequest.rma == normalize.order_number(rma)
        )
    ).first()


def by_public_id(session: Session, brand: str, public_id: str) -> ReturnRequest | None:
    return session.exec(
        select(ReturnRequest).where(
            ReturnRequest.brand == brand, ReturnRequest.public_id == public_id
        )
    ).first()


def for_order(session: Session, order: Order) -> list[ReturnRequest]:
    return list(
        session.exec(
            select(ReturnRequest)
            .where(ReturnRequest.order_id == order.id)
            .order_by(col(ReturnRequest.id).desc())
        ).all()
    )


@dataclass
class Detail:
    rr: ReturnRequest
    order: Order
    lines: list[tuple[ReturnLine, OrderItem]]
    photos: dict[int, list[ReturnPhoto]]
    events: list[ReturnEvent]
    parcel: Shipment | None = None  # the tracked return parcel, once shipped
    parcel_event: ShipmentEvent | None = None  # its newest carrier event
    credit: StoreCredit | None = None  # the store-credit code, once issued
    replacement: Shipment | None = None  # the exchange's parcel to the customer
    replacement_event: ShipmentEvent | None = None

    @property
    def resolutions(self) -> set[str]:
        return {line.resolution for line, _item in self.lines}

    @property
    def given(self) -> set[str]:
        """Outcome steps already taken (a mixed return takes one per resolution)."""
        return {e.action for e in self.events if e.from_status == "inspected"} & machine.OUTCOMES

    @property
    def parcel_arrived(self) -> bool:
        """The carrier says it is delivered but staff have not marked it received yet."""
        return (
            self.rr.status == "in_transit"
            and self.parcel is not None
            and self.parcel.status == "delivered"
        )


def detail(session: Session, rr: ReturnRequest) -> Detail:
    order = session.get(Order, rr.order_id)
    lines = session.exec(
        select(ReturnLine, OrderItem)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(ReturnLine.return_id == rr.id)
        .order_by(ReturnLine.id)
    ).all()
    pics: dict[int, list[ReturnPhoto]] = {}
    for p in session.exec(
        select(ReturnPhoto).where(ReturnPhoto.return_id == rr.id).order_by(ReturnPhoto.id)
    ).all():
        pics.setdefault(p.line_id, []).append(p)
    events = session.exec(
        select(ReturnEvent)
        .where(ReturnEvent.return_id == rr.id)
        .order_by(ReturnEvent.created_at, ReturnEvent.id)
    ).all()
    parcel, parcel_event = return_parcel(session, rr)
    replacement, replacement_event = replacement_parcel(session, rr)
    return Detail(
        rr,
        order,
        list(lines),
        pics,
        list(events),
        parcel,
        parcel_event,
        credit_of(session, rr.id)
        if rr.status in ("credited", "closed") or any(e.action == "credit" for e in events)
        else None,
        replacement,
        replacement_event,
    )


def outcome_facts(session: Session, return_ids: list[int]) -> dict[int, tuple[set[str], set[str]]]:
    """Per return: (its lines' resolutions, the outcome steps already taken), for many returns
    in two queries (the API's ``allowed_actions``)."""
    facts: dict[int, tuple[set[str], set[str]]] = {i: (set(), set()) for i in return_ids}
    if not return_ids:
        return facts
    for rid, resolution in session.exec(
        select(ReturnLine.return_id, ReturnLine.resolution).where(
            col(ReturnLine.return_id).in_(return_ids)
        )
    ).all():
        facts[rid][0].add(resolution)
    for rid, action in session.exec(
        select(ReturnEvent.return_id, ReturnEvent.action).where(
            col(ReturnEvent.return_id).in_(return_ids),
            ReturnEvent.from_status == "inspected",
            col(ReturnEvent.action).in_(machine.OUTCOMES),
        )
    ).all():
        facts[rid][1].add(action)
    return facts


def order_and_facts(
    session: Session, rr: ReturnRequest
) -> tuple[Order | None, tuple[set[str], set[str]]]:
    return session.get(Order, rr.order_id), outcome_facts(session, [rr.id])[rr.id]


def search(
    session: Session,
    brand: str,
    *,
    status: str = "",
    reason: str = "",
    older_than_days: int | None = None,
    q: str = "",
    now: datetime | None = None,
    limit: int = 200,
) -> list[tuple[ReturnRequest, Order]]:
    """The queue: newest first, filtered; ``q`` matches RMA, order number or email."""
    now = now or utcnow()
    stmt = (
        select(ReturnRequest, Order)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(ReturnRequest.brand == brand)
    )
    if status:
        stmt = stmt.where(ReturnRequest.status == status)
    if reason:
        stmt = stmt.where(
            col(ReturnRequest.id).in_(
                select(ReturnLine.return_id).where(ReturnLine.reason == reason)
            )
        )
    if older_than_days is not None:
        stmt = stmt.where(ReturnRequest.created_at <= now - timedelta(days=older_than_days))
    if q.strip():
        term = normalize.clean(q)
        stmt = stmt.where(
            or_(
                ReturnRequest.rma == normalize.order_number(term),
                Order.number == normalize.order_number(term),
                ReturnRequest.email == normalize.email(term),
            )
        )
    stmt = stmt.order_by(col(ReturnRequest.created_at).desc(), col(ReturnRequest.id).desc())
    return list(session.exec(stmt.limit(limit)).all())
