"""Old news is not mailed. Going live with last month's orders must not tell every past customer
"your order has been delivered" (with a coupon) weeks after the fact, nor send the follow-up in
the same second:

* a milestone that happened more than ``STALE_AFTER`` before Todoku learned of it (an import of
  old orders, a worker that was down for days) is written to the outbox as ``stale``, with the
  reason, and never sent: staff see on the mail page why, and may still send it again;
* after-sales mail for such a delivery goes only when it is still due in the future (a follow-up
  five days after a delivery learned three days late goes in two days; one for a delivery ten
  days ago is ``stale`` too).

"Learned" is the moment the trigger runs: it runs right after the carrier's answer is stored.
When a milestone happened is what the carrier says: the delivery time, the first scan of the
newest parcel (shipped), the latest scan of a parcel on its way (out for delivery, attempted,
problem). "Late" and "not registered" are Todoku's own findings about now, so never old.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from carriers import Status
from tracking.mail.config import FOLLOW_UP_TRIGGERS
from tracking.mail.milestones import Facts
from tracking.orders.models import Order, Shipment, ShipmentEvent
from tracking.timeutil import as_utc

#: News older than this when Todoku learns of it is not mailed.
STALE_AFTER = timedelta(hours=48)
#: The outbox status of mail recorded but never sent because its news was old.
STALE = "stale"

#: A parcel's (first, last) carrier scan.
Scans = dict[int, tuple[datetime, datetime]]


def scans(session: Session, parcel_ids: list[int]) -> Scans:
    """Each parcel's first and last scan: one query for the batch."""
    if not parcel_ids:
        return {}
    rows = session.exec(
        select(
            ShipmentEvent.shipment_id,
            func.min(ShipmentEvent.occurred_at),
            func.max(ShipmentEvent.occurred_at),
        )
        .where(col(ShipmentEvent.shipment_id).in_(parcel_ids))
        .group_by(ShipmentEvent.shipment_id)
    ).all()
    return {i: (as_utc(first), as_utc(last)) for i, first, last in rows}


def happened_at(kind: str, parcels: list[Shipment], seen: Scans) -> datetime | None:
    """When milestone ``kind`` of an order with these outbound parcels happened, as far as the
    carrier says; None when nothing says (then it counts as news)."""
    live = [p for p in parcels if p.status != Status.DELIVERED.value]
    times: list[datetime | None]
    if kind == "delivered":
        times = [as_utc(p.delivered_at) or seen.get(p.id, (None, None))[1] for p in parcels]
    elif kind in ("shipped", "shipped_partial"):
        times = [seen.get(p.id, (as_utc(p.shipped_at), None))[0] for p in live]
    elif kind in ("out_for_delivery", "attempted", "pickup", "exception"):
        times = [seen.get(p.id, (None, None))[1] for p in live]
    else:
        return None
    known = [t for t in times if t is not None]
    return max(known) if known else None


def reason(happened: datetime | None, now: datetime) -> str:
    """Why news from ``happened`` is not mailed at ``now`` ("" when it is still news)."""
    if happened is None or as_utc(now) - happened <= STALE_AFTER:
        return ""
    days = (as_utc(now) - happened).days
    return (
        f"old news: it happened on {happened:%Y-%m-%d %H:%M} UTC, {days} days before Todoku "
        "learned of it"
    )


def old_news(
    session: Session, facts: Facts, planned: Iterable[tuple[Order, str, datetime]], now: datetime
) -> dict[tuple[int, str], str]:
    """Which of the ``planned`` mails (order, kind, the time it is due from) are not to be sent,
    with the reason, keyed by (order id, kind). One query for the batch."""
    planned = list(planned)
    ids = [p.id for o, _, _ in planned for p in facts.parcels.get(o.id, [])]
    seen = scans(session, ids)
    out: dict[tuple[int, str], str] = {}
    delivered: dict[int, str] = {}  # order id → why its delivery is old news
    for order, kind, _ in planned:
        if kind not in FOLLOW_UP_TRIGGERS:
            why = reason(happened_at(kind, facts.parcels.get(order.id, []), seen), now)
            if kind == "delivered":
                delivered[order.id] = why
            if why:
                out[(order.id, kind)] = why
    for order, kind, due in planned:
        # After-sales mail for an old delivery: only when still due in the future.
        if kind in FOLLOW_UP_TRIGGERS and delivered.get(order.id) and as_utc(due) <= as_utc(now):
            out[(order.id, kind)] = f"{delivered[order.id]}; no longer due"
    return out
