"""When to mail the customer: the shipping, delivery and after-sales triggers, and queueing them.

``after_apply`` runs after every stored batch of carrier results, once per changed order
(``tracking.sync.apply.AFTER_APPLY``) and ``scan`` in every worker round (time-based triggers). Both look at the
*order*, not the scan that just arrived, and queue at most one mail per order per milestone
(the dedupe key is ``order:<id>:<milestone>``):

* a parcel that jumps from "shipped" to "delivered" between two checks gets the delivered mail
  only, and a queued mail for an earlier milestone that has not gone out yet is superseded;
* an order whose items are not all in parcels yet gets "part of your order has shipped"; when
  every item has shipped, one "your order has shipped" lists every parcel; "delivered" waits
  until every parcel is delivered;
* news that is old when Todoku learns of it (an imported backlog) is recorded, never sent, and
  an order imported as history is never mailed (``tracking.mail.freshness``).

The decision is ``tracking.mail.milestones``, what the mail says ``tracking.mail.content``, when
it goes out ``tracking.mail.schedule``. Every path reads its orders as a batch (``Facts``), one
order being a batch of one. Nothing here commits but ``scan``: mail is part of the caller's
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from carriers import Status
from tracking.brands.brand import Brand
from tracking.mail import coupons, freshness, hours, line_queue, modes, outbox, pickup, render
from tracking.mail.config import FOLLOW_UP_TRIGGERS
from tracking.mail.content import content
from tracking.mail.milestones import MILESTONES, Facts
from tracking.mail.models import Notification, Unsubscribe
from tracking.mail.schedule import after_delivery
from tracking.orders.models import Order, Shipment
from tracking.timeutil import as_utc, utcnow

#: One mail to queue: (brand, order, kind, the time its delay counts from, the warranty's day).
Planned = tuple[Brand, Order, str, datetime, str]


def _brands() -> dict[str, Brand]:
    return current_app.extensions["todoku_brands"]


def _key(order: Order, kind: str) -> str:
    return f"order:{order.id}:{kind}"


def unsubscribed(session: Session, brand: str, email: str) -> bool:
    return (
        session.exec(
            select(Unsubscribe.id).where(Unsubscribe.brand == brand, Unsubscribe.email == email)
        ).first()
        is not None
    )


# --- queueing -------------------------------------------------------------------------------


def _wanted(brand: Brand, order: Order, kind: str) -> bool:
    cfg = brand.mail
    # An order imported as history (``--no-mail``) is never mailed by a trigger.
    return bool(cfg.enabled and cfg.trigger(kind).enabled and order.email and not order.history)


def mail_args(
    session: Session,
    brand: Brand,
    order: Order,
    kind: str,
    base: datetime,
    facts: Facts,
    day: str = "",
    coupon: bool = True,
) -> dict:
    """``outbox.enqueue``'s arguments for ``kind`` about ``order`` (whose parcels and items
    ``facts`` holds), rendered now. ``coupon=False``: draw no code (a mail that is not sent)."""
    cfg = brand.mail
    locale = render.locale_for(brand, order)
    mode = modes.mode_for(brand, order)  # fixed now: the outbox sends it through its server
    code = None
    if coupon and kind in ("delivered", "follow_up") and cfg.coupon and mode == modes.NORMAL:
        code = coupons.issue(session, brand, order)
    subject, text, html = render.render_in(
        brand,
        locale,
        lambda: content(brand, order, kind, locale, facts, coupon_code=code, day=day),
    )
    return dict(
        brand=brand.slug,
        kind=kind,
        dedupe_key=_key(order, kind),
        to=order.email,
        subject=subject,
        body=text,
        html=html,
        locale=locale,
        order_id=order.id,
        category="follow_up" if kind in FOLLOW_UP_TRIGGERS else "transactional",
        mail_mode=mode,
        # after the customer's quiet hours; out-for-delivery skipped after deliveries end
        **hours.timing(brand, order, kind, base),
    )


def _queue(
    session: Session, planned: list[Planned], facts: Facts, stale: dict | None = None
) -> list[Notification]:
    """Queue the planned mail that is wanted, not queued before (its dedupe key) and not to an
    address that unsubscribed from after-sales mail: two look-ups and one insert for the batch.
    ``stale``: (order id, kind) → why it is old news; such mail is recorded, never sent
    (``tracking.mail.freshness``). Returns the new rows."""
    keys = [_key(o, kind) for _, o, kind, _, _ in planned]
    queued = set()
    if keys:
        queued = set(
            session.exec(
                select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(keys))
            ).all()
        )
    emails = {o.email for _, o, kind, _, _ in planned if kind in FOLLOW_UP_TRIGGERS and o.email}
    stopped = set()
    if emails:
        stopped = set(
            session.exec(
                select(Unsubscribe.brand, Unsubscribe.email).where(
                    col(Unsubscribe.email).in_(emails)
                )
            ).all()
        )
    mails, entries = [], []
    for brand, order, kind, base, day in planned:
        if _key(order, kind) in queued or not _wanted(brand, order, kind):
            continue
        if kind in FOLLOW_UP_TRIGGERS and (brand.slug, order.email) in stopped:
            continue
        why = (stale or {}).get((order.id, kind), "")
        mail = mail_args(session, brand, order, kind, base, facts, day, coupon=not why)
        if why:
            mail.update(status=freshness.STALE, last_error=why)
        mails.append(mail)
        entries.append((brand, order, kind, base, day, mail))
    # LINE pushes of the same milestones (and their mail recorded as "on_line")
    pushes = line_queue.add(session, entries, facts)
    return outbox.enqueue_many(session, mails + pushes)


def queue(
    session: Session, brand: Brand, order: Order, kind: str, *, base: datetime, day: str = ""
) -> Notification | None:
    """Queue ``kind`` for ``order`` (once), rendered now, due after its delay and quiet hours."""
    notes = _queue(session, [(brand, order, kind, base, day)], Facts.load(session, [order.id]))
    return notes[0] if notes else None


def _supersede(session: Session, notes: list[Notification]) -> None:
    """An unsent mail for an earlier milestone is stale once a later one is queued: one update
    per milestone for the batch (after-sales mail supersedes nothing)."""
    orders: dict[str, list[int]] = defaultdict(list)
    for note in notes:
        if note.kind not in FOLLOW_UP_TRIGGERS and note.order_id is not None:
            orders[note.kind].append(note.order_id)
    for kind, ids in orders.items():
        earlier = MILESTONES[: MILESTONES.index(kind)] if kind in MILESTONES else MILESTONES
        session.execute(
            update(Notification)
            .where(
                col(Notification.order_id).in_(ids),
                Notification.status == "queued",
                col(Notification.kind).in_(earlier),
            )
            .values(status="superseded", last_error="a later delivery step was mailed instead")
        )


# --- carrier news -----------------------------------------------------------------------------


def order_changed(session: Session, brand: Brand, order: Order, now: datetime | None = None):
    """Queue the mail for the order's current milestone, if not sent before. Does not commit."""
    return orders_changed(session, [(brand, order)], now)[order.id]


