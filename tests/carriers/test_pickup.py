"""Pickup points (issue 25): where a held parcel waits and until when, read from recorded-style
pages (place names nested in links and spans, phone numbers beside them, rows without a place
or a time), and the last day by each carrier's documented holding period (carriers.pickup)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import carriers
from carriers import Status, TrackingEvent, TrackingResult, pickup
from carriers.japan import dates

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def _december(monkeypatch):
    # Pages omit the year: read them on a fixed day (early December 2026).
    monkeypatch.setattr(dates, "now_jst", lambda: datetime(2026, 12, 1, 12, 0, tzinfo=JST))


def _parse(code: str, name: str, number: str) -> TrackingResult:
    return carriers.get(code).parse((FIXTURES / code / name).read_bytes(), number)


@pytest.mark.parametrize(
    ("code", "name", "number", "kind", "place", "until", "source"),
    [
        # The store's name sits in a link of spans, its phone beside it; the page states 保管期限.
        (
            "yamato",
            "pickup_store.html",
            "444413750056",
            "store",
            "ファミリーマート 札幌北24条西店",
            date(2026, 12, 3),
            "carrier",
        ),
        # No date on the page: 1 week at a Yamato office, counted from ご来店予定 (not 依頼受付).
        (
            "yamato",
            "available_for_pickup.html",
            "444413750034",
            "office",
            "札幌北二十四条センター",
            date(2026, 11, 27),
            "period",
        ),
        # Held after ご不在: 8 days incl. the day of the first notice, across a month's end.
        (
            "sagawa",
            "pickup_after_attempt.html",
            "512547510042",
            "office",
            "大阪営業所",
            date(2027, 2, 3),
            "period",
        ),
        # Sagawa's 保管中 without a missed delivery may be a parcel waiting for its delivery
        # day (reference §C3): where, but no computed last day.
        ("sagawa", "available_for_pickup.html", "512547510031", "office", "大阪営業所", None, ""),
        # はこぽす: 3 days from the day after 入庫, over New Year; the locker the scan names.
        (
            "japanpost",
            "pickup_locker.html",
            "405548420045",
            "locker",
            "札幌駅前ロッカー",
            date(2027, 1, 2),
            "period",
        ),
        # ゆうパック held after ご不在のため持ち戻り: 7 days from that day, at the post office.
        (
            "japanpost",
            "available_for_pickup.html",
            "405548420034",
            "post_office",
            "札幌中央郵便局, 北海道",
            date(2026, 11, 27),
            "period",
        ),
        # DHL: the place, no documented period (the page points to DHL's own page).
        ("dhl", "available_for_pickup.json", "1234567890", "store", "BERLIN, DE", None, ""),
    ],
)
def test_where_and_until_when(code, name, number, kind, place, until, source):
    result = _parse(code, name, number)
    assert result.status is Status.AVAILABLE_FOR_PICKUP
    found = pickup.pickup_of(result)
    assert (found.kind, found.place) == (kind, place)
    assert pickup.deadline(code, found) == (until, source)


def test_a_parcel_not_waiting_has_no_pickup():
    result = _parse("yamato", "delivered.html", "444413750045")
    assert pickup.pickup_of(result) is None


def _held(carrier: str, at: datetime, text: str = "保管中", location: str = "") -> TrackingResult:
    event = TrackingEvent(at, Status.AVAILABLE_FOR_PICKUP, text, location=location, raw_code=text)
    return TrackingResult(carrier, "1", Status.AVAILABLE_FOR_PICKUP, [event])


@pytest.mark.parametrize(
    ("carrier", "kind", "arrived", "last"),
    [
        ("yamato", "office", datetime(2027, 1, 29, 9, 0, tzinfo=JST), date(2027, 2, 4)),
        ("yamato", "store", datetime(2027, 1, 30, 23, 30, tzinfo=JST), date(2027, 2, 1)),
        ("yamato", "store", datetime(2028, 2, 28, 10, 0, tzinfo=JST), date(2028, 3, 1)),  # leap
        ("yamato", "locker", datetime(2026, 4, 29, 10, 0, tzinfo=JST), date(2026, 5, 1)),
        ("sagawa", "store", datetime(2026, 12, 28, 10, 0, tzinfo=JST), date(2027, 1, 3)),
        ("japanpost", "locker", datetime(2026, 12, 30, 10, 0, tzinfo=JST), date(2027, 1, 2)),
        ("japanpost", "post_office", datetime(2026, 2, 23, 8, 0, tzinfo=JST), date(2026, 3, 1)),
        # Counted on the place's clock: 15:30 UTC on 30 Nov is already 1 Dec in Japan.
        ("yamato", "office", datetime(2026, 11, 30, 15, 30, tzinfo=UTC), date(2026, 12, 7)),
        ("yamato", "office", datetime(2026, 11, 30, 14, 30, tzinfo=UTC), date(2026, 12, 6)),
        # Not documented: no made-up date.
        ("sagawa", "locker", datetime(2026, 12, 1, 10, 0, tzinfo=JST), None),
        ("dhl", "store", datetime(2026, 12, 1, 10, 0, tzinfo=UTC), None),
    ],
)
def test_last_day_by_holding_period(carrier, kind, arrived, last):
    assert pickup.last_day(carrier, kind, arrived) == last


def test_every_period_names_its_source_and_the_unverified_ones_are_marked():
    for (carrier, kind), holding in pickup.HOLDING.items():
        assert carrier in pickup.CARRIER_ZONES and kind in pickup.KINDS
        assert holding.source
        assert ("[?]" in holding.source) == (not holding.verified), (carrier, kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ローソン 渋谷店", "store"),
        ("ｾﾌﾞﾝ-ｲﾚﾌﾞﾝ 新宿店", "store"),  # half-width katakana, folded
        ("PUDOステーション 東京駅", "locker"),
        ("宅配便ロッカー 渋谷", "locker"),
        ("はこぽす 札幌中央郵便局", "locker"),
        ("札幌中央郵便局", "post_office"),
        ("大阪営業所", "office"),
        ("The shipment is ready for pickup at the DHL Service Point", "store"),
    ],
)
def test_kind_of_place(text, kind):
    assert pickup.kind_of(text, "dhl") == kind


def test_a_request_row_is_not_the_arrival_and_a_stated_date_wins():
    asked = TrackingEvent(
        datetime(2026, 12, 1, 9, 0, tzinfo=JST),
        Status.AVAILABLE_FOR_PICKUP,
        "依頼受付(店頭受取)",
        raw_code="依頼受付(店頭受取)",
    )
    there = TrackingEvent(
        datetime(2026, 12, 2, 9, 0, tzinfo=JST),
        Status.AVAILABLE_FOR_PICKUP,
        "ご来店予定(保管中)",
        location="銀座センター (TEL 03-0000-0000)",
        raw_code="ご来店予定(保管中)",
    )
    result = TrackingResult("yamato", "1", Status.AVAILABLE_FOR_PICKUP, [there, asked])
    found = pickup.pickup_of(result)
    assert (found.place, found.since) == ("銀座センター", there.occurred_at)
    assert pickup.deadline("yamato", found) == (date(2026, 12, 8), pickup.PERIOD)
    stated = replace(result, pickup=carriers.model.Pickup(until=date(2026, 12, 10)))
    assert pickup.deadline("yamato", pickup.pickup_of(stated)) == (date(2026, 12, 10), "carrier")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("保管期限：１２月３日までにお受け取りください", "12月3日"),
        ("お受け取り期限 2026/12/05", "2026/12/05"),
        ("保管期間 12月1日〜12月7日", "12月7日"),
        ("Available until 12/09", "12/09"),
        ("お荷物を保管しております", None),
    ],
)
def test_stated_deadline_text(text, wanted):
    assert pickup.stated_until_text(text) == wanted


def test_day_only_rows_are_flagged_and_timed_rows_are_not():
    result = _parse("yamato", "pickup_store.html", "444413750056")
    by_text = {e.raw_code: e.date_only for e in result.events}
    assert by_text["作業店通過"] is True  # 「11月29日」 only
    assert by_text["荷物受付"] is False
    sagawa = _parse("sagawa", "pickup_after_attempt.html", "512547510042")
    assert [e.date_only for e in sagawa.events if e.raw_code == "輸送中"] == [True]
