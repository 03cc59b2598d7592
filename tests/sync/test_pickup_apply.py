"""Storing what a carrier says about a held parcel and how exact its times are (issue 25): the
place and last day on the parcel, each scan's time precision on its row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import carriers
from carriers import Status, TrackingEvent, TrackingResult
from carriers.japan import dates
from tests.factories import make_order, make_parcel
from tracking.orders.models import ShipmentEvent
from tracking.sync.apply import apply_results, precision

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_precision_of_each_kind_of_time():
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert precision(TrackingEvent(at, Status.IN_TRANSIT, "x")) == ""
    assert precision(TrackingEvent(at, Status.IN_TRANSIT, "x", approximate_time=True)) == "about"
    assert precision(TrackingEvent(at, Status.IN_TRANSIT, "x", date_only=True)) == "date"


def test_a_yamato_page_stores_the_store_its_last_day_and_day_only_rows(ctx, session, monkeypatch):
    monkeypatch.setattr(dates, "now_jst", lambda: datetime(2026, 12, 1, 12, 0, tzinfo=JST))
    body = (FIXTURES / "yamato" / "pickup_store.html").read_bytes()
    result = carriers.get("yamato").parse(body, "444413750056")
    order = make_order(session, ship=False)
    parcel = make_parcel(session, order, tracking_number="444413750056", status="in_transit")
    session.commit()
    (applied,) = apply_results(session, [(parcel, result)])
    session.commit()
    assert applied.changed
    assert (parcel.pickup_kind, parcel.pickup_place) == ("store", "ファミリーマート 札幌北24条西店")
    assert (parcel.pickup_until, parcel.pickup_until_source) == (date(2026, 12, 3), "carrier")
    rows = session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id)).all()
    assert {r.raw_code: r.time_precision for r in rows}["作業店通過"] == "date"
    assert sorted(r.time_precision for r in rows).count("") == len(rows) - 1
    # the same answer again changes nothing
    (again,) = apply_results(session, [(parcel, result)])
    assert not again.changed


def test_offsetless_dhl_times_are_stored_as_about(ctx, session):
    body = (FIXTURES / "dhl" / "trouble_offsetless.json").read_bytes()
    result = carriers.get("dhl").parse(body, "1234567890")
    order = make_order(session, ship=False)
    parcel = make_parcel(session, order, carrier="dhl", tracking_number="1234567890")
    session.commit()
    apply_results(session, [(parcel, result)])
    session.commit()
    rows = session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id)).all()
    assert {r.time_precision for r in rows} == {"", "about"}


def test_a_collected_parcel_keeps_where_it_waited(ctx, session):
    order = make_order(session, ship=False)
    parcel = make_parcel(
        session,
        order,
        status="available_for_pickup",
        pickup_kind="store",
        pickup_place="ローソン 渋谷店",
        pickup_until=date(2026, 12, 3),
    )
    session.commit()
    done = TrackingEvent(
        datetime(2026, 12, 2, 3, 0, tzinfo=UTC), Status.DELIVERED, "お客様引渡完了"
    )
    apply_results(
        session,
        [(parcel, TrackingResult("yamato", parcel.tracking_number, Status.DELIVERED, [done]))],
    )
    assert (parcel.status, parcel.pickup_place) == ("delivered", "ローソン 渋谷店")
