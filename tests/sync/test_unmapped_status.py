"""An unmapped carrier status is logged once, where the adapter parses it (carriers.parsing), and
storing its events adds no second log line per event."""

from __future__ import annotations

import json
import logging

import carriers
from carriers import Status, parsing
from tracking.orders.models import Order, Shipment
from tracking.sync.apply import apply_result


def _body(code: str) -> bytes:
    events = [
        {"at": "2026-11-24T10:00:00+09:00", "code": "PICKUP", "text": "Picked up"},
        {"at": "2026-11-24T12:00:00+09:00", "code": code, "text": "Held at a new kind of depot"},
    ]
    return json.dumps(
        {"found": True, "events": events, "edd": ["2026-11-26", "2026-11-27"]}
    ).encode()


def _parcel(session, number: str) -> Shipment:
    order = Order(brand="sakura-tea", number=f"T-{number}", email="a@example.com")
    session.add(order)
    session.flush()
    shipment = Shipment(order_id=order.id, carrier="simulated", tracking_number=number)
    session.add(shipment)
    session.flush()
    return shipment


def test_an_unmapped_status_is_logged_once_for_every_parcel_that_stores_it(app, session, caplog):
    parsing._unknown_seen.clear()
    adapter = carriers.get("simulated")
    with app.app_context(), caplog.at_level(logging.WARNING):
        for number in ("SIM-UNMAPPED-1", "SIM-UNMAPPED-2"):
            result = adapter.parse(_body("held_at_depot"), number)
            assert result.events[0].status is Status.UNKNOWN
            assert apply_result(session, _parcel(session, number), result) == 2
    unmapped = [r.getMessage() for r in caplog.records if "unmapped" in r.getMessage()]
    assert unmapped == ["simulated: unmapped status 'held_at_depot' (Held at a new kind of depot)"]
