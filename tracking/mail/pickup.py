"""Parcels waiting to be collected: the one reminder before the last day (``due_reminders``,
asked by ``triggers.scan`` every worker round, queued once per order by its dedupe key and held
by quiet hours like every notice), skipped once the last day is over (``until_last_day``), and
never sent once the parcel is no longer waiting (``no_longer_held``, from ``triggers.after_apply``).
Where and until when: ``carriers.pickup``, stored on the parcel by ``sync.apply``."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from carriers import Status
from carriers.pickup import reminder_lead
from tracking.brands.brand import Brand
from tracking.mail.milestones import Facts
from tracking.mail.models import Notification
from tracking.orders.models import Order, Shipment
from tracking.timeutil import as_utc

KIND = "pickup_reminder"


def due_reminders(session: Session, brand: Brand, now: datetime) -> list[Order]:
    """Orders with a parcel waiting to be collected whose last day is near (in the shop's zone):
    2 days before it, 1 when the whole period is 4 days or shorter (``carriers.pickup``). The
    dedupe key makes it one reminder per order, however often the scan runs."""
    if not brand.mail.triggers.pickup_reminder.enabled:
        return []
    today = as_utc(now).astimezone(brand.tz).date()
    rows = session.exec(
        select(Shipment.order_id, Shipment.pickup_since, Shipment.pickup_until)
        .join(Order, col(Order.id) == Shipment.order_id)
        .where(
            Order.brand == brand.slug,
            Shipment.direction == "outbound",
            Shipment.status == Status.AVAILABLE_FOR_PICKUP.value,
            col(Shipment.pickup_until) >= today,
            col(Shipment.pickup_until) <= today + timedelta(days=2),
        )
    ).all()
    due = set()
    for order_id, since, until in rows:
        since_day = as_utc(since).astimezone(brand.tz).date() if since else None
        if until - timedelta(days=reminder_lead(since_day, until)) <= today:
            due.add(order_id)
    if not due:
        return []
    return list(session.exec(select(Order).where(col(Order.id).in_(due)).order_by(Order.id)))


def until_last_day(brand: Brand, notes: list[Notification], facts: Facts) -> None:
    """A reminder not sent by the end of the last day is pointless: skipped, never sent late
    (``send_before``, as out-for-delivery's)."""
    for note in notes:
        days = [
            p.pickup_until
            for p in facts.parcels.get(note.order_id or 0, ())
            if p.status == Status.AVAILABLE_FOR_PICKUP.value and p.pickup_until
        ]
        if days:
            end = datetime.combine(min(days) + timedelta(days=1), time(0), tzinfo=brand.tz)
            note.send_before = end


def no_longer_held(session: Session, changed: list[Shipment]) -> None:
    """A queued pickup reminder goes no more once its order has no parcel waiting (collected,
    returning, delivered after all): whatever mail the change itself brings."""
    ids = {
        s.order_id
        for s in changed
        if s.direction == "outbound" and s.status != Status.AVAILABLE_FOR_PICKUP.value
    }
    if not ids:
        return
    waiting = select(Shipment.order_id).where(
        col(Shipment.order_id).in_(ids),
        Shipment.direction == "outbound",
        Shipment.status == Status.AVAILABLE_FOR_PICKUP.value,
    )
    session.execute(
        update(Notification)
        .where(
            col(Notification.order_id).in_(ids),
            col(Notification.order_id).not_in(waiting),
            Notification.kind == "pickup_reminder",
            Notification.status == "queued",
        )
        .values(status="superseded", last_error="the parcel is no longer waiting to be collected")
    )
