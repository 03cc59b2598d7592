"""Which shipping mail an order is due: what the triggers read about a batch of orders
(``Facts``, loaded in three queries for the whole batch) and the decision itself (``milestone``,
pure: parcels in, milestone out).

Every caller reads orders as a batch, a single order being a batch of one (the staff resend, the
time-based scan), so there is one way to tell whether every item has shipped and which items a
parcel holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from carriers import Status
from tracking.orders import contents
from tracking.orders.models import OrderItem, Shipment, ShipmentItem

# Shipping milestones, earliest first; a later one supersedes an unsent earlier one.
MILESTONES = (
    "shipped_partial",
    "shipped",
    "late",
    "out_for_delivery",
    "attempted",
    "pickup",
    "pickup_reminder",
    "exception",
)

#: A parcel line: (order item id, quantity, the item's name).
Line = tuple[int, int, str | None]


@dataclass
class Facts:
    """What the triggers read about a batch of orders: the outbound parcels (oldest first), the
    items in them and the orders' items, each keyed by its owner's id."""

    parcels: dict[int, list[Shipment]]  # order id → outbound parcels
    lines: dict[int, list[Line]]  # parcel id → its items
    items: dict[int, list[OrderItem]]  # order id → its items

    @classmethod
    def load(cls, session: Session, order_ids: list[int]) -> Facts:
        """Three queries for the batch, whatever its size (return parcels left out)."""
        parcels: dict[int, list[Shipment]] = {i: [] for i in order_ids}
        for p in session.exec(
            select(Shipment)
            .where(col(Shipment.order_id).in_(order_ids), Shipment.direction == "outbound")
            .order_by(Shipment.id)
        ).all():
            parcels[p.order_id].append(p)
        ids = [p.id for ps in parcels.values() for p in ps]
        lines: dict[int, list[Line]] = defaultdict(list)
        if ids:
            for shipment_id, item_id, qty, name in session.exec(
                select(
                    ShipmentItem.shipment_id,
                    ShipmentItem.order_item_id,
                    ShipmentItem.qty,
                    OrderItem.name,
                )
                .outerjoin(OrderItem, col(OrderItem.id) == ShipmentItem.order_item_id)
                .where(col(ShipmentItem.shipment_id).in_(ids))
                .order_by(ShipmentItem.id)
            ).all():
                lines[shipment_id].append((item_id, qty, name))
        items: dict[int, list[OrderItem]] = defaultdict(list)
        for item in session.exec(
            select(OrderItem).where(col(OrderItem.order_id).in_(order_ids)).order_by(OrderItem.id)
        ).all():
            items[item.order_id].append(item)
        return cls(parcels, lines, items)

    def allocation(self, order_id: int) -> contents.Allocation:
        """Which items each parcel of the order holds and which have not shipped
        (``orders.contents``: a parcel without an item list holds the rest)."""
        items = {i.id: i for i in self.items.get(order_id, ())}
        named = {
            p.id: [(items[i], qty) for i, qty, _ in self.lines.get(p.id, ()) if i in items]
            for p in self.parcels[order_id]
        }
        return contents.allocate(items.values(), named)

    def complete(self, order_id: int) -> bool:
        """True when every item is in a parcel; a parcel without an item list holds the rest."""
        return self.allocation(order_id).complete

    def milestone(self, order_id: int) -> str | None:
        """The order's current shipping milestone (None: nothing to say yet)."""
        return milestone(self.parcels[order_id], self.complete(order_id))


def milestone(parcels: list[Shipment], complete: bool) -> str | None:
    """The milestone of an order with these outbound ``parcels``; ``complete``: every item is in
    a parcel. "delivered" waits for every parcel; otherwise the most pressing news of the parcels
    still on their way wins."""
    statuses = {p.status for p in parcels}
    if parcels and statuses == {Status.DELIVERED.value} and complete:
        return "delivered"
    live = [p for p in parcels if p.status != Status.DELIVERED.value]
    live_statuses = {p.status for p in live}
    # Waiting to be collected: where and until when (a parcel held after a missed delivery is
    # news again once it waits at the pickup point, with its last day).
    if Status.AVAILABLE_FOR_PICKUP.value in live_statuses:
        return "pickup"
    if Status.ATTEMPT_FAILED.value in live_statuses:
        return "attempted"
    if live_statuses & {
        Status.EXCEPTION.value,
        Status.RETURNING_TO_SENDER.value,
        Status.RETURNED_TO_SENDER.value,
    }:
        return "exception"
    if Status.OUT_FOR_DELIVERY.value in live_statuses:
        return "out_for_delivery"
    if any(p.late for p in live):
        return "late"
    if live_statuses & {Status.INFO_RECEIVED.value, Status.IN_TRANSIT.value, Status.DELAYED.value}:
        return "shipped" if complete else "shipped_partial"
    return None
