"""Orders read a page at a time with their items and parcels (``tracking.orders.listing``): a
constant number of queries however many orders the page holds, in the service and through the
API's listing, which once read every order's items and parcels one order at a time."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tracking.db import get_engine
from tracking.orders import listing
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.staff.api_keys import create_api_key

BRAND = "sakura-tea"


@contextmanager
def counted(engine):
    """Counts the statements sent to the database inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def fifty_orders(session) -> list[Order]:
    """50 orders, each with two items, one outbound parcel and one return parcel."""
    orders = []
    for n in range(50):
        order = Order(brand=BRAND, number=f"LIST-{n:03d}", email=f"b{n}@example.com")
        session.add(order)
        session.flush()
        session.add_all(
            [
                OrderItem(order_id=order.id, sku=f"A-{n}", name="煎茶", qty=1, price=100),
                OrderItem(order_id=order.id, sku=f"B-{n}", name="湯呑み", qty=2, price=200),
                Shipment(order_id=order.id, carrier="yamato", tracking_number=f"4{n:011d}"),
                Shipment(
                    order_id=order.id,
                    carrier="yamato",
                    tracking_number=f"5{n:011d}",
                    direction="return",
                ),
            ]
        )
        orders.append(order)
    session.commit()
    return orders


def test_a_page_reads_its_contents_in_the_same_queries_for_1_and_50_orders(
    app, session, fifty_orders
):
    engine = get_engine(app)
    with counted(engine) as one:
        small = listing.page(session, BRAND, limit=1)
    session.expunge_all()  # nothing comes from the identity map the first read filled
    with counted(engine) as fifty:
        big = listing.page(session, BRAND, limit=50)
    assert len(one) == len(fifty) == 3, fifty
    assert (len(small.rows), small.more) == (1, True)
    assert (len(big.rows), big.more) == (50, False)
    by_number = {row.order.number: row for row in big.rows}
    for n, order in enumerate(fifty_orders):
        row = by_number[order.number]
        assert [i.sku for i in row.items] == [f"A-{n}", f"B-{n}"]
        assert [(s.direction, s.tracking_number[0]) for s in row.shipments] == [("outbound", "4")]


def test_no_orders_is_no_item_or_parcel_query(app, session):
    with counted(get_engine(app)) as seen:
        assert listing.with_contents(session, []) == []
    assert seen == []


def test_the_api_listing_costs_the_same_queries_for_1_and_50_orders(
    app, client, session, fifty_orders
):
    with app.app_context():
        headers = {"Authorization": "Bearer " + create_api_key(session, BRAND, "wms")}
    client.get("/api/v1/orders?limit=1", headers=headers)  # the key's first use is written once
    engine = get_engine(app)
    with counted(engine) as one:
        small = client.get("/api/v1/orders?limit=1", headers=headers)
    with counted(engine) as fifty:
        big = client.get("/api/v1/orders?limit=50", headers=headers)
    assert small.status_code == big.status_code == 200
    assert len(small.json["orders"]) == 1 and small.json["next_cursor"]
    assert len(big.json["orders"]) == 50 and big.json["next_cursor"] is None
    assert all(len(o["items"]) == 2 and len(o["shipments"]) == 1 for o in big.json["orders"])
    assert len(one) == len(fifty), fifty


def test_pages_after_a_cursor_give_every_order_once_across_equal_change_times(session):
    """Pages continue from (updated_at, id): orders sharing the cursor's time are split by id,
    and later orders come next even when their ids are smaller (ids and change times do not
    follow each other once orders are updated)."""
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    # ids 1..7 in creation order; change times: three share t0, the rest are later, and the
    # latest change belongs to the first order.
    offsets = [3, 0, 0, 0, 1, 2, 1]
    for n, hours in enumerate(offsets):
        session.add(
            Order(
                brand=BRAND,
                number=f"CUR-{n}",
                email=f"c{n}@example.com",
                updated_at=t0 + timedelta(hours=hours),
            )
        )
    session.add(Order(brand="northpeak", number="OTHER", email="o@example.com", updated_at=t0))
    session.commit()
    seen, after = [], None
    while True:
        found = listing.page(session, BRAND, limit=2, after=after)
        seen += [row.order for row in found.rows]
        if not found.more:
            break
        last = found.rows[-1].order
        after = (last.updated_at, last.id)
    numbers = [o.number for o in seen]
    assert sorted(numbers) == sorted(f"CUR-{n}" for n in range(7))  # each once, own shop only
    expected = sorted(seen, key=lambda o: (o.updated_at.replace(tzinfo=None), o.id))
    assert numbers == [o.number for o in expected]
    assert numbers[:3] == ["CUR-1", "CUR-2", "CUR-3"] and numbers[-1] == "CUR-0"
