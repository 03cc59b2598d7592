"""Figures for a date range of a brand, as SQL aggregates (no Python loop over all rows).

The SQL of a range's local days is in ``day_range.py``; the punctuality and return figures have
their own modules (``punctuality.py``, ``return_figures.py``), assembled here by ``figures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, distinct, func, or_
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.dashboard import punctuality, return_figures
from tracking.dashboard.day_range import Range, ratio
from tracking.i18n import status_label
from tracking.page.models import Feedback, PageEvent

MAX_DAYS = 366
DEFAULT_DAYS = 30


def parse_range(args, brand: Brand, today: date) -> Range:
    """``since``/``until`` from the query string; the last 30 days by default, capped at a year."""

    def day(name: str) -> date | None:
        return normalize.day_or_none(str(args.get(name, "")))

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
                "ctr": ratio(c, i),
            }
        )
    return out


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
        "lookup_share": ratio(lookups, lookups + links),
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


def figures(session: Session, brand: Brand, rng: Range) -> Figures:
    views, orders_viewed = session.exec(
        select(func.count(), func.count(distinct(PageEvent.order_id))).where(
            PageEvent.brand == brand.slug,
            PageEvent.kind == "view",
            rng.within(PageEvent.created_at),
        )
    ).one()
    count, average, dist, comments = feedback(session, brand.slug, rng)
    reasons, products, kept = return_figures.returns(session, brand.slug, rng)
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
        on_time=punctuality.on_time(session, brand.slug, rng),
        return_reasons=reasons,
        return_products=products,
        kept=kept,
        views_per_status=views_per_status(session, brand.slug, rng),
        sources=sources(session, brand.slug, rng),
        on_time_lanes=punctuality.on_time_lanes(session, brand.slug, rng),
    )
