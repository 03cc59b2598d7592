"""What an order allows to be returned: every item with the policy's answer for it today, and
the tracking page's offer (can a return start, and the returns already made)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.orders import contents
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.returns import machine, policy
from tracking.returns.models import ReturnLine, ReturnRequest
from tracking.returns.policy import ItemEligibility, ItemFacts
from tracking.timeutil import as_utc, utcnow


@dataclass
class ReturnableItem:
    item: OrderItem
    eligibility: ItemEligibility


def returned_quantities(session: Session, order_id: int) -> dict[int, int]:
    rows = session.exec(
        select(ReturnLine.order_item_id, func.sum(ReturnLine.qty))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnRequest.order_id == order_id,
            col(ReturnRequest.status).not_in(machine.RELEASED),
        )
        .group_by(ReturnLine.order_item_id)
    ).all()
    return {item_id: int(total or 0) for item_id, total in rows}


def returnable_items(
    session: Session, brand: Brand, order: Order, now: datetime | None = None
) -> list[ReturnableItem]:
    """Every line of the order with what the policy allows for it today."""
    items = session.exec(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()
    parcels: dict[int, Shipment] = {}
    named: dict[int, list[tuple[OrderItem, int]]] = {}
    by_id = {i.id: i for i in items}
    for shipment, link in session.exec(
        select(Shipment, ShipmentItem)
        .join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id, isouter=True)
        .where(Shipment.order_id == order.id, Shipment.direction == "outbound")
        .order_by(Shipment.id, ShipmentItem.id)
    ).all():
        parcels[shipment.id] = shipment
        lines = named.setdefault(shipment.id, [])
        if link is not None and link.order_item_id in by_id:
            lines.append((by_id[link.order_item_id], link.qty))
    alloc = contents.allocate(items, named)
    held = [(parcels[i], alloc.parcels[i]) for i in parcels]
    shared = [parcels[i] for i in alloc.rest_in] if alloc.shared else []
    shipped = shipped_items(held, alloc.rest if shared else [], shared)
    return eligibility(
        brand, order, items, shipped, returned_quantities(session, order.id), now or utcnow()
    )


def shipped_items(
    held: list[tuple[Shipment, list[tuple[OrderItem, int]]]],
    rest: list[tuple[OrderItem, int]],
    rest_in: list[Shipment],
) -> dict[int, list[tuple[int, Shipment]]]:
    """Item id → (quantity, parcel) for what the parcels hold (``orders.contents``). The rest
    of an order shared by several parcels without item lists counts once, and its window runs
    from the last of those parcels like any item sent in several parcels."""
    shipped: dict[int, list[tuple[int, Shipment]]] = {}
    for shipment, lines in held:
        for item, qty in lines:
            shipped.setdefault(item.id, []).append((qty, shipment))
    for item, qty in rest:
        shipped.setdefault(item.id, []).extend(
            (qty if n == 0 else 0, s) for n, s in enumerate(rest_in)
        )
    return shipped


def eligibility(
    brand: Brand,
    order: Order,
    items: list[OrderItem],
    shipped: dict[int, list[tuple[int, Shipment]]],
    returned: dict[int, int],
    now: datetime,
) -> list[ReturnableItem]:
    """Pure: the policy's answer per item, from already loaded rows."""
    out = []
    for item in items:
        parcels = shipped.get(item.id, [])
        shipped_at = [as_utc(s.shipped_at) for _q, s in parcels if s.shipped_at]
        delivered_at = [as_utc(s.delivered_at) for _q, s in parcels if s.delivered_at]
        # Several parcels: the window runs from the last one, so the whole line is covered.
        facts = ItemFacts(
            item_id=item.id,
            sku=item.sku,
            variant=item.variant,
            tags=tuple(item.tags or ()),
            returnable=item.returnable,
            price=item.price,
            shipped_qty=sum(q for q, _s in parcels),
            returned_qty=returned.get(item.id, 0),
            ordered_at=as_utc(order.placed_at),
            shipped_at=max(shipped_at) if shipped_at else None,
            delivered_at=max(delivered_at) if delivered_at else None,
            variants=tuple((item.options or {}).get("variants", ())),
        )
        out.append(
            ReturnableItem(item, policy.item_eligibility(brand.returns, facts, now, brand.tz))
        )
    return out


def page_offer(
    session: Session, brand: Brand, view, now: datetime | None = None
) -> tuple[bool, list[ReturnRequest]]:
    """For the tracking page: can a return start, and the returns already made — in one query,
    reusing the items and parcels the page already loaded (``view``: ``orders.OrderView``)."""
    if not view.parcels:
        return False, []  # nothing shipped: nothing to return, and no return can exist yet
    rows = session.exec(
        select(ReturnRequest, ReturnLine)
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id, isouter=True)
        .where(ReturnRequest.order_id == view.order.id)
        .order_by(col(ReturnRequest.id).desc())
    ).all()
    existing: dict[int, ReturnRequest] = {}
    returned: dict[int, int] = {}
    for request, line in rows:
        existing.setdefault(request.id, request)
        if line is not None and request.status not in machine.RELEASED:
            returned[line.order_item_id] = returned.get(line.order_item_id, 0) + line.qty
    items: dict[int, OrderItem] = {}
    for parcel in view.parcels:
        for item, _qty in parcel.items:
            items[item.id] = item
    for item, _qty in view.rest:
        items[item.id] = item
    shipped = shipped_items(
        [(p.shipment, p.items) for p in view.parcels],
        view.rest,
        [p.shipment for p in view.parcels if p.holds_rest],
    )
    for item, _qty in view.unshipped:
        items.setdefault(item.id, item)
    ordered = [items[k] for k in sorted(items)]
    offer = eligibility(brand, view.order, ordered, shipped, returned, now or utcnow())
    return any(r.eligibility.ok for r in offer), list(existing.values())
