"""The worker's polling round: cadence, failures, circuit breaker, routing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

import carriers
from carriers import RateLimited, Status, Unavailable
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.sync import cli, schedule
from tracking.sync import rounds as sync
from tracking.timeutil import as_utc, utcnow


class Flaky(carriers.Adapter):
    code = "flaky"
    names = {"en": "Flaky"}
    batch_size = 1

    def __init__(self, error):
        self.error = error
        self.calls = 0

    def validate(self, number):
        return True

    def fetch(self, numbers, **context):
        self.calls += 1
        raise self.error


@pytest.fixture
def flaky(monkeypatch):
    def install(error):
        adapter = Flaky(error)
        monkeypatch.setitem(carriers.REGISTRY, "flaky", adapter)
        return adapter

    return install


def _brands(app):
    return app.extensions["todoku_brands"]


def test_demo_shipments_are_scheduled_and_terminal_ones_are_not(demo, session):
    ids = [o.id for o in demo.values()]
    rows = session.exec(select(Shipment).where(Shipment.order_id.in_(ids))).all()
    for s in rows:
        if Status(s.status).is_terminal:
            assert s.next_check_at is None
        else:
            assert s.next_check_at is not None


def test_round_polls_due_shipments_through_the_brand_route(app, demo, session):
    later = utcnow() + timedelta(days=3)  # journeys have moved on by then
    due = session.exec(select(Shipment).where(Shipment.next_check_at.is_not(None))).all()
    with app.app_context():
        report = sync.run_round(session, _brands(app), now=later)
    assert report.checked == len([s for s in due if s.tracking_number]) - 0
    assert report.failed == 0
    # The in-transit Yamato parcel of ST-1003 (played by the simulated carrier) is delivered now.
    st1003 = demo["ST-1003"]
    shipment = session.exec(select(Shipment).where(Shipment.order_id == st1003.id)).one()
    assert shipment.status == "delivered"
    assert shipment.next_check_at is None
    assert as_utc(shipment.last_checked_at) == later
    events = session.exec(
        select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
    ).all()
    assert len(events) == len({(e.occurred_at, e.raw_code) for e in events})  # no duplicates


def test_nothing_due_nothing_fetched(app, demo, session):
    with app.app_context():
        report = sync.run_round(session, _brands(app), now=utcnow() - timedelta(days=1))
    assert report.checked == 0


def _one_due(session, demo, carrier="flaky", n=1):
    order = demo["NP-2005"]
    now = utcnow()
    made = []
    for i in range(n):
        s = Shipment(
            order_id=order.id,
            carrier=carrier,
            tracking_number=f"FLAKY{i}",
            status="in_transit",
            next_check_at=now - timedelta(minutes=1),
            last_checked_at=now - timedelta(hours=5),
        )
        session.add(s)
        made.append(s)
    # Keep other shipments out of the way.
    for other in session.exec(select(Shipment).where(Shipment.carrier != carrier)).all():
        other.next_check_at = None
        session.add(other)
    session.commit()
    return made


def test_carrier_down_keeps_last_status_and_backs_off(app, demo, session, flaky):
    flaky(Unavailable("HTTP 503"))
    (shipment,) = _one_due(session, demo)
    checked_before = as_utc(shipment.last_checked_at)
    now = utcnow()
    with app.app_context():
        report = sync.run_round(session, _brands(app), now=now)
    session.refresh(shipment)
    assert report.failed == 1 and report.errors["Unavailable"] == 1
    assert shipment.status == "in_transit"  # last known status stays
    assert as_utc(shipment.last_checked_at) == checked_before  # and when it was really checked
    assert shipment.failures == 1
    assert as_utc(shipment.next_check_at) == now + schedule.CADENCE[Status.IN_TRANSIT] * 2


def test_circuit_breaker_skips_the_rest_of_a_failing_carrier(app, demo, session, flaky):
    adapter = flaky(Unavailable("down"))
    _one_due(session, demo, n=6)
    with app.app_context():
        report = sync.run_round(session, _brands(app))
    threshold = app.config["CARRIER_BREAKER_FAILURES"]
    assert adapter.calls == threshold
    assert report.failed == threshold and report.skipped == 6 - threshold


def test_rate_limit_waits_as_told(app, demo, session, flaky):
    flaky(RateLimited("slow down", retry_after=120))
    (shipment,) = _one_due(session, demo)
    now = utcnow()
    with app.app_context():
        sync.run_round(session, _brands(app), now=now)
    session.refresh(shipment)
    assert as_utc(shipment.next_check_at) == now + timedelta(seconds=120)
    assert shipment.failures == 0


def test_next_check_cadence():
    now = utcnow()
    assert schedule.next_check("delivered", now) is None
    assert schedule.next_check("out_for_delivery", now) == now + timedelta(minutes=30)
    assert schedule.next_check("in_transit", now, failures=10) == now + schedule.MAX_BACKOFF
    assert schedule.next_check("nonsense", now) == now + schedule.CADENCE[Status.UNKNOWN]


def test_worker_once_runs_a_round(app, demo):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


class _Slept(Exception):
    pass


def test_the_worker_goes_again_at_once_while_its_rounds_are_full(app, session, demo, monkeypatch):
    """A backlog larger than one round's claim is worked off before the worker sleeps."""
    order = session.exec(select(Order)).first()
    for other in session.exec(select(Shipment)).all():
        other.next_check_at = None
        session.add(other)
    backlog = sync.ROUND_LIMIT + 30
    due = utcnow() - timedelta(minutes=1)
    for i in range(backlog):
        session.add(
            Shipment(
                order_id=order.id,
                carrier="simulated",
                tracking_number=f"SIM-BACKLOG-{i:04d}",
                status="in_transit",
                next_check_at=due,
            )
        )
    session.commit()
    naps: list[float] = []

    def sleep(seconds):
        naps.append(seconds)
        raise _Slept  # stop the endless worker at its first sleep

    monkeypatch.setattr("tracking.sync.cli.time.sleep", sleep)
    result = app.test_cli_runner().invoke(args=["worker", "--interval", "60"])
    # Its first nap is between rounds (looking for import jobs every IMPORT_POLL seconds).
    assert isinstance(result.exception, _Slept) and naps == [cli.IMPORT_POLL], result.output
    checked = session.exec(
        select(Shipment).where(
            Shipment.tracking_number.startswith("SIM-BACKLOG-"),
            Shipment.last_checked_at.is_not(None),
        )
    ).all()
    assert len(checked) == backlog


def test_order_of_brand_without_config_still_syncs(app, session, demo):
    assert session.exec(select(Order)).first() is not None