def after_apply(session: Session, changed: list[Shipment]) -> None:
    """The ``AFTER_APPLY`` hook: parcels changed, so maybe their orders' mail is due. Once per
    order, after all of the batch's parcels are stored (an order's milestone looks at every
    parcel, so asking once per parcel would only repeat the same question)."""
    orders: dict[int, None] = {}
    for shipment in changed:
        if shipment.direction == "outbound":
            orders.setdefault(shipment.order_id)
    if not orders:
        return
    session.flush()
    pickup.no_longer_held(session, changed)
    brands = _brands()
    found = {o.id: o for o in session.exec(select(Order).where(col(Order.id).in_(orders))).all()}
    pairs = [
        (brands[found[i].brand], found[i])
        for i in orders
        if i in found and found[i].brand in brands
    ]
    orders_changed(session, pairs)


def orders_changed(
    session: Session, pairs: list[tuple[Brand, Order]], now: datetime | None = None
) -> dict[int, Notification | None]:
    """``order_changed`` for a batch of orders, with a constant number of queries for the batch
    (the rows read once, every dedupe key looked up at once, one insert for the new mail, one
    "superseded" update per milestone) except what a delivery adds per order (its coupon).
    Mail is written in the caller's transaction, as ``order_changed`` does. Returns each
    order's milestone mail, if newly queued. Does not commit."""
    now = now or utcnow()
    if not pairs:
        return {}
    facts = Facts.load(session, [o.id for _, o in pairs])
    # the milestone mail first, then what a delivery schedules
    planned: list[Planned] = []
    for brand, order in pairs:
        kind = facts.milestone(order.id)
        if kind is None:
            continue
        planned.append((brand, order, kind, now, ""))
        if kind == "delivered":
            planned.extend(
                (brand, order, k, base, day)
                for k, base, day in after_delivery(brand, order, facts, now)
            )
    stale = freshness.old_news(session, facts, ((o, k, base) for _, o, k, base, _ in planned), now)
    notes = _queue(session, planned, facts, stale)
    out: dict[int, Notification | None] = {o.id: None for _, o in pairs}
    for note in notes:
        mail = note.channel == "mail"
        if mail and note.order_id is not None and note.kind not in FOLLOW_UP_TRIGGERS:
            out[note.order_id] = note
    _supersede(session, notes)
    return out


