"""The orders list (search, filters, keyset pagination) and one order's detail for staff.

Search is exact on indexed columns, normalised as the customer lookup normalises them: order
number, tracking number, email, postcode (any of 150-0001, １５０ー０００１, 〒1500001) or the
name as stored. Pages are keyset-paginated (``id < last id``, newest first) so page 20,000 of a
million orders costs what page 1 costs; there is no total count for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

import carriers
from carriers import Status
from carriers.status import TERMINAL
from tracking import normalize
from tracking.estimates.models import EstimateRevision
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment
from tracking.page.models import Feedback, Inquiry, PageEvent
from tracking.page.view import OrderView, page_view
from tracking.returns.models import ReturnRequest

PAGE_SIZE = 50
STATUSES = tuple(s.value for s in Status)
_CLOSED = {s.value for s in TERMINAL}


@dataclass
class OrderFilter:
    q: str = ""
    status: str = ""
    carrier: str = ""
    late: bool = False
    since: date | None = None
    until: date | None = None

    def args(self) -> dict:
        """The filter as query-string arguments (for links and the CSV export)."""
        out = {"q": self.q, "status": self.status, "carrier": self.carrier}
        if self.late:
            out["late"] = "1"
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        return {k: v for k, v in out.items() if v}


def parse_filter(args) -> OrderFilter:
    """From query-string arguments; anything unusable is dropped, never an error."""

    def day(name: str) -> date | None:
        return normalize.day_or_none(str(args.get(name, "")))

    status = args.get("status", "")
    carrier = str(args.get("carrier", ""))[:32]
    return OrderFilter(
        q=normalize.clean(str(args.get("q", ""))[:200]).replace("\x00", ""),
        status=status if status in STATUSES else "",
        carrier=carrier if re.fullmatch(r"[a-z0-9_]*", carrier) else "",
        late=args.get("late") in ("1", "on", "true"),
        since=day("since"),
        until=day("until"),
    )


def local_midnight_utc(day: date, tz: tzinfo) -> datetime:
    """The (aware) UTC instant a shop-local day starts."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


SEARCH_CAP = 10_000  # more orders than this share a name or email: the page shows the newest


def matching_ids(session: Session, brand: str, q: str) -> list[int]:
    """Ids of the brand's orders the search text names, one indexed lookup per kind of key.

    Run first and alone: PostgreSQL plans ``a = ? OR b = ? OR id IN (subquery)`` as a scan
    of every order of the brand (28× slower at a million orders), each lookup on its own uses
    its index.
    """
    lookups = [
        select(Order.id).where(Order.brand == brand, Order.number == normalize.order_number(q)),
        select(Order.id).where(Order.brand == brand, Order.email == normalize.email(q)),
        select(Order.id).where(Order.brand == brand, Order.name == q),
        select(Shipment.order_id).where(Shipment.tracking_number == carriers.normalize(q)),
    ]
    if postcode := normalize.postcode(q):
        lookups.append(select(Order.id).where(Order.brand == brand, Order.postcode == postcode))
    found: set[int] = set()
    for lookup in lookups:
        found.update(session.exec(lookup.limit(SEARCH_CAP)).all())
    return sorted(found, reverse=True)[:SEARCH_CAP]


def _query(session: Session, brand: str, f: OrderFilter, tz: tzinfo):
    stmt = select(Order).where(Order.brand == brand)
    if f.q:
        stmt = stmt.where(col(Order.id).in_(matching_ids(session, brand, f.q) or [-1]))
    parcel = []
    if f.status:
        parcel.append(Shipment.status == f.status)
    if f.carrier:
        parcel.append(Shipment.carrier == f.carrier)
    if f.late:
        parcel.append(col(Shipment.late).is_(True))
    if parcel:
        parcel.append(Shipment.direction == "outbound")
        if f.late or (f.status and f.status not in _CLOSED):
            # Few parcels are open or late at any time: start from them (indexed), whatever
            # the size of the order history.
            stmt = stmt.where(col(Order.id).in_(select(Shipment.order_id).where(*parcel)))
        else:
            # Most parcels are delivered: walk the newest orders and stop at a page.
            stmt = stmt.where(exists().where(Shipment.order_id == Order.id, *parcel))
    if f.since:
        stmt = stmt.where(Order.placed_at >= local_midnight_utc(f.since, tz))
    if f.until:
        stmt = stmt.where(Order.placed_at < local_midnight_utc(f.until + timedelta(days=1), tz))
    return stmt


