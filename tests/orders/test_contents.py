"""What each parcel holds (``orders.contents.allocate``): a parcel without an item list holds
the rest of the order, so only orders whose every parcel names its items can be partial."""

from __future__ import annotations

from tracking.orders.contents import allocate
from tracking.orders.models import OrderItem

TEA, CUP = OrderItem(id=1, name="煎茶", qty=2), OrderItem(id=2, name="湯呑み", qty=1)


def test_no_parcel_leaves_everything_unshipped():
    alloc = allocate([TEA, CUP], {})
    assert alloc.unshipped == [(TEA, 2), (CUP, 1)] and not alloc.complete


def test_parcels_naming_their_items_leave_the_rest_unshipped():
    alloc = allocate([TEA, CUP], {10: [(TEA, 1)]})
    assert alloc.parcels == {10: [(TEA, 1)]}
    assert alloc.unshipped == [(TEA, 1), (CUP, 1)] and not alloc.rest_in


def test_the_only_parcel_without_items_holds_the_rest():
    alloc = allocate([TEA, CUP], {10: [(TEA, 2)], 11: []})
    assert alloc.parcels == {10: [(TEA, 2)], 11: [(CUP, 1)]}
    assert alloc.complete and not alloc.shared
    assert allocate([TEA, CUP], {11: []}).parcels == {11: [(TEA, 2), (CUP, 1)]}


def test_several_parcels_without_items_share_the_rest():
    alloc = allocate([TEA, CUP], {10: [(CUP, 1)], 11: [], 12: []})
    assert alloc.complete and alloc.shared
    assert alloc.rest == [(TEA, 2)] and alloc.rest_in == [11, 12]
    assert alloc.parcels[11] == alloc.parcels[12] == []


def test_nothing_left_is_not_shared():
    alloc = allocate([TEA], {10: [(TEA, 2)], 11: [], 12: []})
    assert alloc.complete and not alloc.shared and alloc.rest == []
