"""The milestone decision, without a database: parcels in, the mail an order is due out."""

from __future__ import annotations

import pytest

from carriers import Status
from tracking.mail.milestones import Facts, milestone
from tracking.orders.models import OrderItem, Shipment


def _parcel(status: Status, pid: int = 1, late: bool = False) -> Shipment:
    return Shipment(
        id=pid,
        order_id=7,
        carrier="yamato",
        tracking_number=f"N{pid}",
        status=status.value,
        late=late,
    )


@pytest.mark.parametrize(
    ("statuses", "complete", "expected"),
    [
        ([], True, None),
        ([Status.PENDING], True, None),
        ([Status.IN_TRANSIT], True, "shipped"),
        ([Status.INFO_RECEIVED], False, "shipped_partial"),
        ([Status.DELAYED, Status.PENDING], False, "shipped_partial"),
        ([Status.OUT_FOR_DELIVERY, Status.IN_TRANSIT], True, "out_for_delivery"),
        ([Status.ATTEMPT_FAILED, Status.OUT_FOR_DELIVERY], True, "attempted"),
        # waiting at a store, locker or office: its own mail (where, until when)
        ([Status.AVAILABLE_FOR_PICKUP], True, "pickup"),
        ([Status.ATTEMPT_FAILED, Status.AVAILABLE_FOR_PICKUP], True, "pickup"),
        ([Status.AVAILABLE_FOR_PICKUP, Status.EXCEPTION], True, "pickup"),
        ([Status.AVAILABLE_FOR_PICKUP, Status.DELIVERED], True, "pickup"),
        ([Status.EXCEPTION, Status.OUT_FOR_DELIVERY], True, "exception"),
        ([Status.RETURNING_TO_SENDER], True, "exception"),
        ([Status.RETURNED_TO_SENDER], True, "exception"),
        # "attempted" is the more pressing news: the customer can act on it
        ([Status.ATTEMPT_FAILED, Status.EXCEPTION], True, "attempted"),
        ([Status.DELIVERED], True, "delivered"),
        ([Status.DELIVERED, Status.DELIVERED], True, "delivered"),
        # delivered waits for every parcel and every item
        ([Status.DELIVERED, Status.IN_TRANSIT], True, "shipped"),
        ([Status.DELIVERED], False, None),
        ([Status.DELIVERED, Status.OUT_FOR_DELIVERY], False, "out_for_delivery"),
    ],
)
def test_milestone_of_parcels(statuses, complete, expected):
    parcels = [_parcel(s, pid=i) for i, s in enumerate(statuses, 1)]
    assert milestone(parcels, complete) == expected


def test_a_late_parcel_is_late_until_it_is_out_for_delivery():
    assert milestone([_parcel(Status.IN_TRANSIT, late=True)], True) == "late"
    assert milestone([_parcel(Status.OUT_FOR_DELIVERY, late=True)], True) == "out_for_delivery"
    # a delivered parcel's old lateness is no news
    late_delivered = [_parcel(Status.DELIVERED, 1, late=True), _parcel(Status.IN_TRANSIT, 2)]
    assert milestone(late_delivered, True) == "shipped"


def test_complete_counts_every_parcel_of_the_order():
    tea, cups = OrderItem(id=10, order_id=7, qty=1), OrderItem(id=11, order_id=7, qty=2)
    first, second = _parcel(Status.IN_TRANSIT, 1), _parcel(Status.PENDING, 2)
    facts = Facts(
        parcels={7: [first]},
        lines={1: [(10, 1, "tea"), (11, 1, "cup")], 2: [(11, 1, "cup")]},
        items={7: [tea, cups]},
    )
    assert not facts.complete(7)  # one cup is in no parcel yet
    assert facts.milestone(7) == "shipped_partial"
    facts.parcels[7].append(second)
    assert facts.complete(7)
    assert facts.milestone(7) == "shipped"


def test_an_order_without_items_per_parcel_counts_as_complete():
    item = OrderItem(id=10, order_id=7, qty=1)
    facts = Facts(parcels={7: [_parcel(Status.IN_TRANSIT)]}, lines={}, items={7: [item]})
    assert facts.complete(7)
    assert facts.milestone(7) == "shipped"
