"""Orders read with their contents, a page at a time: the API's order answers and its paged
listing. One query for the orders, one for their items and one for their outbound parcels,
however many orders the page holds (reading them per order cost two queries an order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from tracking import normalize
from tracking.orders.models import Order, OrderItem, Shipment


@dataclass
class OrderContents:
    """An order with its items and outbound parcels, each in id order."""

    order: Order
    items: list[OrderItem]
    shipments: list[Shipment]


@dataclass
class OrderPage:
    rows: list[OrderContents]
    more: bool  # whether orders follow the last row (the caller hands out a cursor)


def with_contents(session: Session, orders: list[Order]) -> list[OrderContents]:
    """``orders`` (in the given order) with their items and outbound parcels, in two queries."""
    ids = [o.id for o in orders]
    items: dict[int, list[OrderItem]] = {i: [] for i in ids}
    shipments: dict[int, list[Shipment]] = {i: [] for i in ids}
    if ids:
        for item in session.exec(
            select(OrderItem).where(col(OrderItem.order_id).in_(ids)).order_by(OrderItem.id)
        ):
            items[item.order_id].append(item)
        for parcel in session.exec(
            select(Shipment)
            .where(col(Shipment.order_id).in_(ids), Shipment.direction == "outbound")
            .order_by(Shipment.id)
        ):
            shipments[parcel.order_id].append(parcel)
    return [OrderContents(o, items[o.id], shipments[o.id]) for o in orders]


def contents_of(session: Session, order: Order) -> OrderContents:
    return with_contents(session, [order])[0]


def by_numbers(session: Session, brand: str, numbers: list[str]) -> dict[str, Order]:
    """``brand``'s orders with these numbers (as typed), in one query: number → order."""
    wanted = {normalize.order_number(n): n for n in numbers}
    found = session.exec(
        select(Order).where(Order.brand == brand, col(Order.number).in_(list(wanted)))
    )
    return {wanted[o.number]: o for o in found}


def page(
    session: Session,
    brand: str,
    *,
    limit: int,
    updated_since: datetime | None = None,
    status: str = "",
    after: tuple[datetime, int] | None = None,
) -> OrderPage:
    """Up to ``limit`` orders of ``brand`` by (``updated_at``, id), with their contents.

    ``status``: only orders with a parcel in that status; ``after``: the (``updated_at``, id)
    of the last order of the previous page."""
    query = select(Order).where(Order.brand == brand)
    if updated_since is not None:
        query = query.where(Order.updated_at >= updated_since)
    if status:
        query = query.where(
            col(Order.id).in_(select(Shipment.order_id).where(Shipment.status == status))
        )
    if after is not None:
        when, oid = after
        # ``updated_at >= when`` first: the range that the (brand, updated_at, id) index can
        # seek to; the OR alone made both databases walk the index from the brand's oldest
        # order (22× slower at a million orders). The second condition only drops the
        # previous pages' orders that share ``when``.
        query = query.where(
            Order.updated_at >= when,
            (Order.updated_at > when) | (col(Order.id) > oid),
        )
    found = list(session.exec(query.order_by(Order.updated_at, Order.id).limit(limit + 1)))
    return OrderPage(rows=with_contents(session, found[:limit]), more=len(found) > limit)
