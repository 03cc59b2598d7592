"""The trouble classes of real traffic, beyond the fixture cases: logging and the shared rules."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import carriers
from carriers import ParseFailed, Status, parsing

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("code", ["aftership", "dhl", "fedex", "track17", "ship24", "ups"])
def test_unmapped_code_is_logged_once_with_its_text(code, caplog):
    parsing._unknown_seen.clear()
    body = (FIXTURES / code / "trouble_unmapped_code.json").read_bytes()
    adapter = carriers.get(code)
    number = (
        "1Z12345E0205271688"
        if code == "ups"
        else "123456789012"
        if code == "fedex"
        else "1234567890"
    )
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        adapter.parse(body, number)
        adapter.parse(body, number)
    unmapped = [r.getMessage() for r in caplog.records if "unmapped" in r.getMessage()]
    assert len(unmapped) >= 1
    assert len(unmapped) == len(set(unmapped)), "each code is logged once"
    assert any("Ready for pickup" in m for m in unmapped)


def test_odd_event_is_logged_and_skipped(caplog):
    body = (FIXTURES / "aftership" / "trouble_odd_event.json").read_bytes()
    with caplog.at_level(logging.DEBUG, logger="todoku.carriers"):
        result = carriers.get("aftership").parse(body, "1234567890")
    assert len(result.events) == 3
    assert any("skipped event" in r.getMessage() for r in caplog.records)


def test_all_events_unreadable_is_a_parse_failure():
    def build(item):
        raise KeyError("date")

    with pytest.raises(ParseFailed):
        parsing.collect("x", [{}, {}], build)
    assert parsing.collect("x", [], build) == []


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (Status.EXCEPTION, "Customs clearance in progress", (Status.IN_TRANSIT, "customs")),
        (Status.EXCEPTION, "Held in customs: documents required", (Status.EXCEPTION, "")),
        (Status.IN_TRANSIT, "Out for delivery", (Status.OUT_FOR_DELIVERY, "")),
        (Status.IN_TRANSIT, "Departed facility", (Status.IN_TRANSIT, "")),
        (Status.UNKNOWN, "お荷物は配達完了しました", (Status.DELIVERED, "")),
        (Status.UNKNOWN, "Could not be delivered", (Status.UNKNOWN, "")),
        (Status.DELIVERED, "Customs", (Status.DELIVERED, "")),
    ],
)
def test_refine(status, text, expected):
    assert parsing.refine(status, text) == expected


@pytest.mark.parametrize(
    ("code", "number", "status"),
    [
        # One status line per number: nothing else says where the parcel is, so the answer is
        # a captured failure (the page keeps its last status), never a stored "unknown".
        ("seino", "1234567012", None),
        ("fukuyama", "30012345010", None),
        # A journey: the unmapped row stays in it, the newest mapped row is the status.
        ("japanpost", "405548420011", Status.IN_TRANSIT),
    ],
)
def test_japanese_unmapped_text_is_logged_once_with_the_text(code, number, status, caplog):
    parsing._unknown_seen.clear()
    body = (FIXTURES / code / "trouble_unmapped.html").read_bytes()
    with caplog.at_level(logging.WARNING, logger="todoku.carriers"):
        for _ in range(2):
            try:
                result = carriers.get(code).parse(body, number)
            except ParseFailed:
                result = None
    if status is None:
        assert result is None
    else:
        assert result.events[0].status is Status.UNKNOWN and result.status is status
    unmapped = [r.getMessage() for r in caplog.records if "unmapped" in r.getMessage()]
    assert len(unmapped) == 1, unmapped
    assert "確認作業中" in unmapped[0]


def test_japanpost_row_with_an_impossible_date_is_skipped_and_logged(caplog):
    body = (FIXTURES / "japanpost" / "trouble_odd_event.html").read_bytes()
    with caplog.at_level(logging.DEBUG, logger="todoku.carriers"):
        result = carriers.get("japanpost").parse(body, "405548420010")
    assert [e.raw_code for e in result.events] == ["到着", "中継", "引受"]
    assert any("skipped event" in r.getMessage() for r in caplog.records)


def test_japanpost_customs_rows_are_transit_not_exception():
    body = (FIXTURES / "japanpost" / "trouble_customs.html").read_bytes()
    result = carriers.get("japanpost").parse(body, "EG725089310JP")
    customs = [e for e in result.events if e.sub_status == "customs"]
    assert len(customs) == 3
    assert all(e.status is Status.IN_TRANSIT for e in result.events)


def test_seino_several_rows_for_one_number_pick_the_newest_not_the_first():
    body = (FIXTURES / "seino" / "trouble_several.html").read_bytes()
    result = carriers.get("seino").parse(body, "1234567013")
    assert result.status is Status.IN_TRANSIT
    assert result.events[0].occurred_at.year == 2026


@pytest.mark.parametrize(
    ("code", "file", "number"),
    [
        ("seino", "trouble_no_timestamp.html", "1234567011"),
        ("fukuyama", "trouble_unparseable_row.html", "30012345010"),
    ],
)
def test_japanese_status_page_without_a_readable_row_is_a_typed_parse_failure(code, file, number):
    body = (FIXTURES / code / file).read_bytes()
    with pytest.raises(ParseFailed):
        carriers.get(code).parse(body, number)
