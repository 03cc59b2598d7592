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
