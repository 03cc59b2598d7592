"""Business calendars and lane windows on the days that break naive date arithmetic.

Clocks are fixed with time-machine: an order placed "now" must ship on the right day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import build_order
from tracking import calendars
from tracking.estimates import lanes
from tracking.estimates.config import ShippingConfig
from tracking.estimates.lanes import Lane
from tracking.estimates.learned import LearnedLanes
from tracking.estimates.sources import compute, planned_handover
from tracking.orders.models import Shipment
from tracking.timeutil import utcnow

TOKYO = ZoneInfo("Asia/Tokyo")
LA = ZoneInfo("America/Los_Angeles")
TEA = ShippingConfig(
    country="JP",
    origin_postcode="420-0851",  # 静岡
    cutoff="14:00",
    processing_days=0,
    closure=["12-29", "01-03"],
    carrier="yamato",
    service="宅急便",
)
GEAR = ShippingConfig(
    country="US", origin_postcode="97205", cutoff="12:00", processing_days=1, carrier="ups"
)
NO_HISTORY = LearnedLanes()


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def window(cfg, order, shipment=None) -> tuple[date, date, str]:
    est = compute(
        None, cfg, TOKYO if cfg.country == "JP" else LA, order, shipment, model=NO_HISTORY
    )
    return est.start, est.end, est.source


def shipped(carrier, service, at: datetime) -> Shipment:
    return Shipment(
        order_id=0, carrier=carrier, tracking_number="x", service=service, shipped_at=at
    )


# --- holidays come from the libraries --------------------------------------------------------


def test_japanese_holidays_come_from_jpholiday():
    assert calendars.is_public_holiday(date(2026, 9, 22))  # 国民の休日 between two holidays
    assert calendars.is_public_holiday(date(2026, 5, 6))  # 振替休日
    assert not calendars.is_public_holiday(date(2026, 9, 24))


def test_us_parcel_carriers_close_on_thanksgiving_but_not_veterans_day():
    assert not calendars.US_PARCEL.is_open(date(2026, 11, 26))  # Thanksgiving
    assert calendars.US_PARCEL.is_open(date(2026, 11, 11))  # Veterans Day: UPS works
    assert not calendars.US_POSTAL.is_open(date(2026, 11, 11))  # the post office does not
    assert not calendars.US_PARCEL.is_open(date(2026, 11, 29))  # Sunday


# --- Friday before a Japanese holiday weekend (2026 Silver Week: 19–23 Sept) -------------------


@time_machine.travel(jst(2026, 9, 18, 15, 0), tick=False)
def test_order_after_cutoff_on_friday_before_silver_week_ships_after_it():
    order = build_order(postcode="1500001", placed_at=utcnow())
    assert planned_handover(TEA, order.placed_at, TOKYO) == date(2026, 9, 24)
    # Yamato to Tokyo is next day from 静岡; the window is that day and the next
    assert window(TEA, order)[:2] == (date(2026, 9, 25), date(2026, 9, 26))


@time_machine.travel(jst(2026, 9, 18, 10, 0), tick=False)
def test_order_before_cutoff_on_friday_ships_that_day_and_yamato_delivers_saturday():
    order = build_order(postcode="1500001", placed_at=utcnow())
    assert planned_handover(TEA, order.placed_at, TOKYO) == date(2026, 9, 18)
    assert window(TEA, order)[:2] == (date(2026, 9, 19), date(2026, 9, 20))


def test_ordinary_mail_handed_over_before_silver_week_waits_for_it():
    order = build_order(postcode="1500001")
    parcel = shipped("japanpost", "クリックポスト", jst(2026, 9, 18, 16, 0))
    # two mail days (next-day lane + 1 for mail): Thu 24, Fri 25; then Mon 28
    assert window(TEA, order, parcel) == (date(2026, 9, 25), date(2026, 9, 28), "lane_table")


def test_ordinary_mail_skips_a_plain_weekend():
    order = build_order(postcode="1500001")
    parcel = shipped("japanpost", "クリックポスト", jst(2026, 11, 13, 16, 0))  # Friday
    assert window(TEA, order, parcel)[:2] == (date(2026, 11, 17), date(2026, 11, 18))


# --- 年末年始 --------------------------------------------------------------------------------


@time_machine.travel(jst(2026, 12, 28, 15, 0), tick=False)
def test_order_after_cutoff_before_year_end_closure_ships_in_january():
    order = build_order(postcode="0600001", placed_at=utcnow())
    assert planned_handover(TEA, order.placed_at, TOKYO) == date(2027, 1, 4)
    later = TEA.model_copy(update={"processing_days": 1})
    assert planned_handover(later, order.placed_at, TOKYO) == date(2027, 1, 5)


def test_ordinary_mail_is_not_delivered_on_new_year_days():
    order = build_order(postcode="1500001")
    parcel = shipped("japanpost", "クリックポスト", jst(2026, 12, 30, 11, 0))
    # 31 Dec is a mail day; 1–3 Jan are not; 4 Jan is
    assert window(TEA, order, parcel)[:2] == (date(2027, 1, 4), date(2027, 1, 5))


def test_yamato_delivers_through_new_year():
    order = build_order(postcode="1500001")
    parcel = shipped("yamato", "宅急便", jst(2026, 12, 31, 11, 0))
    assert window(TEA, order, parcel)[:2] == (date(2027, 1, 1), date(2027, 1, 2))


# --- Golden Week -------------------------------------------------------------------------------


@time_machine.travel(jst(2026, 5, 1, 15, 0), tick=False)
def test_order_after_cutoff_on_golden_week_friday_ships_on_the_seventh():
    order = build_order(postcode="5300001", placed_at=utcnow())
    # Sat 2, Sun 3 (憲法記念日), Mon 4, Tue 5, Wed 6 (振替休日): the shop is closed
    assert planned_handover(TEA, order.placed_at, TOKYO) == date(2026, 5, 7)


def test_parcel_carriers_deliver_during_golden_week():
    order = build_order(postcode="0600001")  # 札幌
    parcel = shipped("yamato", "宅急便", jst(2026, 4, 30, 11, 0))
    assert window(TEA, order, parcel)[:2] == (date(2026, 5, 2), date(2026, 5, 3))


# --- Okinawa and Hokkaido lanes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "carrier,service,postcode,days",
    [
        ("yamato", "宅急便", "0600001", 2),  # 札幌
        ("yamato", "宅急便", "0300001", 2),  # 青森: 北東北 is next day from Hokkaido, not from 静岡
        ("yamato", "宅急便", "9000001", 2),  # 那覇
        ("yamato", "宅急便", "9071234", 3),  # 石垣: one more day by plane
        ("sagawa", "飛脚宅配便", "9000001", 3),  # Sagawa's Okinawa lane is longer
        ("yamato", "宅急便", "5300001", 1),  # 大阪
    ],
)
def test_remote_lanes_from_shizuoka(carrier, service, postcode, days):
    order = build_order(postcode=postcode)
    handover = jst(2026, 11, 23, 11, 0)  # a holiday: parcel carriers work
    start, end, source = window(TEA, order, shipped(carrier, service, handover))
    assert (start - handover.date()).days == days and (end - start).days == 1
    assert source == "lane_table"


def test_hokkaido_to_northern_tohoku_is_next_day():
    sapporo, aomori = lanes.place_for("0600001"), lanes.place_for("0300001")
    assert lanes.lane_days("yamato", "宅急便", sapporo, aomori, date(2026, 1, 5)).days == 1


# --- the 2023–2024 service changes are dated data ------------------------------------------------


def test_yamato_2023_change_lengthened_tokyo_to_okayama():
    tokyo, okayama = lanes.place_for("1500001"), lanes.place_for("7000001")
    assert lanes.lane_days("yamato", "宅急便", tokyo, okayama, date(2023, 5, 31)).days == 1
    assert lanes.lane_days("yamato", "宅急便", tokyo, okayama, date(2023, 6, 1)).days == 2


def test_japan_post_2024_change_lengthened_tokyo_to_okayama():
    tokyo, okayama = lanes.place_for("1500001"), lanes.place_for("7000001")
    before = lanes.lane_days("japanpost", "ゆうパック", tokyo, okayama, date(2024, 3, 31))
    after = lanes.lane_days("japanpost", "ゆうパック", tokyo, okayama, date(2024, 4, 1))
    assert (before.days, before.table, after.days, after.table) == (1, "jp-2023", 2, "jp-2024")


def test_lane_tables_are_symmetric():
    data = lanes._resolved("jp-2023")
    regions = data["regions"]
    matrix = data["carriers"]["yamato"]["days"]
    for a in regions:
        for j, b in enumerate(regions):
            assert matrix[a][j] == matrix[b][regions.index(a)], (a, b)


# --- US Thanksgiving -----------------------------------------------------------------------------


def test_ups_ground_across_thanksgiving():
    order = build_order(postcode="10001")  # New York from Portland
    parcel = shipped("ups", "Ground", datetime(2026, 11, 24, 18, 0, tzinfo=UTC))  # Tue, PT
    # five days: Wed 25, (Thanksgiving), Fri 27, Sat 28, (Sunday), Mon 30, Tue 1 Dec
    est = compute(None, GEAR, LA, order, parcel, model=NO_HISTORY)
    assert (est.start, est.end) == (date(2026, 12, 1), date(2026, 12, 2))


@time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=LA), tick=False)
def test_order_on_thanksgiving_ships_after_processing_on_monday():
    order = build_order(postcode="97201", placed_at=utcnow())
    # closed Thursday (holiday): Friday counts as the order day, one processing day → Monday
    assert planned_handover(GEAR, order.placed_at, LA) == date(2026, 11, 30)


def test_lane_without_table_uses_the_default_range():
    lane = Lane("dhl", "", lanes.place_for("97205"), lanes.place_for("30301"))
    assert (
        lanes.lane_days(lane.carrier, lane.service, lane.origin, lane.dest, date(2026, 1, 5))
        is None
    )
    order = build_order(postcode="30301")
    parcel = shipped("dhl", "", datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    est = compute(None, GEAR, LA, order, parcel, model=NO_HISTORY)
    assert est.source == "default" and est.confidence == "low"


def test_an_unknown_or_empty_country_has_no_holidays_instead_of_crashing():
    from datetime import date

    from tracking import calendars

    # 2026-01-01 is a holiday in Japan; a country nobody knows has none we can name.
    assert calendars.is_public_holiday(date(2026, 1, 1), "JP") is True
    assert calendars.is_public_holiday(date(2026, 1, 1), "") is False
    assert calendars.is_public_holiday(date(2026, 1, 1), "ZZ") is False


def test_an_order_without_postcode_is_delivered_by_the_shops_country_calendar():
    from tracking.estimates import lanes
    from tracking.estimates.lanes import Lane

    lane = Lane("yamato", "", lanes.place_for("150-0001", "JP"), lanes.place_for(""))
    assert lane.dest.country == ""
    assert lane.calendar == Lane("yamato", "", lane.origin, lanes.place_for("1500001")).calendar
