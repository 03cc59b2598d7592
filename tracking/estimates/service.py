"""Delivery estimates: one function decides what a shipment (or an order not yet shipped) shows.

Sources, most trusted first:

1. ``customer_slot`` — the date and 時間帯 the customer chose at checkout;
2. ``carrier`` — the carrier's own estimated delivery date;
3. ``learned`` — transit days of our own delivered parcels on the same lane (carrier, service,
   origin, destination), as robust percentiles, once the lane has enough deliveries;
4. ``lane_table`` — the carriers' usual days, from the dated files in ``data/lanes``;
5. ``default`` — the shop's configured fallback range.

``refresh`` stores the result on the shipment, keeps every change in ``estimate_revisions``,
flags ``late`` shipments and, once delivered, adds the parcel to the learned lanes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, union
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from carriers import Status
from carriers.model import DeliveryWindow
from tracking import calendars
from tracking.estimates import lanes
from tracking.estimates.config import ShippingConfig
from tracking.estimates.models import EstimateRevision, LaneObservation
from tracking.orders.models import Order, Shipment
from tracking.timeutil import as_utc, utcnow

SOURCES = ("customer_slot", "carrier", "learned", "lane_table", "default")
# Learned window: these percentiles of the lane's transit days (robust to the odd lost parcel,
# unlike a mean), over at most the newest RECENT deliveries of the lane.
LOW_Q, HIGH_Q = 0.10, 0.80
RECENT = 400
# A window wider than two delivery days helps nobody plan: when the percentiles are further
# apart, the two-day window holding the most deliveries between them is used instead.
MAX_SPREAD = 1
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


@dataclass(frozen=True)
class Lane:
    carrier: str
    service: str
    origin: lanes.Place
    dest: lanes.Place

    @property
    def calendar(self) -> calendars.Calendar:
        # An order without a usable postcode has no known destination country: its parcel is
        # delivered by the calendar of the shop's own country, the common (domestic) case.
        country = self.dest.country or self.origin.country or "JP"
        return calendars.delivery_calendar(self.carrier, self.service, country)


# --- the learned model ------------------------------------------------------------------------


def quantile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of an ascending list (an observed value, never interpolated)."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


class LearnedLanes:
    """Transit days per lane, fitted from delivered parcels. Looks up the finest lane first
    (prefecture / ZIP area) and falls back to the region lane; each needs ``min_sample``."""

    def __init__(self, min_sample: int = 30):
        self.min_sample = min_sample
        self.samples: dict[tuple, list[int]] = {}

    @staticmethod
    def keys(carrier, service, o_country, o_region, o_key, d_country, d_region, d_key):
        return (
            ("fine", carrier, service, o_country, o_key, d_country, d_key),
            ("region", carrier, service, o_country, o_region, d_country, d_region),
        )

    def fit(self, observations: Iterable[LaneObservation]) -> LearnedLanes:
        """``observations`` oldest first; only the newest RECENT per lane are kept."""
        for o in observations:
            for key in self.keys(
                o.carrier,
                o.service,
                o.origin_country,
                o.origin_region,
                o.origin_key,
                o.dest_country,
                o.dest_region,
                o.dest_key,
            ):
                self.samples.setdefault(key, []).append(o.transit_days)
        for key, values in self.samples.items():
            self.samples[key] = sorted(values[-RECENT:])
        return self

    def window(self, lane: Lane) -> tuple[int, int, int] | None:
        """(low days, high days, sample size) or None below the minimum sample."""
        o, d = lane.origin, lane.dest
        for key in self.keys(
            lane.carrier, lane.service, o.country, o.region, o.key, d.country, d.region, d.key
        ):
            values = self.samples.get(key)
            if values and len(values) >= self.min_sample:
                low, high = quantile(values, LOW_Q), quantile(values, HIGH_Q)
                if high - low > MAX_SPREAD:
                    low = max(
                        range(low, high - MAX_SPREAD + 1),
                        key=lambda a: sum(a <= v <= a + MAX_SPREAD for v in values),
                    )
                    high = low + MAX_SPREAD
                return low, high, len(values)
        return None


def learned_for(session: Session, lane: Lane, min_sample: int) -> LearnedLanes:
    """The learned model restricted to one lane's rows (what a single recompute needs)."""
    o, d = lane.origin, lane.dest
    base = select(LaneObservation).where(
        LaneObservation.carrier == lane.carrier,
        LaneObservation.service == lane.service,
        LaneObservation.origin_country == o.country,
        LaneObservation.dest_country == d.country,
    )
    # The newest RECENT rows of the fine lane and of the region lane, in one query (the
    # tracking page renders an unshipped order's estimate within its query budget).
    newest = [
        base.where(*cond).order_by(LaneObservation.handover_on.desc()).limit(RECENT).subquery()
        for cond in (
            (LaneObservation.origin_key == o.key, LaneObservation.dest_key == d.key),
            (LaneObservation.origin_region == o.region, LaneObservation.dest_region == d.region),
        )
    ]
    ids = union(*(sa_select(sub.c.id) for sub in newest))
    rows = session.exec(select(LaneObservation).where(LaneObservation.id.in_(ids))).all()
    ordered = sorted(rows, key=lambda r: (r.handover_on, r.id))
    return LearnedLanes(min_sample).fit(ordered)


