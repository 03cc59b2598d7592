"""Readings that hold on real responses (issue 25): times without an offset, envelopes other than
the documented one, repeated and unmapped events, Yamato's return leg and its buttons, and the
Yamato link. The fixture cases themselves are in tests/fixtures/*/cases.toml (test_contract)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import carriers
from carriers import ParseFailed, Status, TrackingEvent, parsing, zones

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TOKYO, BERLIN = ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")


def _fixture(code: str, name: str) -> dict:
    return json.loads((FIXTURES / code / name).read_text())


# ------------------------------------------------------------------ times without an offset


def test_dhl_offsetless_times_are_read_where_they_happened_and_guesses_are_marked():
    body = (FIXTURES / "dhl" / "trouble_offsetless.json").read_bytes()
    result = carriers.get("dhl").parse(body, "1234567890")
    got = [
        (e.occurred_at.utcoffset().total_seconds() / 3600, e.approximate_time)
        for e in result.events
    ]
    assert got == [
        (9, False),  # "TOKYO - JAPAN": the locality names its country
        (9, True),  # "TOKYO": no country, read at the destination (JP)
        (1, False),  # "LEIPZIG - GERMANY"
        (9, True),  # no location at all: the destination again
    ]


def test_dhl_without_any_country_reads_in_dhl_home_zone():
    body = (FIXTURES / "dhl" / "trouble_offsetless_no_country.json").read_bytes()
    result = carriers.get("dhl").parse(body, "JJD000390007794440001")
    assert {e.occurred_at.tzinfo for e in result.events} == {BERLIN}
    assert all(e.approximate_time for e in result.events)


@pytest.mark.parametrize(
    ("own", "guesses", "expected", "approximate"),
    [
        (TOKYO, (BERLIN,), datetime(2026, 12, 3, 10, 15, tzinfo=TOKYO), False),
        (None, (None, BERLIN), datetime(2026, 12, 3, 10, 15, tzinfo=BERLIN), True),
        (None, (None, None), datetime(2026, 12, 3, 10, 15, tzinfo=UTC), True),
    ],
)
def test_local_time_order(own, guesses, expected, approximate):
    when, guessed = zones.local_time("2026-12-03T10:15:00", own, *guesses)
    assert when == expected and when.tzinfo == expected.tzinfo
    assert guessed is approximate
    # An offset is exact whatever zones are offered.
    assert zones.local_time("2026-12-03T10:15:00+01:00", TOKYO, TOKYO) == (
        datetime(2026, 12, 3, 10, 15, tzinfo=BERLIN),
        False,
    )


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("LEIPZIG - GERMANY", BERLIN),
        ("HONG KONG - HONG KONG", ZoneInfo("Asia/Hong_Kong")),
        ("Tokyo, Japan", TOKYO),
        ("Indianapolis, IN", None),  # a state, not India
        ("CINCINNATI HUB - USA", None),  # several zones: not guessed from the name
        ("TOKYO", None),
        (None, None),
    ],
)
def test_locality_zone(text, zone):
    assert zones.locality_zone(text) == zone


# ------------------------------------------------------------------ envelopes


def _webhook_bodies() -> list[tuple[str, bytes, str]]:
    """The aggregators' webhook envelopes around their documented API answers."""
    aftership = _fixture("aftership", "in_transit.json")["data"]["trackings"][0]
    easypost = _fixture("easypost", "in_transit.json")
    track17 = _fixture("track17", "in_transit.json")["data"]["accepted"][0]
    ship24 = _fixture("ship24", "in_transit.json")["data"]["trackings"]
    return [
        ("aftership", {"event": "tracking_update", "msg": aftership}, aftership["tracking_number"]),
        ("aftership", {"meta": {"code": 200}, "data": {"tracking": aftership}}, "1234567890"),
        ("easypost", {"object": "Event", "result": easypost}, easypost["tracking_code"]),
        ("easypost", {"trackers": [easypost]}, easypost["tracking_code"]),
        ("track17", {"event": "TRACKING_UPDATED", "data": track17}, track17["number"]),
        ("ship24", {"trackings": ship24}, ship24[0]["tracker"]["trackingNumber"]),
    ]


@pytest.mark.parametrize(("code", "data", "number"), _webhook_bodies())
def test_documented_envelopes_all_read(code, data, number):
    result = carriers.get(code).parse(json.dumps(data).encode(), number)
    assert result.status is Status.IN_TRANSIT and result.events


