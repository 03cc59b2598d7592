"""Figures for a date range of a brand, as SQL aggregates (no Python loop over all rows).

Days are the brand's local days. SQLite knows no time zones, so the day of a timestamp is found
with a CASE over the range's local midnights converted to UTC (correct across DST changes, the
same SQL on SQLite and PostgreSQL); ranges are capped at ``MAX_DAYS`` so the CASE stays short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, distinct, func, literal, or_
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.dashboard.orders import local_midnight_utc
from tracking.estimates.models import LaneObservation
from tracking.i18n import status_label
from tracking.orders.models import Order, OrderItem, Shipment
from tracking.page.models import Feedback, PageEvent
from tracking.returns.models import ReturnLine, ReturnRequest

MAX_DAYS = 366
DEFAULT_DAYS = 30
KEPT = ("exchange", "store_credit")


@dataclass(frozen=True)
class Range:
    start: date
    end: date  # inclusive
    tz: tzinfo

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def lo(self) -> datetime:
        return local_midnight_utc(self.start, self.tz)

    @property
    def hi(self) -> datetime:
        return local_midnight_utc(self.end + timedelta(days=1), self.tz)

    def within(self, column):
        return and_(column >= self.lo, column < self.hi)

    def day_of(self, column):
        """SQL: the local day (ISO string) of a timestamp inside the range."""
        bounds = [local_midnight_utc(d + timedelta(days=1), self.tz) for d in self.days]
        return case(
            *[(column < b, literal(d.isoformat())) for d, b in zip(self.days, bounds, strict=True)],
            else_=literal(""),
        )


def parse_range(args, brand: Brand, today: date) -> Range:
    """``since``/``until`` from the query string; the last 30 days by default, capped at a year."""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(str(args.get(name, ""))[:10])
        except ValueError:
            return None

    end = day("until") or today
    start = day("since") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return Range(start, end, brand.tz)


@dataclass
class Figures:
    range: Range
    views_per_day: list[tuple[date, int]]
    views: int
    orders_viewed: int
    feedback_count: int
    feedback_average: float | None
    feedback_distribution: dict[int, int]
    comments: list[tuple[datetime, int, str]]
    banners: list[dict]
    on_time: list[dict]
    return_reasons: list[dict]
    return_products: list[dict]
    kept: dict = field(default_factory=dict)
    views_per_status: list[tuple[str, int]] = field(default_factory=list)
    sources: dict = field(default_factory=dict)
    on_time_lanes: list[dict] = field(default_factory=list)

    @property
    def views_per_order(self) -> float | None:
        return round(self.views / self.orders_viewed, 2) if self.orders_viewed else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def views_per_day(session: Session, brand: str, rng: Range) -> list[tuple[date, int]]:
    day = rng.day_of(PageEvent.created_at).label("day")
    counts = dict(
        session.exec(
            select(day, func.count())
            .where(
                PageEvent.brand == brand, PageEvent.kind == "view", rng.within(PageEvent.created_at)
            )
            .group_by(day)
        ).all()
    )
    return [(d, counts.get(d.isoformat(), 0)) for d in rng.days]


def banners(session: Session, brand: Brand, rng: Range) -> list[dict]:
    """Impressions, clicks and click-through per banner (configured ones first, then any
    banner that still has events but left the config)."""
    impressions = func.sum(case((PageEvent.kind == "impression", 1), else_=0))
    clicks = func.sum(case((PageEvent.kind == "click", 1), else_=0))
    rows = {
        banner: (int(i or 0), int(c or 0))
        for banner, i, c in session.exec(
            select(PageEvent.banner, impressions, clicks)
            .where(
                PageEvent.brand == brand.slug,
                col(PageEvent.kind).in_(("impression", "click")),
                PageEvent.banner != "",
                rng.within(PageEvent.created_at),
            )
            .group_by(PageEvent.banner)
        ).all()
    }
    out = []
    placements = {b.id: b.placement for b in brand.page.banners}
    for banner_id in list(placements) + sorted(set(rows) - set(placements)):
        i, c = rows.get(banner_id, (0, 0))
        out.append(
            {
                "banner": banner_id,
                "placement": placements.get(banner_id, ""),
                "impressions": i,
                "clicks": c,
                "ctr": _ratio(c, i),
            }
        )
    return out


def _punctuality(rng: Range) -> list:
    """count, with a due day, on time, with a window, inside it: for parcels delivered in the
    range (on time: by the promised day, else the estimate's last day)."""
    day = rng.day_of(Shipment.delivered_at)
    due = func.coalesce(Shipment.promised_date, Shipment.edd_end)
    # Dates compared as ISO strings: the same on SQLite (stored as text) and PostgreSQL.
    due_s = cast(due, String)
    start_s = cast(Shipment.edd_start, String)
    end_s = cast(Shipment.edd_end, String)
    with_due = func.sum(case((due.is_not(None), 1), else_=0))
    punctual = func.sum(case((and_(due.is_not(None), day <= due_s), 1), else_=0))
    with_window = func.sum(case((Shipment.edd_end.is_not(None), 1), else_=0))
    inside = func.sum(
        case((and_(Shipment.edd_end.is_not(None), day >= start_s, day <= end_s), 1), else_=0)
    )
    return [func.count(), with_due, punctual, with_window, inside]


def _delivered(brand: str, rng: Range):
    return (
        Order.brand == brand,
        Shipment.direction == "outbound",
        Shipment.status == "delivered",
        rng.within(Shipment.delivered_at),
    )


def _punctuality_row(n, d, p, w, w_in) -> dict:
    return {
        "delivered": n,
        "with_estimate": int(d or 0),
        "on_time": int(p or 0),
        "on_time_rate": _ratio(int(p or 0), int(d or 0)),
        "inside_window": int(w_in or 0),
        "accuracy": _ratio(int(w_in or 0), int(w or 0)),
    }


def on_time(session: Session, brand: str, rng: Range) -> list[dict]:
    """Per carrier, parcels delivered in the range: on time and inside the estimate window
    shown to the customer."""
    rows = session.exec(
        select(Shipment.carrier, *_punctuality(rng))
        .join(Order, Order.id == Shipment.order_id)
        .where(*_delivered(brand, rng))
        .group_by(Shipment.carrier)
        .order_by(Shipment.carrier)
    ).all()
    return [{"carrier": carrier} | _punctuality_row(*rest) for carrier, *rest in rows]


UNKNOWN_LANE = ""
# Japanese delivery regions (estimates/data/lanes/jp-regions.toml), as the lane column shows
# them; a US lane end is the ZIP's national area digit, a country its ISO code.
REGION_LABELS = {
    "hokkaido": _l("Hokkaido"),
    "kita_tohoku": _l("Northern Tohoku"),
    "minami_tohoku": _l("Southern Tohoku"),
    "kanto": _l("Kanto"),
    "shinetsu": _l("Shinetsu"),
    "hokuriku": _l("Hokuriku"),
    "chubu": _l("Chubu"),
    "kansai": _l("Kansai"),
    "chugoku": _l("Chugoku"),
    "shikoku": _l("Shikoku"),
    "kyushu": _l("Kyushu"),
    "okinawa": _l("Okinawa"),
}


def view_status_label(status: str) -> str:
    """A page view's recorded status for people ("" and "unshipped" are not parcel statuses)."""
    if not status:
        return gettext("Not recorded (before this was counted)")
    if status == "unshipped":
        return gettext("Not shipped yet")
    return status_label(status)


def place_label(code: str) -> str:
    if code in REGION_LABELS:
        return str(REGION_LABELS[code])
    if code.isdigit():
        return gettext("ZIP %(digit)sxxxx", digit=code)
    return code or gettext("unknown")


def _place(region, country):
    """A lane end: the delivery region (JP: 関東, 関西 …; US: the ZIP's first digit), else the
    country."""
    return func.coalesce(func.nullif(region, ""), func.nullif(country, ""), literal(UNKNOWN_LANE))


def on_time_lanes(session: Session, brand: str, rng: Range) -> list[dict]:
    """The same per carrier and lane (origin region → destination region), from the lane each
    delivered parcel was reduced to when it was delivered (``lane_observations``); parcels
    without one (delivered before lanes were learned, or unknown postcode) form the lane "".
    """
    origin = _place(LaneObservation.origin_region, LaneObservation.origin_country).label("o")
    dest = _place(LaneObservation.dest_region, LaneObservation.dest_country).label("d")
    rows = session.exec(
        select(Shipment.carrier, origin, dest, *_punctuality(rng))
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(LaneObservation, LaneObservation.shipment_id == Shipment.id)
        .where(*_delivered(brand, rng))
        .group_by(Shipment.carrier, origin, dest)
        .order_by(Shipment.carrier, func.count().desc(), origin, dest)
    ).all()
    return [
        {"carrier": carrier, "origin": o or "", "destination": d or ""} | _punctuality_row(*rest)
        for carrier, o, d, *rest in rows
    ]


def views_per_status(session: Session, brand: str, rng: Range) -> list[tuple[str, int]]:
    """Page views by the parcel status the page showed ("" = not recorded: views before
    migration 0013), most viewed first."""
    return [
        (status, n)
        for status, n in session.exec(
            select(PageEvent.status, func.count())
            .where(*_views(brand, rng))
            .group_by(PageEvent.status)
            .order_by(func.count().desc(), PageEvent.status)
        ).all()
    ]


def sources(session: Session, brand: str, rng: Range) -> dict:
    """Views reached through the lookup form against views opened from a link (a mail, a
    bookmark); views recorded before the source was are "unknown"."""
    lookup = func.sum(case((PageEvent.source == "lookup", 1), else_=0))
    link = func.sum(case((PageEvent.source == "link", 1), else_=0))
    unknown = func.sum(case((or_(PageEvent.source == "", PageEvent.source.is_(None)), 1), else_=0))
    lookups, links, unknowns = session.exec(
        select(lookup, link, unknown).where(*_views(brand, rng))
    ).one()
    lookups, links, unknowns = int(lookups or 0), int(links or 0), int(unknowns or 0)
    return {
        "lookups": lookups,
        "link_opens": links,
        "unknown": unknowns,
        "lookup_share": _ratio(lookups, lookups + links),
    }


def _views(brand: str, rng: Range):
    return (PageEvent.brand == brand, PageEvent.kind == "view", rng.within(PageEvent.created_at))


def feedback(session: Session, brand: str, rng: Range):
    where = (Feedback.brand == brand, rng.within(Feedback.created_at))
    dist = dict.fromkeys(range(1, 6), 0) | dict(
        session.exec(
            select(Feedback.rating, func.count()).where(*where).group_by(Feedback.rating)
        ).all()
    )
    count, average = session.exec(
        select(func.count(), func.avg(Feedback.rating)).where(*where)
    ).one()
    comments = session.exec(
        select(Feedback.created_at, Feedback.rating, Feedback.comment)
        .where(*where, Feedback.comment != "")
        .order_by(col(Feedback.created_at).desc())
        .limit(20)
    ).all()
    return count, (round(float(average), 2) if average is not None else None), dist, comments


def returns(session: Session, brand: str, rng: Range):
    """Lines of returns requested in the range: by reason, by product (against units sold in
    orders placed in the range) and the value kept as exchanges or store credit."""
    where = (ReturnRequest.brand == brand, rng.within(ReturnRequest.created_at))
    value = func.sum(ReturnLine.qty * OrderItem.price)
    base = (
        select()
        .select_from(ReturnLine)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .join(OrderItem, OrderItem.id == ReturnLine.order_item_id)
        .where(*where)
    )
    reasons = [
        {"reason": r, "lines": n, "units": int(q or 0)}
        for r, n, q in session.exec(
            base.add_columns(ReturnLine.reason, func.count(), func.sum(ReturnLine.qty))
            .group_by(ReturnLine.reason)
            .order_by(func.count().desc(), ReturnLine.reason)
        ).all()
    ]
    returned = {
        sku: (name, int(q or 0))
        for sku, name, q in session.exec(
            base.add_columns(
                OrderItem.sku, func.max(OrderItem.name), func.sum(ReturnLine.qty)
            ).group_by(OrderItem.sku)
        ).all()
    }
    sold = (
        dict(
            session.exec(
                select(OrderItem.sku, func.sum(OrderItem.qty))
                .join(Order, Order.id == OrderItem.order_id)
                .where(
                    Order.brand == brand,
                    rng.within(Order.placed_at),
                    col(OrderItem.sku).in_(returned),
                )
                .group_by(OrderItem.sku)
            ).all()
        )
        if returned
        else {}
    )
    products = sorted(
        (
            {
                "sku": sku,
                "name": name,
                "returned": q,
                "sold": int(sold.get(sku) or 0),
                "rate": _ratio(q, int(sold.get(sku) or 0)),
            }
            for sku, (name, q) in returned.items()
        ),
        key=lambda r: (-r["returned"], r["sku"]),
    )
    total_value, kept_value, total_lines, kept_lines = session.exec(
        base.add_columns(
            value,
            func.sum(
                case(
                    (col(ReturnLine.resolution).in_(KEPT), ReturnLine.qty * OrderItem.price),
                    else_=0,
                )
            ),
            func.count(),
            func.sum(case((col(ReturnLine.resolution).in_(KEPT), 1), else_=0)),
        )
    ).one()
    kept = {
        "lines": int(total_lines or 0),
        "kept_lines": int(kept_lines or 0),
        "share": _ratio(int(kept_lines or 0), int(total_lines or 0)),
        "value": int(total_value or 0),
        "kept_value": int(kept_value or 0),
    }
    return reasons, products, kept


def figures(session: Session, brand: Brand, rng: Range) -> Figures:
    views, orders_viewed = session.exec(
        select(func.count(), func.count(distinct(PageEvent.order_id))).where(
            PageEvent.brand == brand.slug,
            PageEvent.kind == "view",
            rng.within(PageEvent.created_at),
        )
    ).one()
    count, average, dist, comments = feedback(session, brand.slug, rng)
    reasons, products, kept = returns(session, brand.slug, rng)
    return Figures(
        range=rng,
        views_per_day=views_per_day(session, brand.slug, rng),
        views=views,
        orders_viewed=orders_viewed,
        feedback_count=count,
        feedback_average=average,
        feedback_distribution=dist,
        comments=list(comments),
        banners=banners(session, brand, rng),
        on_time=on_time(session, brand.slug, rng),
        return_reasons=reasons,
        return_products=products,
        kept=kept,
        views_per_status=views_per_status(session, brand.slug, rng),
        sources=sources(session, brand.slug, rng),
        on_time_lanes=on_time_lanes(session, brand.slug, rng),
    )