# --- the sources --------------------------------------------------------------------------------


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


# --- storing --------------------------------------------------------------------------------


def brand_settings(brand_slug: str) -> tuple[ShippingConfig, ZoneInfo]:
    """The brand's ``[shipping]`` and time zone, from the app's brands (estimates are computed
    inside an app: a request, the worker or the CLI). An unknown brand gets the defaults."""
    brand = current_app.extensions["todoku_brands"].get(brand_slug)
    if brand is not None:
        return brand.shipping, brand.tz
    return ShippingConfig(), ZoneInfo("Asia/Tokyo")


def is_late(shipment: Shipment, end: date | None, today: date) -> bool:
    try:
        status = Status(shipment.status)
    except ValueError:
        status = Status.UNKNOWN
    if end is None or status is Status.DELIVERED or status.is_terminal:
        return False
    return today > end


def refresh(
    session: Session,
    shipment: Shipment,
    *,
    carrier_window: DeliveryWindow | None = None,
    now: datetime | None = None,
) -> Estimate:
    """Recompute and store ``shipment``'s estimate. Call wherever its data changes (carrier
    updates, demo load, the sync worker). ``carrier_window``: the carrier's newest EDD, if the
    update carried one. Does not commit."""
    return _refresh(session, shipment, carrier_window, now or utcnow(), _Batch(session, None))


class _Batch:
    """What a batch of refreshes shares: the orders, each shipment's newest revision (one
    query for the batch) and the fitted learned lanes."""

    def __init__(
        self,
        session: Session,
        shipments: list[Shipment] | None,
        orders: dict[int, Order] | None = None,
    ):
        self.models: dict = {}
        self.orders = orders or {}
        self.last: dict[int, EstimateRevision | None] | None = None
        if shipments:
            ids = [s.id for s in shipments]
            newest = (
                sa_select(func.max(EstimateRevision.id))
                .where(EstimateRevision.shipment_id.in_(ids))
                .group_by(EstimateRevision.shipment_id)
            )
            self.last = dict.fromkeys(ids)
            for rev in session.exec(
                select(EstimateRevision).where(EstimateRevision.id.in_(newest))
            ).all():
                self.last[rev.shipment_id] = rev


def refresh_many(
    session: Session,
    items: list[tuple[Shipment, DeliveryWindow | None]],
    *,
    changed: list[bool] | None = None,
    now: datetime | None = None,
) -> None:
    """``refresh`` for a batch of shipments (the worker's stored results), with a constant
    number of queries per batch rather than per shipment. ``changed[i]`` False: the carrier said
    nothing new about that parcel, so its estimate stands and only its ``late`` flag (which
    moves with the calendar) is brought up to date. Does not commit."""
    now = now or utcnow()
    changed = changed or [True] * len(items)
    ids = list({s.order_id for s, _ in items})
    orders = {o.id: o for o in session.exec(select(Order).where(Order.id.in_(ids))).all()}
    todo = [
        (s, w)
        for (s, w), c in zip(items, changed, strict=True)
        if c or not s.edd_source or _late_moved(s, orders.get(s.order_id), now)
    ]
    if not todo:
        return
    batch = _Batch(session, [s for s, _ in todo], orders)
    for shipment, window in todo:
        _refresh(session, shipment, window, now, batch)


def _late_moved(shipment: Shipment, order: Order | None, now: datetime) -> bool:
    tz = brand_settings(order.brand)[1] if order else ZoneInfo("Asia/Tokyo")
    return shipment.late != is_late(shipment, shipment.edd_end, as_utc(now).astimezone(tz).date())