@pytest.mark.parametrize(
    ("code", "data"),
    [
        ("aftership", {"meta": {"code": 200}, "data": {"shipment": {"tracking_number": "1"}}}),
        ("aftership", {"event": "tracking_update", "payload": {"tracking_number": "1"}}),
        ("easypost", {"object": "Event", "payload": {"tracking_code": "1"}}),
        ("track17", {"event": "TRACKING_UPDATED", "data": {"track": {"number": "1"}}}),
        ("ship24", {"data": {"tracker": {"trackingNumber": "1"}}}),
        # Found, but with neither a status nor an event: the fields moved.
        ("aftership", {"data": {"tracking": {"tracking_number": "1", "latest": {}}}}),
        ("dhl", {"shipments": [{"id": "1", "service": "express"}]}),
    ],
)
def test_an_answer_that_says_nothing_is_a_parse_failure_never_unknown(code, data):
    with pytest.raises(ParseFailed):
        carriers.get(code).parse(json.dumps(data).encode(), "1")


def test_no_status_and_no_events_fails_in_the_one_result_builder():
    with pytest.raises(ParseFailed, match="no status and no readable event"):
        parsing.result("x", "1", [], status=Status.UNKNOWN)
    with pytest.raises(ParseFailed):
        parsing.result("x", "1", [])
    # A status alone is an answer (a label created, nothing scanned yet).
    assert parsing.result("x", "1", [], status=Status.INFO_RECEIVED).status is Status.INFO_RECEIVED


# ------------------------------------------------------------------ odd events


def _event(hour: int, status: Status, text: str) -> TrackingEvent:
    return TrackingEvent(datetime(2026, 12, 3, hour, tzinfo=TOKYO), status, text, raw_code=text)


def test_repeats_are_skipped_and_logged(caplog):
    parsing._skipped_seen.clear()
    body = (FIXTURES / "dhl" / "trouble_repeats.json").read_bytes()
    with caplog.at_level(logging.DEBUG, logger="todoku.carriers"):
        result = carriers.get("dhl").parse(body, "1234567890")
    assert [e.description for e in result.events] == [
        "Delivered",
        "Shipment is out with courier for delivery",
        "Processed at LEIPZIG - GERMANY",
        "Shipment picked up",
    ]
    messages = [r.getMessage() for r in caplog.records]
    assert sum("repeat of an earlier event" in m for m in messages) == 2
    assert any("no usable timestamp" in m for m in messages)


def test_an_unmapped_newest_event_stays_in_the_journey_but_is_not_the_status():
    events = [
        _event(9, Status.IN_TRANSIT, "Arrived at the delivery office"),
        _event(11, Status.UNKNOWN, "Parcel sorted at a new kind of depot"),
    ]
    result = parsing.result("x", "1", events)
    assert result.events[0].status is Status.UNKNOWN
    assert result.status is Status.IN_TRANSIT


def test_logged_event_texts_carry_no_personal_data():
    text = "Delivered - Signed for by: TARO YAMADA, call 090-1234-5678 or taro@example.com"
    assert parsing.loggable(text) == "Delivered - Signed for by […]"
    assert parsing.loggable("Call 090-1234-5678 or mail taro@example.com") == (
        "Call […] or mail […]"
    )


# ------------------------------------------------------------------ Yamato


def test_yamato_link_opens_the_parcel_page_with_the_bare_number():
    yamato = carriers.get("yamato")
    expected = "https://member.kms.kuronekoyamato.co.jp/parcel/detail?pno=444413758703"
    assert yamato.tracking_url("444413758703") == expected
    assert yamato.tracking_url("4444-1375-8703") == expected
    assert "tneko?number01" not in yamato.tracking_url("444413758703")


def test_yamato_return_leg_rows_are_part_of_the_way_back():
    body = (FIXTURES / "yamato" / "trouble_return_then_scans.html").read_bytes()
    result = carriers.get("yamato").parse(body, "444413750082")
    statuses = [(e.raw_code, e.status) for e in reversed(result.events)]
    assert statuses[5:] == [
        ("返品", Status.RETURNING_TO_SENDER),
        ("発送済み", Status.RETURNING_TO_SENDER),
        ("作業店通過", Status.RETURNING_TO_SENDER),
    ]
    # Before the 返品 row the journey reads as it happened.
    assert [s for _, s in statuses[3:5]] == [Status.IN_TRANSIT, Status.ATTEMPT_FAILED]


def test_yamato_buttons_are_never_read_as_statuses():
    body = (FIXTURES / "yamato" / "trouble_buttons.html").read_bytes()
    result = carriers.get("yamato").parse(body, "444413750104")
    texts = " ".join(e.description for e in result.events) + result.raw_status
    assert "依頼" not in texts and "通知" not in texts
    assert result.raw_status == "配達中"
