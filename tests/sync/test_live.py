"""The worker against a fake carrier over real local HTTP (pytest-httpserver serving DHL's API):
the shared circuit breaker with its one half-open probe, 429s, new events in one pass, replays,
leases, captured failures and provider errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

import carriers
from carriers import http as carrier_http
from tests.support import FIXTURES
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.sync import capture, schedule
from tracking.sync import rounds as sync
from tracking.sync.models import CapturedFailure, CarrierHealth
from tracking.timeutil import as_utc, utcnow

DHL_BODY = (FIXTURES / "dhl" / "in_transit.json").read_bytes()


@pytest.fixture
def dhl(monkeypatch, httpserver):
    monkeypatch.setenv("DHL_BASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("DHL_API_KEY", "key")
    monkeypatch.setattr(carrier_http.time, "sleep", lambda s: None)  # the one retry, no wait
    return httpserver


def _calls(server) -> int:
    return len([r for r, _ in server.log if r.path == "/track/shipments"])


def _due(session, demo, numbers, carrier="dhl", now=None):
    now = now or utcnow()
    order = demo["ST-1003"]  # sakura-tea: DHL is not routed via the simulator
    for other in session.exec(select(Shipment)).all():
        other.next_check_at = None
        session.add(other)
    made = []
    for number in numbers:
        s = Shipment(
            order_id=order.id,
            carrier=carrier,
            tracking_number=number,
            status="info_received",
            next_check_at=now - timedelta(minutes=1),
        )
        session.add(s)
        made.append(s)
    session.commit()
    return made


def _round(app, session, now):
    with app.app_context():
        return sync.run_round(session, app.extensions["todoku_brands"], now=now)


def test_outage_opens_the_circuit_then_one_half_open_probe(app, demo, session, dhl):
    # The breaker, not DHL's 1 request/s: with ``time.sleep`` patched out (``dhl``), waiting
    # for the next token would spin on the budget row for a second per call.
    app.config["CARRIER_RATE_LIMITS"] = {"dhl": (1000.0, None)}
    dhl.expect_request("/track/shipments").respond_with_data("down", status=503)
    made = _due(session, demo, [f"10000000{i:02d}" for i in range(6)])
    now = utcnow()
    report = _round(app, session, now)
    threshold = app.config["CARRIER_BREAKER_FAILURES"]
    assert _calls(dhl) == threshold * 2  # each failed call is retried once (idempotent GET)
    assert report.failed == threshold and report.skipped == 6 - threshold
    health = session.exec(select(CarrierHealth).where(CarrierHealth.carrier == "dhl")).one()
    assert as_utc(health.open_until) > now

    # While open: no call at all, even when shipments are due.
    for s in made:
        s.next_check_at = now
        session.add(s)
    session.commit()
    before = _calls(dhl)
    _round(app, session, now + timedelta(seconds=10))
    assert _calls(dhl) == before

    # Half-open: one probe goes out; it fails, so the circuit opens again after that one.
    later = now + timedelta(seconds=app.config["CARRIER_BREAKER_OPEN_SECONDS"] + 1)
    for s in made:
        s.next_check_at = later
        session.add(s)
    session.commit()
    _round(app, session, later)
    assert _calls(dhl) == before + 2  # one probe (plus its one retry)

    # The carrier is back: the next probe succeeds and the circuit closes for the rest.
    dhl.clear()
    dhl.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    again = later + timedelta(seconds=app.config["CARRIER_BREAKER_OPEN_SECONDS"] + 1)
    for s in made:
        s.next_check_at = again
        session.add(s)
    session.commit()
    _round(app, session, again)
    session.refresh(health)
    assert health.open_until is None and health.consecutive_failures == 0
    for s in made:
        session.refresh(s)
        assert as_utc(s.last_checked_at) == again


def test_429_delays_exactly_that_carrier(app, demo, session, dhl, monkeypatch):
    dhl.expect_request("/track/shipments").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )
    (shipment,) = _due(session, demo, ["1234567890"])
    sim = Shipment(
        order_id=demo["ST-1003"].id,
        carrier="simulated",
        tracking_number="SIM-429",
        status="in_transit",
        next_check_at=utcnow() - timedelta(minutes=1),
        shipped_at=utcnow() - timedelta(days=1),
    )
    session.add(sim)
    session.commit()
    now = utcnow()
    report = _round(app, session, now)
    session.refresh(shipment)
    session.refresh(sim)
    assert as_utc(shipment.next_check_at) == now + timedelta(seconds=120)
    assert shipment.failures == 0
    assert as_utc(sim.last_checked_at) == now  # the other carrier went ahead
    assert report.errors["RateLimited"] == 1


def test_new_events_in_one_pass_and_replay_adds_nothing(app, demo, session, dhl):
    dhl.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    (shipment,) = _due(session, demo, ["1234567890"])
    now = utcnow()
    report = _round(app, session, now)
    session.refresh(shipment)
    assert shipment.status == "in_transit"
    expected = len(json.loads(DHL_BODY)["shipments"][0]["events"])
    assert report.new_events == expected
    shipment.next_check_at = now
    session.add(shipment)
    session.commit()
    report = _round(app, session, now + timedelta(minutes=1))
    assert report.checked == 1 and report.new_events == 0
    events = session.exec(
        select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
    ).all()
    assert len(events) == expected


def test_a_killed_worker_loses_nothing(app, demo, session, dhl):
    dhl.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    (shipment,) = _due(session, demo, ["1234567890"])
    now = utcnow()
    # Worker A claims and dies before calling the carrier.
    claimed = schedule.claim(session, now, limit=10)
    assert [s.id for s, _ in claimed] == [shipment.id]
    # Worker B, during the lease: nothing to do.
    assert _round(app, session, now + timedelta(minutes=1)).checked == 0
    # After the lease: B takes it.
    report = _round(app, session, now + schedule.LEASE + timedelta(seconds=1))
    assert report.checked == 1
    session.refresh(shipment)
    assert shipment.status == "in_transit"


def test_a_killed_workers_parcels_wait_worker_lease_seconds(app, demo, session, monkeypatch):
    app.config["WORKER_LEASE_SECONDS"] = 30
    (shipment,) = _due(session, demo, ["1234567890"])
    now = utcnow()
    # Worker A claims in its round and dies before calling the carrier.
    monkeypatch.setattr(sync, "_sync_carrier", lambda *args: None)
    assert _round(app, session, now).claimed == 1
    session.refresh(shipment)
    assert as_utc(shipment.next_check_at) == now + timedelta(seconds=30)
    assert _round(app, session, now + timedelta(seconds=29)).claimed == 0
    assert _round(app, session, now + timedelta(seconds=31)).claimed == 1


def test_redis_lost_holds_the_polling_without_failing_the_round(app, demo, session, dhl):
    """No shared budget, no call: workers that cannot see each other's counts could overspend
    a carrier's day; the parcels wait and the round goes on (the worker's mail with it)."""
    from tests.support.server import free_port
    from tracking.sync import budget

    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    (shipment,) = _due(session, demo, ["1234567890"])
    now = utcnow()
    report = _round(app, session, now)
    assert _calls(dhl) == 0 and report.checked == 0 and report.skipped == 1
    session.refresh(shipment)
    assert as_utc(shipment.next_check_at) == now + timedelta(seconds=budget.REDIS_LOST_WAIT)
    with app.app_context():
        budget.give_back(session, "dhl", now, 2)  # nothing to give back to: no error either


def test_broken_live_body_is_captured_redacted_and_exported(app, demo, session, dhl, tmp_path):
    broken = json.dumps(
        {
            "shipments": [
                {
                    "id": "1234567890",
                    "receiver": {"name": "Hanako Yamada", "email": "hanako@example.jp"},
                    "events": "not a list of events",
                    "note": "call 090-1234-5678 or mail hanako@example.jp, 〒150-0001",
                }
            ]
        }
    ).encode()
    dhl.expect_request("/track/shipments").respond_with_data(
        broken, content_type="application/json"
    )
    (shipment,) = _due(session, demo, ["1234567890"])
    report = _round(app, session, utcnow())
    assert report.captured == 1
    row = session.exec(select(CapturedFailure)).one()
    assert (row.carrier, row.tracking_number, row.shipment_id) == ("dhl", "1234567890", shipment.id)
    assert "ParseFailed" in row.error or "dhl" in row.error
    stored = row.body.decode()
    for secret in ("Hanako", "hanako@example.jp", "090-1234-5678", "150-0001"):
        assert secret not in stored
    assert "1234567890" in stored and "[redacted]" in stored
    session.refresh(shipment)
    assert shipment.status == "info_received" and shipment.failures == 1

    written = capture.export(session, tmp_path)
    assert (tmp_path / "dhl" / "cases.toml") in written
    # The exported fixture loads like any other: the contract test's own loader and parser.
    import tomllib

    (case,) = tomllib.loads((tmp_path / "dhl" / "cases.toml").read_text())["case"]
    body = (tmp_path / "dhl" / case["file"]).read_bytes()
    with pytest.raises(getattr(carriers, case["raises"])):
        carriers.get("dhl").parse(body, case["number"])


def test_provider_error_is_not_a_parcel_status(app, demo, session, monkeypatch):
    class Picky(carriers.Adapter):
        code = "picky"
        batch_size = 1

        def fetch(self, numbers, **context):
            return dict.fromkeys(numbers, b"{}")

        def parse(self, body, number):
            raise carriers.ProviderError("only test numbers are valid")

    monkeypatch.setitem(carriers.REGISTRY, "picky", Picky())
    (shipment,) = _due(session, demo, ["P1"], carrier="picky")
    report = _round(app, session, utcnow())
    session.refresh(shipment)
    assert shipment.status == "info_received"
    assert report.errors["ProviderError"] == 1
    assert session.exec(select(CapturedFailure)).all() == []


def test_captured_cli_exports_fixtures(app, session, tmp_path):
    with app.app_context():
        capture.capture(session, "dhl", "1234567890", b'{"shipments": 5}', "dhl: unexpected")
        session.commit()
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["carriers", "captured"])
    assert "dhl" in listed.output and "1234567890" in listed.output
    out = runner.invoke(args=["carriers", "captured", "--export", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "wrote 2 file(s)" in out.output
    assert (tmp_path / "dhl" / "cases.toml").read_text().count("[[case]]") == 1


@pytest.mark.parametrize("store", ["database", "redis"])
def test_daily_budget_is_never_exceeded(app, demo, session, dhl, store, redis_url):
    if store == "redis":
        import redis

        try:
            redis.Redis.from_url(redis_url).flushdb()
        except redis.ConnectionError:
            pytest.skip("no local Redis")
        app.config["REDIS_URL"] = redis_url
    app.config["CARRIER_RATE_LIMITS"] = {"dhl": (1000.0, 3)}
    dhl.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    made = _due(session, demo, [f"20000000{i:02d}" for i in range(5)])
    now = utcnow()
    report = _round(app, session, now)
    assert _calls(dhl) == 3
    assert report.checked == 3 and report.skipped == 2
    waiting = [s for s in made if as_utc(s.next_check_at) > now + timedelta(minutes=1)]
    assert all(s.failures == 0 for s in made)
    assert len(waiting) == 5  # 3 checked (next cadence) + 2 held until the budget resets
    _round(app, session, now + timedelta(seconds=5))
    assert _calls(dhl) == 3


def test_per_second_bucket_spaces_calls(app, demo, session, dhl, monkeypatch):
    slept = []
    monkeypatch.setattr(sync.time, "sleep", slept.append)
    app.config["CARRIER_RATE_LIMITS"] = {"dhl": (2.0, None)}
    dhl.expect_request("/track/shipments").respond_with_data(
        DHL_BODY, content_type="application/json"
    )
    _due(session, demo, [f"30000000{i:02d}" for i in range(3)])
    # A frozen clock: the bucket (2 tokens) is empty at the third call, so the worker waits.
    frozen = utcnow()
    monkeypatch.setattr(sync, "utcnow", lambda: frozen + timedelta(seconds=len(slept)))
    _round(app, session, frozen)
    assert _calls(dhl) == 3
    assert slept and all(0 < s <= sync.MAX_SLEEP for s in slept)