# --- time-based -------------------------------------------------------------------------------

#: Parcel statuses in which "running late" is the news (later steps have their own mail).
LATE_STATUSES = (Status.INFO_RECEIVED.value, Status.IN_TRANSIT.value, Status.DELAYED.value)


def scan(session: Session, brands: dict[str, Brand], now: datetime | None = None) -> int:
    """Time-based triggers, run by the worker every round (no carrier news needed):

    * ``not_registered``: a parcel the carrier still does not know ``not_registered.days`` after
      it was handed over (status ``pending``);
    * ``late``: a moving parcel whose estimate has passed in the shop's time zone (or that the
      estimates marked late) while no new scan arrived to say so.

    Follow-up and warranty mail are queued at delivery with their due time, so they need no
    scan. Each mail is queued once (dedupe key). Returns how many were queued. Commits."""
    now = now or utcnow()
    queued = 0
    for brand in brands.values():
        if not brand.mail.enabled:
            continue
        # One kind after the other, each superseding before the next is queued: "not_registered"
        # supersedes every unsent milestone, so a "late" queued with it in one batch would go.
        for kind, find in (
            ("not_registered", _not_registered),
            ("late", _late),
            ("pickup_reminder", pickup.due_reminders),
        ):
            rows = find(session, brand, now)
            if not rows:
                continue
            facts = Facts.load(session, [o.id for o in rows])
            notes = _queue(session, [(brand, o, kind, now, "") for o in rows], facts)
            if kind == "pickup_reminder":
                pickup.until_last_day(brand, notes, facts)
            _supersede(session, notes)
            queued += len(notes)
    session.commit()
    return queued


def _not_registered(session: Session, brand: Brand, now: datetime) -> list[Order]:
    trig = brand.mail.triggers.not_registered
    if not trig.enabled:
        return []
    cutoff = now - timedelta(days=trig.days)
    return _orders(
        session,
        brand,
        Shipment.status == Status.PENDING.value,
        col(Shipment.shipped_at) <= cutoff,
    )


def _late(session: Session, brand: Brand, now: datetime) -> list[Order]:
    if not brand.mail.triggers.late.enabled:
        return []
    today = as_utc(now).astimezone(brand.tz).date()
    return _orders(
        session,
        brand,
        col(Shipment.status).in_(LATE_STATUSES),
        or_(col(Shipment.late).is_(True), col(Shipment.edd_end) < today),
    )


def _orders(session: Session, brand: Brand, *where) -> list[Order]:
    """The brand's orders with an outbound parcel matching ``where`` and no mail of that kind
    yet is left to ``queue`` (its dedupe key); distinct orders, oldest first."""
    ids = session.exec(
        select(Shipment.order_id)
        .join(Order, col(Order.id) == Shipment.order_id)
        .where(Order.brand == brand.slug, Shipment.direction == "outbound", *where)
        .distinct()
    ).all()
    if not ids:
        return []
    return list(session.exec(select(Order).where(col(Order.id).in_(ids)).order_by(Order.id)).all())
