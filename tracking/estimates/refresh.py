"""Storing estimates: ``refresh`` stores a shipment's estimate (``sources.compute``), keeps every
change in ``estimate_revisions``, flags ``late`` shipments and, once delivered, adds the parcel to
the learned lanes."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from carriers import Status
from carriers.model import DeliveryWindow
from tracking.estimates.config import ShippingConfig
from tracking.estimates.lanes import Lane
from tracking.estimates.models import EstimateRevision, LaneObservation
from tracking.estimates.sources import Estimate, brand_settings, compute, dest_of, origin_of
from tracking.orders.models import Order, Shipment
from tracking.timeutil import as_utc, utcnow


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
