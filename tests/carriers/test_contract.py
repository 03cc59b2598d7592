"""One contract test over every adapter, driven by recorded payloads.

Each ``tests/fixtures/<code>/cases.toml`` lists cases:

    [[case]]
    file = "delivered.json"          # body, relative to the folder
    number = "444413758703"
    status = "delivered"              # expected TrackingResult.status
    events = 7                        # expected event count
    first = "2026-11-20T09:00:00+09:00"   # oldest event time (optional)
    last = "2026-11-21T15:00:00+09:00"    # newest event time (optional)
    edd = ["2026-11-22", "2026-11-23"]    # estimated_delivery start/end dates, or omit for None
    no_edd = true                     # assert estimated_delivery is None
    raises = "NotFound"               # instead of the above: the error parse must raise
    newest_status = "in_transit"      # the newest event's status (optional)
    newest_sub = "customs"            # the newest event's sub-status (optional)

Every adapter must also turn broken bodies into ParseFailed (or NotFound), never a bare error.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

import carriers
from carriers import NotFound, ParseFailed, Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _cases():
    for cases_file in sorted(FIXTURES.glob("*/cases.toml")):
        code = cases_file.parent.name
        for i, case in enumerate(tomllib.loads(cases_file.read_text())["case"]):
            yield pytest.param(code, case, id=f"{code}-{i}-{case['file']}")


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


@pytest.mark.parametrize(("code", "case"), list(_cases()))
def test_recorded_payload(code, case):
    adapter = carriers.get(code)
    body = (FIXTURES / code / case["file"]).read_bytes()
    if "raises" in case:
        with pytest.raises(getattr(carriers, case["raises"])):
            adapter.parse(body, case["number"])
        return
    result = adapter.parse(body, case["number"])
    assert result.status is Status(case["status"])
    assert result.tracking_number == case["number"]
    assert len(result.events) == case["events"]
    for event in result.events:
        assert event.occurred_at.tzinfo is not None
        # Recorded payloads are real traffic: each event maps to a status the table names.
        assert event.status in set(Status) - {Status.UNKNOWN}, event
    times = [e.occurred_at for e in result.events]
    assert times == sorted(times, reverse=True), "events must be newest first"
    if "first" in case:
        assert times[-1] == datetime.fromisoformat(case["first"])
    if "last" in case:
        assert times[0] == datetime.fromisoformat(case["last"])
    if "edd" in case:
        window = result.estimated_delivery
        assert window is not None
        assert (_as_date(window.start), _as_date(window.end)) == tuple(
            date.fromisoformat(d) for d in case["edd"]
        )
    elif case.get("no_edd"):
        assert result.estimated_delivery is None
    if result.status is Status.DELIVERED:
        assert result.delivered_at is not None
    if "newest_status" in case:
        assert result.events[0].status is Status(case["newest_status"])
    if "newest_sub" in case:
        assert result.events[0].sub_status == case["newest_sub"]


BROKEN = {
    "empty": b"",
    "truncated": b'{"trackResponse": {"shipment": [{"package": [',
    "html": b"<!doctype html><html><body><h1>Service unavailable</h1></body></html>",
    "wrong-encoding": "配達完了".encode("utf-16"),
    "garbage": bytes(range(256)),
}


@pytest.mark.parametrize("code", sorted(carriers.REGISTRY))
@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_bodies_raise_typed_errors(code, kind):
    adapter = carriers.get(code)
    with pytest.raises((ParseFailed, NotFound)):
        adapter.parse(BROKEN[kind], "TEST123")
