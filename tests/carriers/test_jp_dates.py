"""Year inference and date parsing for pages that print "MM月dd日 HH:mm" without a year."""

from __future__ import annotations

from datetime import date, datetime

import pytest

import carriers
from carriers import ParseFailed
from carriers.japan import dates as jp_dates
from carriers.japan.dates import JST, delivery_window, infer_year, parse_jp_datetime

JAN_2 = datetime(2027, 1, 2, 9, 0, tzinfo=JST)


@pytest.mark.parametrize(
    ("month", "day", "now", "year"),
    [
        (12, 28, JAN_2, 2026),  # a December event read on 2 January: last year
        (1, 1, JAN_2, 2027),
        (1, 3, JAN_2, 2027),  # tomorrow: an EDD or a clock skew, still this year
        (1, 4, JAN_2, 2026),  # more than a day ahead cannot be an event: last year
        (11, 20, datetime(2026, 11, 23, tzinfo=JST), 2026),
    ],
)
def test_infer_year(month, day, now, year):
    assert infer_year(month, day, now) == year


def test_infer_year_uses_japan_time_not_utc():
    # 31 Dec 20:00 UTC is already 1 Jan 05:00 in Tokyo: a "1月1日" event is this (new) year.
    utc_evening = datetime.fromisoformat("2026-12-31T20:00:00+00:00")
    assert infer_year(1, 1, utc_evening) == 2027


def test_29_february_seen_in_a_common_year_is_last_leap_year():
    assert infer_year(2, 29, datetime(2029, 3, 1, tzinfo=JST)) == 2028


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11月20日 09:15", datetime(2026, 11, 20, 9, 15, tzinfo=JST)),
        ("１１月２０日　０９：１５", datetime(2026, 11, 20, 9, 15, tzinfo=JST)),  # full-width
        ("11/20 09:15", datetime(2026, 11, 20, 9, 15, tzinfo=JST)),
        ("11月20日", datetime(2026, 11, 20, tzinfo=JST)),
        ("2025/12/30 17:00", datetime(2025, 12, 30, 17, 0, tzinfo=JST)),
        ("2025年12月30日", datetime(2025, 12, 30, tzinfo=JST)),
    ],
)
def test_parse_jp_datetime(text, expected):
    assert parse_jp_datetime(text) == expected  # clock pinned to 2026-11-23 (conftest)


@pytest.mark.parametrize("text", ["", "配達完了", "13月40日 10:00", "2026/02/30"])
def test_parse_jp_datetime_fails_loudly(text):
    with pytest.raises(ParseFailed):
        parse_jp_datetime(text)


def test_delivery_windows():
    now = datetime(2026, 11, 23, tzinfo=JST)
    slot = delivery_window("11月24日 14:00-16:00", now)
    assert (slot.start.hour, slot.end.hour, slot.start.date()) == (14, 16, date(2026, 11, 24))
    morning = delivery_window("11月24日 午前中", now)
    assert (morning.start.hour, morning.end.hour) == (8, 12)
    assert delivery_window("11月24日", now).start == date(2026, 11, 24)
    assert delivery_window("指定なし", now) is None
    assert delivery_window("-", now) is None


def test_promised_date_across_new_year_is_next_year():
    dec_30 = datetime(2026, 12, 30, 10, 0, tzinfo=JST)
    window = delivery_window("1月3日 午前中", dec_30)
    assert window.start == datetime(2027, 1, 3, 8, 0, tzinfo=JST)
    # ...while an event dated 1月3日 read on 30 December happened last January.
    assert infer_year(1, 3, dec_30) == 2026


def test_yamato_december_events_read_on_2_january(monkeypatch):
    monkeypatch.setattr(jp_dates, "now_jst", lambda: JAN_2)
    number = "444413758703"
    page = """<html><meta charset="utf-8"><div class="parts-tracking-invoice-block">
    <p>伝票番号 4444-1375-8703</p>
    <div class="tracking-invoice-block-state"><h4 class="tracking-invoice-block-state-title">
    配達完了</h4></div><div class="tracking-invoice-block-detail"><ol>
    <li><div class="item">荷物受付</div><div class="date">12月30日 18:00</div>
        <div class="name">東京ベース</div></li>
    <li><div class="item">作業店通過</div><div class="date">12月31日 03:00</div>
        <div class="name">東京ベース</div></li>
    <li><div class="item">配達完了</div><div class="date">01月02日 08:40</div>
        <div class="name">福岡センター</div></li></ol></div></div></html>"""
    result = carriers.get("yamato").parse(page.encode(), number)
    assert [e.occurred_at.year for e in result.events] == [2027, 2026, 2026]
    assert result.delivered_at == datetime(2027, 1, 2, 8, 40, tzinfo=JST)
