"""orders.parcels: the one tracking-number check, the one writer of the order history, and
correcting a parcel with its fresh start (sync.reset.start_over)."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from carriers.numbers import mod7_complete, ups_check_digit
from tracking.estimates.models import LaneObservation
from tracking.orders import intake, parcels
from tracking.orders.models import Order, OrderChange, Shipment, ShipmentEvent
from tracking.orders.schema import ShipmentIn
from tracking.sync import reset
from tracking.timeutil import utcnow

YAMATO = mod7_complete("40123456789")  # 12 digits + mod 7: Yamato and Japan Post alike
YAMATO_BAD = YAMATO[:-1] + str((int(YAMATO[-1]) + 1) % 10)
UPS = "1Z999AA1012345678"[:17]
UPS = UPS + ups_check_digit(UPS[2:])
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def brands(app):
    return app.extensions["todoku_brands"]


@pytest.fixture
def sakura(brands):
    return brands["sakura-tea"]


@pytest.fixture
def english(app):
    with app.test_request_context("/?lang=en"):
        yield


def _error(brand, carrier, raw, **kw) -> parcels.ParcelError:
    with pytest.raises(parcels.ParcelError) as caught:
        parcels.check_number(brand, carrier, raw, **kw)
    return caught.value


def test_full_width_digits_and_long_dashes_are_stored_as_typed_by_no_one(sakura, english):
    typed = f"{YAMATO[:4]}ー{YAMATO[4:8]}―{YAMATO[8:]}".translate(FULL_WIDTH)
    assert parcels.check_number(sakura, "yamato", f" {typed} ") == parcels.Checked("yamato", YAMATO)
    dashed = f"{YAMATO[:4]}\u2212{YAMATO[4:8]}\uff0d{YAMATO[8:]}"
    assert parcels.check_number(sakura, "ヤマト運輸", dashed).number == YAMATO


def test_a_wrong_check_digit_is_refused_unless_the_shop_sent_it(sakura, english):
    error = _error(sakura, "yamato", YAMATO_BAD)
    assert (error.code, error.field) == ("invalid_tracking_number", "tracking_number")
    assert YAMATO_BAD in error.message and "check the digits" in error.message
    # The shop's own systems (API, imports, webhooks) are stored as sent, normalised.
    sent = parcels.check_number(sakura, "yamato", YAMATO_BAD, check_digits=False)
    assert sent == parcels.Checked("yamato", YAMATO_BAD)
    empty = _error(sakura, "yamato", " - ー ")
    assert (empty.code, empty.field) == ("invalid_tracking_number", "tracking_number")


def test_the_carrier_is_detected_among_the_shops_carriers(brands, english):
    north = brands["northpeak"]
    assert parcels.check_number(north, "", UPS.lower()) == parcels.Checked("ups", UPS)
    # Twelve digits with a mod-7 check fit Yamato and Japan Post: the carrier is asked for.
    vague = _error(brands["sakura-tea"], "", YAMATO)
    assert (vague.code, vague.field) == ("ambiguous_carrier", "carrier")
    assert "yamato" in vague.message and "japanpost" in vague.message
    # A Yamato number at a shop shipping with UPS and DHL only.
    none = _error(north, "", YAMATO)
    assert (none.code, none.field) == ("unknown_carrier", "carrier")
    assert "ups" in none.message and "dhl" in none.message


def test_a_carrier_that_does_not_fit_the_number_or_the_shop_is_refused(sakura, english):
    mismatch = _error(sakura, "yamato", UPS)
    assert (mismatch.code, mismatch.field) == ("invalid_tracking_number", "tracking_number")
    unknown = _error(sakura, "pigeon", YAMATO)
    assert (unknown.code, unknown.field) == ("unknown_carrier", "carrier")
    assert "pigeon" in unknown.message
    # Any carrier Todoku knows is fine for the shop's systems; staff choose among the shop's.
    assert parcels.check_number(sakura, "ups", UPS).carrier == "ups"
    foreign = _error(sakura, "ups", UPS, shop_only=True)
    assert (foreign.code, foreign.message) == (
        "unknown_carrier",
        "Please choose one of the shop's carriers.",
    )


def test_the_message_follows_the_locale(app, sakura):
    with app.test_request_context("/?lang=ja"):
        assert "正しくありません" in _error(sakura, "yamato", YAMATO_BAD).message


def _order(session) -> Order:
    order = intake.create_order(session, brand="sakura-tea", number="P-1", email="a@example.com")
    session.commit()
    return order


def test_every_order_change_is_written_by_record_change(session):
    order = _order(session)
    before = order.updated_at
    now = utcnow() + timedelta(minutes=5)
    change = parcels.record_change(session, order, "admin:" + "x" * 80, {"a": [1, 2]}, now)
    session.commit()
    session.expire_all()
    stored = session.exec(select(OrderChange).where(OrderChange.order_id == order.id)).one()
    assert stored.id == change.id and stored.changes == {"a": [1, 2]}
    assert stored.source == ("admin:" + "x" * 80)[:64]
    assert session.get(Order, order.id).updated_at != before
    # The one writer: no other module of tracking/ builds an OrderChange row.
    root = Path(__file__).resolve().parents[2] / "tracking"
    writers = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "OrderChange"
    ]
    assert writers == ["orders/parcels.py"]


def test_intake_updates_are_recorded_through_the_one_writer(session, sakura, english):
    order = _order(session)
    data = ShipmentIn(carrier="yamato", tracking_number=YAMATO, service="")
    intake.add_shipment(session, sakura, order, data, source="api:test")
    intake.add_shipment(
        session,
        sakura,
        order,
        ShipmentIn(carrier="yamato", tracking_number=YAMATO, service="express"),
        source="api:test",
    )
    [change] = session.exec(select(OrderChange).where(OrderChange.order_id == order.id)).all()
    assert change.source == "api:test"
    assert change.changes == {f"shipments.yamato:{YAMATO}.service": ["", "express"]}


def _learned_parcel(session, order) -> Shipment:
    now = utcnow()
    shipment = Shipment(
        order_id=order.id,
        carrier="yamato",
        tracking_number=YAMATO_BAD,
        status="delivered",
        sub_status="left_at_door",
        raw_status="配達完了",
        delivered_at=now,
        late=True,
        failures=3,
        last_checked_at=now,
        next_check_at=None,
        shipped_at=now - timedelta(days=2),
    )
    session.add(shipment)
    session.flush()
    session.add(ShipmentEvent(shipment_id=shipment.id, occurred_at=now, status="delivered"))
    session.add(
        LaneObservation(
            shipment_id=shipment.id,
            carrier="yamato",
            handover_on=date(2026, 11, 1),
            delivered_on=date(2026, 11, 2),
            transit_days=1,
        )
    )
    session.commit()
    return shipment


def test_start_over_forgets_events_learned_lanes_and_the_schedule(session):
    order = _order(session)
    shipment = _learned_parcel(session, order)
    now = utcnow()
    reset.start_over(session, shipment, now)
    session.commit()
    session.expire_all()
    fresh = session.get(Shipment, shipment.id)
    assert (fresh.status, fresh.sub_status, fresh.raw_status) == ("pending", "", "")
    assert (fresh.delivered_at, fresh.late, fresh.failures, fresh.last_checked_at) == (
        None,
        False,
        0,
        None,
    )
    assert fresh.next_check_at is not None
    assert session.exec(select(ShipmentEvent)).all() == []
    assert session.exec(select(LaneObservation)).all() == []


def test_correcting_a_parcel_hands_it_to_start_over_and_records_the_change(
    session, sakura, english
):
    order = _order(session)
    shipment = _learned_parcel(session, order)
    started: list[tuple[int, str]] = []

    def start_over(s, parcel, now):
        started.append((parcel.id, parcel.tracking_number))
        reset.start_over(s, parcel, now)

    fields = {"carrier": "yamato", "source": "admin:t@example.com", "start_over": start_over}
    assert parcels.correct_parcel(
        session, sakura, order, shipment, tracking_number=YAMATO, **fields
    )
    assert started == [(shipment.id, YAMATO)]  # after the new number is set
    [change] = session.exec(select(OrderChange)).all()
    assert change.changes == {
        f"shipments.{shipment.id}.tracking_number": [YAMATO_BAD, YAMATO],
        f"shipments.{shipment.id}.status": ["delivered", "pending"],
    }
    # The same number again changes nothing and starts nothing over.
    assert not parcels.correct_parcel(
        session, sakura, order, shipment, tracking_number=YAMATO, **fields
    )
    assert len(started) == 1
    # Another parcel of the order already has that number: refused, nothing started.
    other = parcels.add_parcel(
        session,
        sakura,
        order,
        carrier="yamato",
        tracking_number=mod7_complete("40123456790"),
        source="admin:t@example.com",
    )
    with pytest.raises(parcels.ParcelError) as caught:
        parcels.correct_parcel(session, sakura, order, other, tracking_number=YAMATO, **fields)
    assert caught.value.code == "duplicate_parcel" and len(started) == 1
    assert parcels.find_parcel(session, order.id, "yamato", YAMATO).id == shipment.id
    assert parcels.parcel_by_id(session, order, other.id).id == other.id
