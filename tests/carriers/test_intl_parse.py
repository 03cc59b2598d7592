"""Parser details the fixture cases do not pin down on their own."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import carriers
from carriers import NotFound, ParseFailed, Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_track17_naive_local_time_falls_back_to_utc_field():
    event = {
        "time_iso": "2026-11-17T10:00:00",
        "time_utc": "2026-11-17T01:00:00Z",
        "description": "Picked up",
        "sub_status": "InTransit_PickedUp",
    }
    body = {
        "code": 0,
        "data": {
            "accepted": [
                {
                    "number": "RR1",
                    "track_info": {
                        "latest_status": {
                            "status": "InTransit",
                            "sub_status": "InTransit_PickedUp",
                        },
                        "tracking": {"providers": [{"events": [event]}]},
                    },
                }
            ],
            "rejected": [],
        },
    }
    result = carriers.get("track17").parse(json.dumps(body).encode(), "RR1")
    assert result.events[0].occurred_at == datetime(2026, 11, 17, 1, 0, tzinfo=UTC)
    assert result.status is Status.IN_TRANSIT
    assert result.events[0].sub_status == "picked_up"


def test_ups_delivery_date_del_makes_the_shipment_delivered():
    activity = {
        "date": "20261121",
        "time": "143200",
        "gmtOffset": "-06:00",
        "status": {"type": "D", "description": "Left at front door", "code": "FS"},
    }
    body = {
        "trackResponse": {
            "shipment": [
                {
                    "package": [
                        {
                            "trackingNumber": "1ZX",
                            "activity": [activity],
                            "deliveryDate": [{"type": "DEL", "date": "20261121"}],
                        }
                    ]
                }
            ]
        }
    }
    result = carriers.get("ups").parse(json.dumps(body).encode(), "1ZX")
    # The event text alone is not placeable (D is not "delivered"), the DEL date is.
    assert result.events[0].status is Status.UNKNOWN
    assert result.status is Status.DELIVERED
    assert result.delivered_at == datetime.fromisoformat("2026-11-21T14:32:00-06:00")
    assert result.estimated_delivery is None


@pytest.mark.parametrize("code", ["fedex", "aftership", "track17", "ship24"])
def test_batch_parsers_raise_not_found_for_a_number_not_in_the_body(code):
    body = (FIXTURES / code / "in_transit.json").read_bytes()
    with pytest.raises(NotFound):
        carriers.get(code).parse(body, "NOT-ASKED-FOR")


def test_json_array_body_is_parse_failed():
    for code in ("ups", "fedex", "dhl", "usps", "aftership", "track17", "ship24", "easypost"):
        with pytest.raises(ParseFailed):
            carriers.get(code).parse(b"[]", "X")