def _refresh(
    session: Session,
    shipment: Shipment,
    carrier_window: DeliveryWindow | None,
    now: datetime,
    batch: _Batch,
) -> Estimate:
    order = batch.orders.get(shipment.order_id) or session.get(Order, shipment.order_id)
    cfg, tz = brand_settings(order.brand)
    if carrier_window is not None:
        shipment.carrier_edd_start = _as_date(carrier_window.start, tz)
        shipment.carrier_edd_end = _as_date(carrier_window.end, tz)
    delivered = shipment.status == Status.DELIVERED
    if delivered and shipment.edd_start and shipment.edd_source:
        # keep what we said before delivery: the history and the report judge that
        est = Estimate(
            shipment.edd_start,
            shipment.edd_end or shipment.edd_start,
            shipment.edd_source,
            shipment.edd_confidence,
            shipment.edd_slot,
        )
    else:
        est = compute(session, cfg, tz, order, shipment, models=batch.models)
    shipment.edd_start, shipment.edd_end = est.start, est.end
    shipment.edd_source, shipment.edd_slot, shipment.edd_confidence = (
        est.source,
        est.slot,
        est.confidence,
    )
    shipment.late = is_late(shipment, est.end, as_utc(now).astimezone(tz).date())
    session.add(shipment)
    _revise(session, shipment, est, now, batch)
    # A return parcel runs customer → shop: not a delivery lane we learn from.
    if (
        delivered
        and shipment.delivered_at
        and shipment.shipped_at
        and shipment.direction != "return"
    ):
        observe(session, shipment, order, cfg, tz)
        batch.models.clear()  # a new observation: later parcels of the batch see it
    return est


def _as_date(value: date | datetime, tz: ZoneInfo) -> date:
    return as_utc(value).astimezone(tz).date() if isinstance(value, datetime) else value


def _revise(
    session: Session, shipment: Shipment, est: Estimate, now: datetime, batch: _Batch
) -> None:
    if batch.last is not None and shipment.id in batch.last:
        last = batch.last[shipment.id]
    else:
        last = session.exec(
            select(EstimateRevision)
            .where(EstimateRevision.shipment_id == shipment.id)
            .order_by(EstimateRevision.id.desc())
        ).first()
    row = EstimateRevision(
        shipment_id=shipment.id,
        computed_at=now,
        source=est.source,
        start=est.start,
        end=est.end,
        slot=est.slot,
        confidence=est.confidence,
        carrier_start=shipment.carrier_edd_start,
        carrier_end=shipment.carrier_edd_end,
        late=shipment.late,
    )
    fields = ("source", "start", "end", "slot", "carrier_start", "carrier_end", "late")
    if last is None or any(getattr(last, f) != getattr(row, f) for f in fields):
        session.add(row)
        if batch.last is not None:
            batch.last[shipment.id] = row


def history(session: Session, shipment: Shipment) -> list[EstimateRevision]:
    return list(
        session.exec(
            select(EstimateRevision)
            .where(EstimateRevision.shipment_id == shipment.id)
            .order_by(EstimateRevision.id)
        ).all()
    )


def observe(
    session: Session, shipment: Shipment, order: Order, cfg: ShippingConfig, tz: ZoneInfo
) -> LaneObservation | None:
    """Add a delivered shipment to the learned lanes (once)."""
    seen = session.exec(
        select(LaneObservation).where(LaneObservation.shipment_id == shipment.id)
    ).first()
    if seen is not None:
        return seen
    origin, dest = origin_of(cfg), dest_of(order)
    lane = Lane(shipment.carrier, shipment.service, origin, dest)
    handover = as_utc(shipment.shipped_at).astimezone(tz).date()
    delivered = as_utc(shipment.delivered_at).astimezone(tz).date()
    first_carrier = session.exec(
        select(EstimateRevision)
        .where(
            EstimateRevision.shipment_id == shipment.id,
            EstimateRevision.carrier_start.is_not(None),
        )
        .order_by(EstimateRevision.id)
    ).first()
    row = LaneObservation(
        shipment_id=shipment.id,
        carrier=shipment.carrier,
        service=shipment.service,
        origin_country=origin.country,
        origin_region=origin.region,
        origin_key=origin.key,
        dest_country=dest.country,
        dest_region=dest.region,
        dest_key=dest.key,
        dest_postcode=order.postcode,
        handover_on=handover,
        delivered_on=delivered,
        transit_days=lane.calendar.count(handover, delivered),
        carrier_start=first_carrier.carrier_start if first_carrier else None,
        carrier_end=first_carrier.carrier_end if first_carrier else None,
        promised_on=shipment.promised_date,
    )
    session.add(row)
    return row


def estimate_order(session: Session, order: Order) -> Estimate:
    """The estimate of an order's items not yet shipped."""
    cfg, tz = brand_settings(order.brand)
    return compute(session, cfg, tz, order)


def late_shipments(session: Session, brand: str) -> list[Shipment]:
    """The watchlist's late parcels of one brand, oldest estimate first."""
    return list(
        session.exec(
            select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(Order.brand == brand, Shipment.late.is_(True), Shipment.direction == "outbound")
            .order_by(Shipment.edd_end)
        ).all()
    )
