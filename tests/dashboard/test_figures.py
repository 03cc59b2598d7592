"""Figures against hand-computed fixtures: empty ranges, the brand's local day boundaries (Tokyo,
and Los Angeles across the DST change), a banner with impressions but no clicks, on-time and
estimate accuracy, returns by reason and product, the value kept as exchanges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tracking.dashboard import figures, punctuality, return_figures
from tracking.dashboard.day_range import Range
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.page.models import Feedback, PageEvent
from tracking.returns.models import ReturnLine, ReturnRequest


@pytest.fixture(autouse=True)
def _context(app):
    with app.app_context():
        yield


def brand(app, slug="sakura-tea"):
    return app.extensions["todoku_brands"][slug]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def order(session, slug="sakura-tea", number="F-1", placed=None) -> Order:
    o = Order(
        brand=slug, number=number, email=f"{number}@x.example", placed_at=placed or utc(2026, 11, 2)
    )
    session.add(o)
    session.commit()
    return o


def event(session, o, kind, at, banner="", n=[0]):  # noqa: B006 (a counter for unique keys)
    n[0] += 1
    key = None if kind == "click" else f"t{n[0]}:{kind}:{banner}"
    session.add(
        PageEvent(
            brand=o.brand, order_id=o.id, kind=kind, banner=banner, dedupe_key=key, created_at=at
        )
    )


def rng(app, start, end, slug="sakura-tea"):
    return Range(start, end, brand(app, slug).tz)


def test_an_empty_range_gives_zeros_not_errors(app, session):
    fig = figures.figures(session, brand(app), rng(app, date(2026, 11, 1), date(2026, 11, 3)))
    assert fig.views_per_day == [
        (date(2026, 11, 1), 0),
        (date(2026, 11, 2), 0),
        (date(2026, 11, 3), 0),
    ]
    assert (fig.views, fig.orders_viewed, fig.views_per_order) == (0, 0, None)
    assert (fig.feedback_count, fig.feedback_average) == (0, None)
    assert fig.feedback_distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert fig.on_time == [] and fig.return_reasons == [] and fig.return_products == []
    assert fig.kept == {"lines": 0, "kept_lines": 0, "share": None, "value": 0, "kept_value": 0}
    # Configured banners are listed with no impressions: click-through unknown, not 0 %.
    assert {b["banner"]: b["ctr"] for b in fig.banners} == {
        "teaware": None,
        "winter-blend": None,
        "new-year": None,
    }


def test_views_fall_on_the_tokyo_day(app, session):
    o = order(session)
    # 2 Nov 14:59 UTC = 23:59 in Tokyo (2 Nov); 15:00 UTC = 00:00 on 3 Nov in Tokyo.
    event(session, o, "view", utc(2026, 11, 2, 14, 59))
    event(session, o, "view", utc(2026, 11, 2, 15, 0))
    event(session, o, "view", utc(2026, 11, 2, 15, 1))
    # 1 Nov 14:59 UTC is 31 Oct 23:59 in Tokyo: outside a range starting 1 Nov.
    event(session, o, "view", utc(2026, 10, 31, 14, 59))
    session.commit()
    got = figures.views_per_day(
        session, "sakura-tea", rng(app, date(2026, 11, 1), date(2026, 11, 3))
    )
    assert got == [(date(2026, 11, 1), 0), (date(2026, 11, 2), 1), (date(2026, 11, 3), 2)]


def test_views_fall_on_the_los_angeles_day_across_the_dst_change(app, session):
    o = order(session, "northpeak", "NPF-1")
    # DST ends 1 Nov 2026 in Los Angeles: 31 Oct starts at 07:00 UTC, 1 Nov at 07:00 UTC,
    # 2 Nov at 08:00 UTC (a 25-hour day).
    event(session, o, "view", utc(2026, 11, 1, 6, 59))  # 31 Oct 23:59 PDT
    event(session, o, "view", utc(2026, 11, 1, 7, 0))  # 1 Nov 00:00 PDT
    event(session, o, "view", utc(2026, 11, 2, 7, 30))  # 1 Nov 23:30 PST (still 1 Nov)
    event(session, o, "view", utc(2026, 11, 2, 8, 0))  # 2 Nov 00:00 PST
    session.commit()
    r = rng(app, date(2026, 10, 31), date(2026, 11, 2), "northpeak")
    got = figures.views_per_day(session, "northpeak", r)
    assert got == [(date(2026, 10, 31), 1), (date(2026, 11, 1), 2), (date(2026, 11, 2), 1)]


def test_banners_impressions_clicks_and_a_banner_nobody_clicked(app, session):
    o = order(session)
    day = utc(2026, 11, 2, 3)
    for _ in range(4):
        event(session, o, "impression", day, "teaware")
    event(session, o, "click", day, "teaware")
    for _ in range(3):
        event(session, o, "impression", day, "winter-blend")
    event(session, o, "click", day, "retired-banner")  # left the config, still counted
    session.commit()
    got = {
        b["banner"]: b
        for b in figures.banners(
            session, brand(app), rng(app, date(2026, 11, 2), date(2026, 11, 2))
        )
    }
    assert (got["teaware"]["impressions"], got["teaware"]["clicks"], got["teaware"]["ctr"]) == (
        4,
        1,
        0.25,
    )
    assert (got["winter-blend"]["impressions"], got["winter-blend"]["clicks"]) == (3, 0)
    assert got["winter-blend"]["ctr"] == 0.0
    assert got["winter-blend"]["placement"] == "after_help"
    assert (got["retired-banner"]["clicks"], got["retired-banner"]["ctr"]) == (1, None)


def test_views_per_order_and_feedback(app, session):
    a, b = order(session, number="F-A"), order(session, number="F-B")
    for at in (utc(2026, 11, 2, 1), utc(2026, 11, 2, 2), utc(2026, 11, 2, 3)):
        event(session, a, "view", at)
    event(session, b, "view", utc(2026, 11, 2, 4))
    session.add(
        Feedback(
            brand="sakura-tea",
            order_id=a.id,
            rating=5,
            comment="速い",
            created_at=utc(2026, 11, 2, 5),
        )
    )
    session.add(
        Feedback(brand="sakura-tea", order_id=b.id, rating=2, created_at=utc(2026, 11, 2, 6))
    )
    session.commit()
    fig = figures.figures(session, brand(app), rng(app, date(2026, 11, 2), date(2026, 11, 2)))
    assert (fig.views, fig.orders_viewed, fig.views_per_order) == (4, 2, 2.0)
    assert (fig.feedback_count, fig.feedback_average) == (2, 3.5)
    assert fig.feedback_distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert [(r, c) for _t, r, c in fig.comments] == [(5, "速い")]


def parcel(session, o, carrier, delivered, start, end, promised=None):
    session.add(
        Shipment(
            order_id=o.id,
            carrier=carrier,
            tracking_number=f"{o.number}-{carrier}-{delivered.isoformat()}",
            status="delivered",
            delivered_at=delivered,
            edd_start=start,
            edd_end=end,
            promised_date=promised,
        )
    )


def test_on_time_and_estimate_accuracy_per_carrier_on_local_days(app, session):
    o = order(session)
    # Delivered 3 Nov 23:30 Tokyo (14:30 UTC); window 2–3 Nov: on time and inside.
    parcel(session, o, "yamato", utc(2026, 11, 3, 14, 30), date(2026, 11, 2), date(2026, 11, 3))
    # Delivered 4 Nov 00:30 Tokyo (3 Nov 15:30 UTC): a day after the window: late, outside.
    parcel(session, o, "yamato", utc(2026, 11, 3, 15, 30), date(2026, 11, 2), date(2026, 11, 3))
    # Delivered 1 Nov: early: on time but outside the shown window.
    parcel(session, o, "yamato", utc(2026, 11, 1, 3), date(2026, 11, 2), date(2026, 11, 3))
    # Promised 5 Nov by the customer's choice, window ended 3 Nov, delivered 4 Nov: on time.
    parcel(
        session,
        o,
        "sagawa",
        utc(2026, 11, 4, 3),
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 5),
    )
    session.commit()
    got = {
        r["carrier"]: r
        for r in punctuality.on_time(
            session, "sakura-tea", rng(app, date(2026, 11, 1), date(2026, 11, 7))
        )
    }
    assert (
        got["yamato"]["delivered"],
        got["yamato"]["on_time"],
        got["yamato"]["inside_window"],
    ) == (3, 2, 1)
    assert got["yamato"]["on_time_rate"] == round(2 / 3, 4) and got["yamato"]["accuracy"] == round(
        1 / 3, 4
    )
    assert (got["sagawa"]["on_time"], got["sagawa"]["inside_window"]) == (1, 0)


def test_returns_by_reason_product_and_the_value_kept(app, session):
    o = order(session, placed=utc(2026, 11, 2))
    tea = OrderItem(order_id=o.id, sku="TEA", name="煎茶", qty=4, price=1000)
    cup = OrderItem(order_id=o.id, sku="CUP", name="湯呑み", qty=1, price=2500)
    session.add_all([tea, cup])
    session.commit()
    rr = ReturnRequest(
        brand="sakura-tea",
        order_id=o.id,
        rma="R-TEST-1",
        submission_key="k",
        email=o.email,
        created_at=utc(2026, 11, 3),
    )
    session.add(rr)
    session.commit()
    session.add_all(
        [
            ReturnLine(
                return_id=rr.id,
                order_item_id=tea.id,
                qty=1,
                reason="damaged",
                fault="merchant",
                resolution="refund",
            ),
            ReturnLine(
                return_id=rr.id,
                order_item_id=tea.id,
                qty=1,
                reason="changed_mind",
                fault="customer",
                resolution="store_credit",
            ),
            ReturnLine(
                return_id=rr.id,
                order_item_id=cup.id,
                qty=1,
                reason="damaged",
                fault="merchant",
                resolution="exchange",
            ),
        ]
    )
    session.commit()
    reasons, products, kept = return_figures.returns(
        session, "sakura-tea", rng(app, date(2026, 11, 1), date(2026, 11, 7))
    )
    assert reasons == [
        {"reason": "damaged", "lines": 2, "units": 2},
        {"reason": "changed_mind", "lines": 1, "units": 1},
    ]
    assert products == [
        {"sku": "TEA", "name": "煎茶", "returned": 2, "sold": 4, "rate": 0.5},
        {"sku": "CUP", "name": "湯呑み", "returned": 1, "sold": 1, "rate": 1.0},
    ]
    # Kept: the store-credit tea (1,000) and the exchanged cup (2,500) of 4,500 returned.
    assert kept == {
        "lines": 3,
        "kept_lines": 2,
        "share": round(2 / 3, 4),
        "value": 4500,
        "kept_value": 3500,
    }
    # Outside the range: nothing.
    assert (
        return_figures.returns(
            session, "sakura-tea", rng(app, date(2026, 12, 1), date(2026, 12, 2))
        )[0]
        == []
    )


def test_the_range_from_the_query_string(app):
    b = brand(app)
    today = date(2026, 12, 1)
    r = figures.parse_range({}, b, today)
    assert (r.start, r.end) == (date(2026, 11, 2), today)
    r = figures.parse_range({"since": "2026-11-10", "until": "2026-11-01"}, b, today)
    assert (r.start, r.end) == (date(2026, 11, 1), date(2026, 11, 10))  # swapped
    r = figures.parse_range({"since": "2020-01-01", "until": "x\x00"}, b, today)
    assert (r.end - r.start).days == figures.MAX_DAYS - 1 and r.end == today


def view(session, o, at, status="", source="", n=[0]):  # noqa: B006 (a counter for unique keys)
    n[0] += 1
    session.add(
        PageEvent(
            brand=o.brand,
            order_id=o.id,
            kind="view",
            dedupe_key=f"s{n[0]}:view:",
            status=status,
            source=source,
            created_at=at,
        )
    )


def test_views_per_status_and_lookups_versus_links_on_tokyo_days(app, session):
    o = order(session)
    # 2 Nov in Tokyo: 1 Nov 15:00 UTC … 2 Nov 14:59 UTC.
    view(session, o, utc(2026, 11, 1, 15, 0), "in_transit", "lookup")  # 2 Nov 00:00 JST
    view(session, o, utc(2026, 11, 2, 3), "in_transit", "link")
    view(session, o, utc(2026, 11, 2, 14, 59), "out_for_delivery", "link")  # 23:59 JST
    view(session, o, utc(2026, 11, 2, 4), "", "")  # before status and source were recorded
    view(session, o, utc(2026, 11, 1, 14, 59), "unshipped", "lookup")  # 1 Nov 23:59 JST: out
    view(session, o, utc(2026, 11, 2, 15, 0), "delivered", "link")  # 3 Nov 00:00 JST: out
    event(session, o, "impression", utc(2026, 11, 2, 3), "teaware")  # not a view
    session.commit()
    r = rng(app, date(2026, 11, 2), date(2026, 11, 2))
    assert figures.views_per_status(session, "sakura-tea", r) == [
        ("in_transit", 2),
        ("", 1),
        ("out_for_delivery", 1),
    ]
    assert figures.sources(session, "sakura-tea", r) == {
        "lookups": 1,
        "link_opens": 2,
        "unknown": 1,
        "lookup_share": round(1 / 3, 4),
    }
    # Another brand's views never count; an empty range is zeros, the share unknown.
    assert figures.views_per_status(session, "northpeak", r) == []
    empty = rng(app, date(2026, 12, 1), date(2026, 12, 3))
    assert figures.views_per_status(session, "sakura-tea", empty) == []
    assert figures.sources(session, "sakura-tea", empty) == {
        "lookups": 0,
        "link_opens": 0,
        "unknown": 0,
        "lookup_share": None,
    }


def test_on_time_per_carrier_and_lane(app, session):
    from tracking.estimates.models import LaneObservation

    o = order(session)
    # Delivered 3 Nov in Tokyo, window 2–3 Nov: on time and inside (Chubu → Kanto).
    parcel(session, o, "yamato", utc(2026, 11, 3, 5), date(2026, 11, 2), date(2026, 11, 3))
    # Delivered 4 Nov 00:30 JST (3 Nov 15:30 UTC): late (Chubu → Kanto).
    parcel(session, o, "yamato", utc(2026, 11, 3, 15, 30), date(2026, 11, 2), date(2026, 11, 3))
    # Chubu → Kansai, on time.
    parcel(session, o, "yamato", utc(2026, 11, 2, 5), date(2026, 11, 2), date(2026, 11, 3))
    # No lane learned for this one: the lane "" (unknown).
    parcel(session, o, "japanpost", utc(2026, 11, 2, 5), date(2026, 11, 2), date(2026, 11, 2))
    session.commit()
    ships = session.exec(
        select(Shipment).where(Shipment.order_id == o.id).order_by(Shipment.id)
    ).all()
    for s, dest in zip(ships[:3], ("kanto", "kanto", "kansai"), strict=True):
        session.add(
            LaneObservation(
                shipment_id=s.id,
                carrier=s.carrier,
                origin_country="JP",
                origin_region="chubu",
                origin_key="shizuoka",
                dest_country="JP",
                dest_region=dest,
                dest_key=dest,
                handover_on=date(2026, 11, 1),
                delivered_on=date(2026, 11, 3),
                transit_days=2,
            )
        )
    session.commit()
    got = {
        (r["carrier"], r["origin"], r["destination"]): (
            r["delivered"],
            r["on_time"],
            r["on_time_rate"],
            r["inside_window"],
        )
        for r in punctuality.on_time_lanes(
            session, "sakura-tea", rng(app, date(2026, 11, 1), date(2026, 11, 7))
        )
    }
    assert got == {
        ("yamato", "chubu", "kanto"): (2, 1, 0.5, 1),
        ("yamato", "chubu", "kansai"): (1, 1, 1.0, 1),
        ("japanpost", "", ""): (1, 1, 1.0, 1),
    }
    assert (
        punctuality.on_time_lanes(
            session, "sakura-tea", rng(app, date(2026, 12, 1), date(2026, 12, 1))
        )
        == []
    )
    with app.test_request_context("/?lang=en"):
        assert figures.place_label("kanto") == "Kanto"
        assert figures.place_label("9") == "ZIP 9xxxx" and figures.place_label("") == "unknown"
