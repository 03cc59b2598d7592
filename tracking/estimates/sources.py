"""Delivery estimates: one function decides what a shipment (or an order not yet shipped) shows.

Sources, most trusted first:

1. ``customer_slot`` — the date and 時間帯 the customer chose at checkout;
2. ``carrier`` — the carrier's own estimated delivery date;
3. ``learned`` — transit days of our own delivered parcels on the same lane (``learned.py``);
4. ``lane_table`` — the carriers' usual days, from the dated files in ``data/lanes``;
5. ``default`` — the shop's configured fallback range.

``refresh.py`` stores the result on the shipment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlmodel import Session

from tracking import calendars
from tracking.estimates import lanes
from tracking.estimates.config import ShippingConfig
from tracking.estimates.lanes import Lane
from tracking.estimates.learned import LearnedLanes, learned_for
from tracking.orders.models import Order, Shipment
from tracking.timeutil import as_utc

SOURCES = ("customer_slot", "carrier", "learned", "lane_table", "default")
# 時間帯指定 codes stored in ``promised_slot``/``edd_slot``.
SLOTS = ("am", "12-14", "14-16", "16-18", "18-20", "19-21")


@dataclass(frozen=True)
class Estimate:
    start: date
    end: date
    source: str
    confidence: str  # high, medium, low
    slot: str = ""
    detail: str = ""  # e.g. the lane table's file, or the learned lane's sample size

    @property
    def width(self) -> int:
        return (self.end - self.start).days + 1


def window_from(
    lane: Lane, handover: date, low: int, high: int, source: str, conf: str, detail: str = ""
) -> Estimate:
    cal = lane.calendar
    return Estimate(cal.add(handover, low), cal.add(handover, high), source, conf, "", detail)


def from_learned(model: LearnedLanes, lane: Lane, handover: date) -> Estimate | None:
    found = model.window(lane)
    if found is None:
        return None
    low, high, n = found
    confidence = "high" if n >= 3 * model.min_sample else "medium"
    return window_from(lane, handover, low, high, "learned", confidence, f"n={n}")


def from_lane_table(lane: Lane, handover: date) -> Estimate | None:
    days = lanes.lane_days(lane.carrier, lane.service, lane.origin, lane.dest, handover)
    if days is None:
        return None
    return window_from(
        lane, handover, days.days, days.days + days.spread, "lane_table", "medium", days.table
    )


def from_default(cfg: ShippingConfig, lane: Lane, handover: date) -> Estimate:
    low, high = cfg.default_days
    return window_from(lane, handover, low, high, "default", "low")


def planned_handover(cfg: ShippingConfig, placed_at: datetime, tz: ZoneInfo) -> date:
    """When an order not yet shipped will be handed to the carrier: the order day counts only
    when it is a shipping day and the order came before cut-off; then ``processing_days``."""
    local = as_utc(placed_at).astimezone(tz)
    ship = calendars.shipping_calendar(
        cfg.country, cfg.ship_weekdays, cfg.closure_span, cfg.closed_on_holidays
    )
    day = local.date()
    if not ship.is_open(day) or local.time() >= cfg.cutoff_time:
        day = ship.next_open(day + timedelta(days=1))
    return ship.add(day, cfg.processing_days) if cfg.processing_days else day


def origin_of(cfg: ShippingConfig) -> lanes.Place:
    return lanes.place_for(cfg.origin_postcode, cfg.country)


def compute(
    session: Session | None,
    cfg: ShippingConfig,
    tz: ZoneInfo,
    order: Order,
    shipment: Shipment | None = None,
    *,
    model: LearnedLanes | None = None,
    models: dict | None = None,
) -> Estimate:
    """The estimate of ``shipment`` (or, without one, of ``order``'s items not yet shipped).
    ``model``: a fitted ``LearnedLanes`` to use instead of querying the lane's history;
    ``models``: a cache of fitted lanes by (lane, minimum sample) shared by a batch."""
    if shipment is not None and shipment.promised_date:
        d = shipment.promised_date
        return Estimate(d, d, "customer_slot", "high", shipment.promised_slot)
    if shipment is not None and shipment.carrier_edd_start:
        end = shipment.carrier_edd_end or shipment.carrier_edd_start
        return Estimate(shipment.carrier_edd_start, end, "carrier", "high")
    if shipment is not None and shipment.shipped_at:
        handover = as_utc(shipment.shipped_at).astimezone(tz).date()
        lane = Lane(shipment.carrier, shipment.service, origin_of(cfg), dest_of(order))
    else:
        handover = planned_handover(cfg, order.placed_at, tz)
        lane = Lane(cfg.carrier, cfg.service, origin_of(cfg), dest_of(order))
    if model is None and models is not None:
        key = (lane, cfg.learned_min_sample)
        if key not in models:
            models[key] = learned_for(session, lane, cfg.learned_min_sample)
        model = models[key]
    model = model or learned_for(session, lane, cfg.learned_min_sample)
    return (
        from_learned(model, lane, handover)
        or from_lane_table(lane, handover)
        or from_default(cfg, lane, handover)
    )


def dest_of(order: Order) -> lanes.Place:
    return lanes.place_for(order.postcode)


def brand_settings(brand_slug: str) -> tuple[ShippingConfig, ZoneInfo]:
    """The brand's ``[shipping]`` and time zone, from the app's brands (estimates are computed
    inside an app: a request, the worker or the CLI). An unknown brand gets the defaults."""
    brand = current_app.extensions["todoku_brands"].get(brand_slug)
    if brand is not None:
        return brand.shipping, brand.tz
    return ShippingConfig(), ZoneInfo("Asia/Tokyo")


def estimate_order(session: Session, order: Order) -> Estimate:
    """The estimate of an order's items not yet shipped."""
    cfg, tz = brand_settings(order.brand)
    return compute(session, cfg, tz, order)
