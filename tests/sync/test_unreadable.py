"""Carrier answers through the worker and the webhook door (issue 25): an answer whose times lack
offsets is stored whole; one that says nothing is captured, counted, and the page keeps the last
status with the time it was really checked; never a stored "unknown"."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

import carriers
from tests.support import FIXTURES
from tests.sync.test_webhooks import SECRET, post, sign
from tracking.monitoring import metrics
from tracking.orders.models import Shipment, ShipmentEvent
from tracking.sync import rounds
from tracking.sync.models import CapturedFailure
from tracking.timeutil import as_utc, utcnow

NUMBER = "1234567890"


class Recorded(carriers.DHLAdapter):
    """DHL's parser over a recorded body instead of the network."""

    code = "recorded"

    def __init__(self, name: str):
        self.body = (FIXTURES / "dhl" / name).read_bytes()

    def fetch(self, numbers, **context):
        return dict.fromkeys(numbers, self.body)


@pytest.fixture
def carrier(monkeypatch):
    def install(name: str):
        monkeypatch.setitem(carriers.REGISTRY, "recorded", Recorded(name))

    return install


@pytest.fixture
def parcel(session, demo):
    now = utcnow()
    shipment = Shipment(
        order_id=demo["NP-2005"].id,
        carrier="recorded",
        tracking_number=NUMBER,
        status="in_transit",
        raw_status="Processed at LEIPZIG - GERMANY",
        next_check_at=now - timedelta(minutes=1),
        last_checked_at=now - timedelta(hours=5),
    )
    session.add(shipment)
    for other in session.exec(select(Shipment).where(Shipment.carrier != "recorded")).all():
        other.next_check_at = None  # one parcel due: this one
        session.add(other)
    session.commit()
    return shipment


def _round(app, session):
    with app.app_context():
        return rounds.run_round(session, app.extensions["todoku_brands"], now=utcnow())


def _unreadable(carrier: str, source: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value(
            "todoku_carrier_unreadable_total", {"carrier": carrier, "source": source}
        )
        or 0.0
    )


def test_answer_without_offsets_is_stored_whole(app, session, parcel, carrier):
    carrier("trouble_offsetless.json")
    report = _round(app, session)
    session.refresh(parcel)
    assert report.failed == 0 and report.captured == 0
    assert parcel.status == "out_for_delivery"
    events = session.exec(select(ShipmentEvent).where(ShipmentEvent.shipment_id == parcel.id))
    assert len(events.all()) == 4


def test_answer_that_says_nothing_is_captured_and_the_last_status_kept(
    app, session, parcel, carrier
):
    carrier("trouble_nested_elsewhere.json")
    checked = as_utc(parcel.last_checked_at)
    before = _unreadable("recorded", "poll")
    report = _round(app, session)
    session.refresh(parcel)
    assert report.captured == 1 and report.errors["ParseFailed"] == 1
    assert parcel.status == "in_transit"  # not "unknown"
    assert parcel.raw_status == "Processed at LEIPZIG - GERMANY"
    assert as_utc(parcel.last_checked_at) == checked  # the page says when it was really checked
    assert parcel.failures == 1
    (row,) = session.exec(select(CapturedFailure)).all()
    assert (row.carrier, row.shipment_id) == ("recorded", parcel.id)
    assert b'"details"' in row.body
    assert _unreadable("recorded", "poll") == before + 1


@pytest.fixture
def app_config(app_config):
    app_config["CARRIER_WEBHOOK_SECRETS"] = {"SAKURA_TEA_AFTERSHIP_WEBHOOK_SECRET": SECRET}
    return app_config


def test_webhook_that_says_nothing_is_captured_not_stored_as_unknown(client, session, demo):
    shipment = Shipment(
        order_id=demo["ST-1003"].id, carrier="dhl", tracking_number=NUMBER, status="in_transit"
    )
    session.add(shipment)
    session.commit()
    tracking = json.loads((FIXTURES / "aftership" / "in_transit.json").read_text())
    tracking = tracking["data"]["trackings"][0]
    # The status and checkpoints nested under a key no documented version uses.
    moved = {"tracking_number": NUMBER, "latest": {"tag": tracking["tag"]}}
    body = json.dumps({"event": "tracking_update", "event_id": "e-1", "msg": moved}).encode()
    before = _unreadable("aftership", "webhook")
    r = post(client, "aftership", body, sign("aftership", body))
    assert r.status_code == 202 and r.get_json() == {"result": "captured"}
    session.refresh(shipment)
    assert shipment.status == "in_transit"
    (row,) = session.exec(select(CapturedFailure)).all()
    assert row.shipment_id == shipment.id and row.error.startswith("webhook:")
    assert _unreadable("aftership", "webhook") == before + 1

    # The same tracking in the documented envelope is applied.
    good = json.dumps({"event": "tracking_update", "event_id": "e-2", "msg": tracking}).encode()
    assert post(client, "aftership", good, sign("aftership", good)).status_code == 200