@dataclass
class OrderRow:
    order: Order
    parcels: list[Shipment] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return any(p.late for p in self.parcels)


def search(
    session: Session,
    brand: str,
    f: OrderFilter,
    tz: tzinfo,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[OrderRow], int | None]:
    """One page of orders, newest first, and the id to continue after (None: last page).

    Two queries whatever the table's size: the page of orders, then their parcels.
    """
    stmt = _query(session, brand, f, tz)
    if after is not None:
        stmt = stmt.where(Order.id < after)
    orders = session.exec(stmt.order_by(col(Order.id).desc()).limit(limit + 1)).all()
    more = len(orders) > limit
    orders = orders[:limit]
    rows = {o.id: OrderRow(o) for o in orders}
    if rows:
        for shipment in session.exec(
            select(Shipment)
            .where(col(Shipment.order_id).in_(rows), Shipment.direction == "outbound")
            .order_by(Shipment.id)
        ).all():
            rows[shipment.order_id].parcels.append(shipment)
    return list(rows.values()), (orders[-1].id if more and orders else None)


@dataclass
class OrderDetail:
    view: OrderView
    revisions: dict[int, list[EstimateRevision]]
    mails: list[Notification]
    views: int
    last_view: datetime | None
    clicks: int
    feedback: Feedback | None
    inquiries: list[Inquiry]
    returns: list[ReturnRequest]


def order_by_number(session: Session, brand: str, number: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.brand == brand, Order.number == normalize.order_number(number))
    ).first()


def detail(session: Session, brand: str, order: Order) -> OrderDetail:
    view = page_view(session, brand, order.public_id)
    ids = [p.shipment.id for p in view.parcels]
    revisions: dict[int, list[EstimateRevision]] = {i: [] for i in ids}
    if ids:
        for rev in session.exec(
            select(EstimateRevision)
            .where(col(EstimateRevision.shipment_id).in_(ids))
            .order_by(col(EstimateRevision.computed_at).desc(), col(EstimateRevision.id).desc())
        ).all():
            revisions[rev.shipment_id].append(rev)
    counts = dict(
        session.exec(
            select(PageEvent.kind, func.count())
            .where(PageEvent.order_id == order.id, PageEvent.brand == brand)
            .group_by(PageEvent.kind)
        ).all()
    )
    last_view = session.exec(
        select(func.max(PageEvent.created_at)).where(
            PageEvent.order_id == order.id, PageEvent.kind == "view"
        )
    ).one()
    return OrderDetail(
        view=view,
        revisions=revisions,
        mails=list(
            session.exec(
                select(Notification)
                .where(Notification.order_id == order.id, Notification.brand == brand)
                .order_by(col(Notification.id).desc())
            ).all()
        ),
        views=counts.get("view", 0),
        last_view=last_view,
        clicks=counts.get("click", 0),
        feedback=session.exec(select(Feedback).where(Feedback.order_id == order.id)).first(),
        inquiries=list(
            session.exec(
                select(Inquiry)
                .where(Inquiry.order_id == order.id, Inquiry.brand == brand)
                .order_by(col(Inquiry.id).desc())
            ).all()
        ),
        returns=list(
            session.exec(
                select(ReturnRequest)
                .where(ReturnRequest.order_id == order.id, ReturnRequest.brand == brand)
                .order_by(col(ReturnRequest.id).desc())
            ).all()
        ),
    )
