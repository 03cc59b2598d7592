"""An order's data version (``tracking.orders.versions``): every kind of writer changes it in
its own transaction, viewing the page does not, and no table that belongs to an order escapes
the registry."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, insert, update
from sqlmodel import SQLModel, select

import tracking.models  # noqa: F401  (every table on the metadata)
from tests.factories import make_order
from tests.support.writers import WRITERS
from tracking.orders import versions
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.page import events as page_events
from tracking.page.models import Inquiry
from tracking.timeutil import utcnow

OWNER_COLUMNS = {"order_id", "shipment_id", "return_id"}


def _version(session, order) -> int:
    return versions.current(session, [order.id])[order.id]


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_every_writer_changes_the_data_version(app, session, writer):
    with app.test_request_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        order = writer.make(session, brand)
        before = _version(session, order)
        writer.act(session, brand, order)
        session.commit()
        assert _version(session, order) > before


def test_viewing_the_page_does_not(app, session):
    with app.test_request_context():
        brand = app.extensions["todoku_brands"]["sakura-tea"]
        order = make_order(session, brand.slug)
        before = _version(session, order)
        token = page_events.view_token(brand.slug, order.public_id)
        read = page_events.read_view(session, brand.slug, token)
        page_events.record_view(session, brand.slug, brand.page, *read, [], "ja")
        page_events.record_click(session, brand.slug, "b", read, "ja")
        assert _version(session, order) == before


def test_bulk_statements_bump_their_orders_only(app, session):
    one, two = make_order(session), make_order(session)
    ask = Inquiry(brand=one.brand, order_id=one.id, message="?", reply_by=utcnow().date())
    session.add(ask)
    session.commit()
    start = {o.id: _version(session, o) for o in (one, two)}
    session.execute(update(Inquiry).where(Inquiry.id == ask.id).values(reply="!"))
    session.commit()
    assert versions.current(session, start) == {one.id: start[one.id] + 1, two.id: start[two.id]}
    parcel_id = session.exec(select(Shipment.id).where(Shipment.order_id == two.id)).one()
    session.execute(
        insert(ShipmentEvent),
        [{"shipment_id": parcel_id, "occurred_at": utcnow(), "status": "delivered"}],
    )
    session.commit()
    assert versions.current(session, start)[two.id] == start[two.id] + 1
    session.execute(delete(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel_id))
    session.commit()
    assert versions.current(session, start) == {
        one.id: start[one.id] + 1,
        two.id: start[two.id] + 2,
    }
    # A conditional UPDATE that matched nothing changed nothing.
    session.execute(update(Inquiry).where(Inquiry.id == -1).values(reply="?"))
    session.commit()
    assert versions.current(session, start)[one.id] == start[one.id] + 1


def test_a_rolled_back_write_leaves_the_version(app, session):
    order = make_order(session)
    before = _version(session, order)
    order.name = "changed"
    session.add(order)
    session.flush()
    assert session.info[versions.BUMPED] == {order.id}
    session.rollback()
    assert _version(session, order) == before
    assert versions.BUMPED not in session.info


def test_every_table_of_an_order_is_tracked_or_says_why_not():
    """A new table with an order_id, shipment_id or return_id column must be registered with
    ``versions.track`` (its rows change the page) or ``versions.untrack`` (with the reason)."""
    owned = {
        t.name for t in SQLModel.metadata.tables.values() if OWNER_COLUMNS & set(t.columns.keys())
    }
    declared = versions.tracked_tables() | set(versions.UNTRACKED)
    assert owned - declared == set()
    assert versions.tracked_tables() & set(versions.UNTRACKED) == set()
    assert "page_events" in versions.UNTRACKED  # viewing never invalidates


def test_a_deleted_row_bumps_its_order_even_when_expired(app, session):
    order = make_order(session)
    parcel = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
    event = ShipmentEvent(shipment_id=parcel.id, occurred_at=utcnow(), status="delivered")
    session.add(event)
    session.commit()
    before = _version(session, order)
    session.expire_all()  # as after a rollback: the delete must read its owner from the row
    session.delete(event)
    session.commit()
    assert _version(session, order) == before + 1


def test_a_workers_claim_is_no_change(app, session):
    """Claiming a due parcel moves only its next look, which the page never shows."""
    from tracking.sync.schedule import claim

    order = make_order(session, ship=False)
    parcel = Shipment(order_id=order.id, carrier="yamato", tracking_number="300000000016")
    parcel.next_check_at = utcnow()
    session.add(parcel)
    session.commit()
    before = _version(session, order)
    assert [s.id for s, _ in claim(session, utcnow(), 10)] == [parcel.id]
    session.execute(update(Shipment).where(Shipment.id == parcel.id).values(next_check_at=None))
    session.commit()
    assert _version(session, order) == before
    parcel.status = "in_transit"
    session.add(parcel)
    session.commit()
    assert _version(session, order) == before + 1


def test_one_bump_per_order_per_transaction(app, session):
    from tests.orders.test_listing import counted
    from tracking.db import get_engine

    order = make_order(session)
    before = _version(session, order)
    with counted(get_engine(app)) as seen:
        for n in range(3):  # three flushes in one transaction
            session.add(
                Inquiry(
                    brand=order.brand, order_id=order.id, message=f"q{n}", reply_by=date.today()
                )
            )
            session.flush()
        session.commit()
    bumps = [s for s in seen if "data_version" in s and s.lstrip().upper().startswith("UPDATE")]
    assert len(bumps) == 1
    assert _version(session, order) == before + 1


def test_a_write_after_a_rolled_back_savepoint_still_bumps(app, session):
    order = make_order(session)
    before = _version(session, order)
    savepoint = session.begin_nested()
    session.add(
        Inquiry(brand=order.brand, order_id=order.id, message="undone", reply_by=date.today())
    )
    session.flush()
    savepoint.rollback()  # the bump inside it is undone too
    session.add(
        Inquiry(brand=order.brand, order_id=order.id, message="kept", reply_by=date.today())
    )
    session.commit()
    assert _version(session, order) == before + 1
