"""The estimate sources, their order of preference, the learned lanes, history and lateness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from carriers import DeliveryWindow, Status, TrackingResult
from tracking.estimates.lanes import Lane, Place
from tracking.estimates.learned import LearnedLanes, quantile
from tracking.estimates.models import EstimateRevision, LaneObservation
from tracking.estimates.refresh import history, late_shipments
from tracking.estimates.refresh import refresh as refresh_estimate
from tracking.estimates.sources import estimate_order
from tracking.orders.models import Order, Shipment
from tracking.sync.apply import apply_result

TOKYO = ZoneInfo("Asia/Tokyo")
# Tuesday 10:00 in Tokyo; sakura-tea ships from 静岡 (420-0851) with Yamato.
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
HANDOVER = date(2026, 11, 24)


def make_parcel(session, *, postcode="5300001", carrier="japanpost", service="ゆうパック", **kw):
    order = Order(brand="sakura-tea", number=f"T-{postcode}-{carrier}", email="a@example.com")
    order.postcode = postcode
    session.add(order)
    session.flush()
    shipment = Shipment(
        order_id=order.id,
        carrier=carrier,
        tracking_number="123456789012",
        service=service,
        shipped_at=kw.pop("shipped_at", NOW),
        status=kw.pop("status", "in_transit"),
        **kw,
    )
    session.add(shipment)
    session.flush()
    return order, shipment


def add_history(session, n, days=(1,), dest_key="osaka", dest_region="kansai", **kw):
    """``n`` synthetic deliveries 静岡 → ``dest_key`` by ゆうパック, cycling through ``days``."""
    for i in range(n):
        handover = HANDOVER - timedelta(days=30 + i)
        session.add(
            LaneObservation(
                carrier=kw.get("carrier", "japanpost"),
                service=kw.get("service", "ゆうパック"),
                origin_country="JP",
                origin_region="chubu",
                origin_key="shizuoka",
                dest_country="JP",
                dest_region=dest_region,
                dest_key=dest_key,
                handover_on=handover,
                delivered_on=handover + timedelta(days=days[i % len(days)]),
                transit_days=days[i % len(days)],
                synthetic=True,
            )
        )
    session.flush()


def refresh(app, session, shipment, now=NOW):
    with app.app_context():
        return refresh_estimate(session, shipment, now=now)


# --- each source, and the order of preference ----------------------------------------------------


def test_lane_table_when_nothing_better(app, session):
    _, s = make_parcel(session)
    est = refresh(app, session, s)
    assert (est.source, est.start, est.end) == (
        "lane_table",
        date(2026, 11, 25),
        date(2026, 11, 26),
    )
    assert est.detail == "jp-2024" and s.edd_source == "lane_table" and s.edd_confidence == "medium"


def test_default_when_no_table_knows_the_lane(app, session):
    _, s = make_parcel(session, carrier="dhl", service="")
    est = refresh(app, session, s)
    # sakura-tea's default_days = [1, 3]
    assert (est.source, est.start, est.end) == ("default", date(2026, 11, 25), date(2026, 11, 27))


def test_learned_lane_beats_the_table(app, session):
    add_history(session, 40, days=(2, 2, 2, 3))
    _, s = make_parcel(session)
    est = refresh(app, session, s)
    assert (est.source, est.start, est.end) == ("learned", date(2026, 11, 26), date(2026, 11, 27))
    assert est.detail == "n=40"


def test_carrier_date_beats_learned(app, session):
    add_history(session, 40, days=(2,))
    _, s = make_parcel(session)
    with app.app_context():
        est = refresh_estimate(
            session,
            s,
            carrier_window=DeliveryWindow(date(2026, 11, 28), date(2026, 11, 28)),
            now=NOW,
        )
    assert (est.source, est.start, est.end) == ("carrier", date(2026, 11, 28), date(2026, 11, 28))


def test_customer_slot_beats_carrier(app, session):
    _, s = make_parcel(
        session,
        promised_date=date(2026, 11, 29),
        promised_slot="14-16",
        carrier_edd_start=date(2026, 11, 25),
        carrier_edd_end=date(2026, 11, 25),
    )
    est = refresh(app, session, s)
    assert (est.source, est.start, est.slot) == ("customer_slot", date(2026, 11, 29), "14-16")
    assert s.edd_slot == "14-16"


def test_unshipped_order_uses_cutoff_and_processing_days(app, session):
    # Monday 23 Nov is 勤労感謝の日: the shop is closed; Tue 24 is the order day, +1 processing
    order = Order(
        brand="sakura-tea",
        number="T-unshipped",
        email="a@example.com",
        postcode="1500001",
        placed_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    )
    session.add(order)
    session.flush()
    with app.app_context():
        est = estimate_order(session, order)
    # hand-over Wed 25, Yamato 静岡 → 東京 next day
    assert (est.source, est.start, est.end) == (
        "lane_table",
        date(2026, 11, 26),
        date(2026, 11, 27),
    )


# --- the learned model -----------------------------------------------------------------------


def test_learned_needs_its_minimum_sample_and_falls_back_below_it(app, session):
    add_history(session, 29, days=(3,))
    _, s = make_parcel(session)
    assert refresh(app, session, s).source == "lane_table"
    add_history(session, 1, days=(3,))
    assert refresh(app, session, s).source == "learned"


def test_learned_falls_back_from_prefecture_to_region(app, session):
    # 京都 has no history of its own; 関西 as a whole has enough
    add_history(session, 40, days=(3,), dest_key="hyogo")
    _, s = make_parcel(session, postcode="6000001")
    est = refresh(app, session, s)
    assert (est.source, est.start) == ("learned", HANDOVER + timedelta(days=3))


def test_learned_window_is_robust_to_outliers():
    model = LearnedLanes(min_sample=5)
    rows = [
        LaneObservation(
            carrier="yamato",
            service="",
            origin_country="JP",
            origin_key="a",
            dest_country="JP",
            dest_key="b",
            handover_on=HANDOVER,
            delivered_on=HANDOVER,
            transit_days=d,
        )
        for d in [1] * 16 + [2] * 3 + [20]
    ]
    model.fit(rows)
    lane = Lane("yamato", "", Place("JP", "", "a"), Place("JP", "", "b"))
    assert model.window(lane) == (1, 1, 20)  # the 20-day parcel does not stretch the window


def test_learned_window_never_wider_than_two_days():
    values = sorted([1] * 3 + [2] * 10 + [3] * 10 + [4] * 4 + [5] * 3)
    assert (quantile(values, 0.10), quantile(values, 0.80)) == (1, 4)
    model = LearnedLanes(min_sample=5)
    model.samples[("fine", "c", "", "JP", "a", "JP", "b")] = values
    lane = Lane("c", "", Place("JP", "", "a"), Place("JP", "", "b"))
    assert model.window(lane) == (2, 3, 30)


# --- carrier updates, history, delivery --------------------------------------------------------


def result(status=Status.IN_TRANSIT, edd=None, delivered_at=None):
    return TrackingResult(
        carrier="japanpost",
        tracking_number="123456789012",
        status=status,
        estimated_delivery=DeliveryWindow(*edd) if edd else None,
        delivered_at=delivered_at,
    )


def test_apply_result_recomputes_and_keeps_carrier_revisions(app, session):
    _, s = make_parcel(session)
    with app.app_context():
        apply_result(session, s, result(edd=(date(2026, 11, 25), date(2026, 11, 25))))
        apply_result(session, s, result(edd=(date(2026, 11, 25), date(2026, 11, 25))))
        apply_result(session, s, result(edd=(date(2026, 11, 27), date(2026, 11, 28))))
    session.flush()
    rows = history(session, s)
    assert [(r.source, r.start, r.end) for r in rows] == [
        ("carrier", date(2026, 11, 25), date(2026, 11, 25)),
        ("carrier", date(2026, 11, 27), date(2026, 11, 28)),
    ]
    assert (s.edd_start, s.edd_end, s.edd_source) == (
        date(2026, 11, 27),
        date(2026, 11, 28),
        "carrier",
    )


def test_late_past_the_window_end_and_cleared_on_delivery(app, session):
    _, s = make_parcel(session)  # lane table: 25–26 Nov
    refresh(app, session, s, now=datetime(2026, 11, 26, 14, 0, tzinfo=UTC))  # 23:00 JST, 26th
    assert not s.late
    with time_machine.travel(datetime(2026, 11, 26, 15, 30, tzinfo=UTC), tick=False):  # 27th JST
        refresh(app, session, s, now=datetime.now(UTC))
    assert s.late
    with app.app_context():
        assert [x.id for x in late_shipments(session, "sakura-tea")] == [s.id]
        assert late_shipments(session, "northpeak") == []
    session.flush()
    assert history(session, s)[-1].late is True

    s.status, s.delivered_at = "delivered", datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    refresh(app, session, s, now=datetime(2026, 11, 27, 4, 0, tzinfo=UTC))
    assert not s.late and s.edd_source == "lane_table"  # what we said is kept


def test_delivery_adds_the_parcel_to_the_learned_lanes_once(app, session):
    _, s = make_parcel(
        session, status="delivered", delivered_at=datetime(2026, 11, 26, 5, tzinfo=UTC)
    )
    refresh(app, session, s)
    refresh(app, session, s)
    session.flush()
    obs = session.exec(select(LaneObservation)).all()
    assert len(obs) == 1
    assert (obs[0].dest_key, obs[0].origin_key, obs[0].transit_days) == ("osaka", "shizuoka", 2)
    assert session.exec(select(EstimateRevision)).first() is not None


# --- the accuracy report --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3000])
def test_learned_beats_the_lane_table_on_held_out_parcels(n):
    from tracking.estimates.config import ShippingConfig
    from tracking.estimates.sim import evaluate, simulate

    rows = simulate(n, date(2026, 11, 20), seed=3)
    report = evaluate(rows, ShippingConfig(learned_min_sample=20))
    learned, table = report.head_to_head["learned"].row(), report.head_to_head["lane_table"].row()
    assert report.train + report.test == len(rows) and report.test >= 500
    assert learned["n"] > 100
    assert learned["in_window"] > table["in_window"]
    assert learned["width_days"] <= table["width_days"] + 1e-9


def test_report_fits_only_on_older_parcels():
    from tracking.estimates.config import ShippingConfig
    from tracking.estimates.sim import evaluate, simulate

    rows = simulate(200, date(2026, 11, 20))
    # every lane seen only in the held-out part: nothing may be learned from it
    for r in rows[:160]:
        r.dest_key, r.dest_region = "nowhere", "nowhere"
    report = evaluate(rows, ShippingConfig(learned_min_sample=5))
    assert report.sources["learned"].n == 0


def test_cli_simulate_and_evaluate(app):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["estimate", "simulate", "400"])
    assert out.exit_code == 0 and "400 synthetic deliveries" in out.output
    out = runner.invoke(args=["estimate", "evaluate", "--brand", "sakura-tea"])
    assert out.exit_code == 0, out.output
    assert "held out" in out.output and "lane_table" in out.output
    out = runner.invoke(args=["estimate", "evaluate", "--brand", "nope"])
    assert out.exit_code != 0
