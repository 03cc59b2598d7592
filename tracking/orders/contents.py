"""What is in which parcel of an order, and what has not shipped yet: one pure decision shared by
the tracking page, the mail, the milestones, the estimate and returns.

Shops do not always say which items a parcel holds: a Rakuten 発送完了報告 row has no item
columns, and the API takes a parcel without ``items``. Such a parcel holds whatever no other
parcel names, so an order with one is fully shipped; only when every parcel names its items do
the items left over count as not shipped yet (a partial shipment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")  # an OrderItem, or whatever stands for one (it needs .id and .qty)

#: Items with their quantities.
Lines = list[tuple[Item, int]]


@dataclass
class Allocation(Generic[Item]):
    """``parcels``: parcel id → the items it holds (those it names, and for the only parcel
    without an item list, the rest of the order); ``unshipped``: items no parcel holds;
    ``rest``: the items no parcel names; ``rest_in``: the parcels without an item list, which
    between them hold ``rest``."""

    parcels: dict[int, Lines] = field(default_factory=dict)
    unshipped: Lines = field(default_factory=list)
    rest: Lines = field(default_factory=list)
    rest_in: list[int] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        """The rest of the order is spread over several parcels without item lists: nobody
        knows which of them holds what, so each says "the rest of your order"."""
        return len(self.rest_in) > 1 and bool(self.rest)

    @property
    def complete(self) -> bool:
        """Every item of the order is in a parcel."""
        return not self.unshipped


def allocate(items: Iterable[Item], named: Mapping[int, Iterable[tuple[Item, int]]]) -> Allocation:
    """Which of ``items`` (the order's) are in which parcel. ``named``: every parcel of the
    order (id → the items with quantities it names, empty when it names none), in the order the
    parcels are shown."""
    alloc: Allocation = Allocation()
    shipped: dict[int, int] = {}
    for parcel_id, lines in named.items():
        held = [(item, qty) for item, qty in lines]
        alloc.parcels[parcel_id] = held
        if not held:
            alloc.rest_in.append(parcel_id)
        for item, qty in held:
            shipped[item.id] = shipped.get(item.id, 0) + qty
    alloc.rest = [
        (item, item.qty - shipped.get(item.id, 0))
        for item in items
        if item.qty - shipped.get(item.id, 0) > 0
    ]
    if not alloc.rest_in:
        alloc.unshipped = list(alloc.rest)
    elif len(alloc.rest_in) == 1:
        alloc.parcels[alloc.rest_in[0]] = list(alloc.rest)
    return alloc
