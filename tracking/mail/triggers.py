"""When to mail the customer, and what: shipping, delivery and after-sales triggers.

``after_apply`` runs after every stored batch of carrier results, once per changed order
(``tracking.sync.apply.AFTER_APPLY``) and ``scan`` in every worker round (time-based triggers). Both look at the
*order*, not the scan that just arrived, and queue at most one mail per order per milestone
(the dedupe key is ``order:<id>:<milestone>``):

* a parcel that jumps from "shipped" to "delivered" between two checks gets the delivered mail
  only, and a queued mail for an earlier milestone that has not gone out yet is superseded;
* an order whose items are not all in parcels yet gets "part of your order has shipped"; when
  every item has shipped, one "your order has shipped" lists every parcel; "delivered" waits
  until every parcel is delivered.

Nothing here commits: mail is part of the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

import carriers
from carriers import Status
from tracking.brands.brand import Brand
from tracking.i18n import format_day, status_label
from tracking.mail import coupons, outbox, render
from tracking.mail.config import FOLLOW_UP_TRIGGERS
from tracking.mail.models import Notification, Unsubscribe
from tracking.orders.models import Order, OrderItem, Shipment, ShipmentItem
from tracking.security import order_token
from tracking.templating import carrier_name
from tracking.timeutil import as_utc, utcnow

# Shipping milestones, earliest first; a later one supersedes an unsent earlier one.
MILESTONES = ("shipped_partial", "shipped", "late", "out_for_delivery", "attempted", "exception")
PARCEL_MAIL = {"shipped_partial", "shipped", "out_for_delivery", "attempted", "delivered"}
# Rakuten: order-related mail only, within three weeks of shipping (intake-formats.md §2.7).
RAKUTEN_FOLLOW_UP_DAYS = 21


def _l(message: str) -> str:  # marked for extraction, translated when the mail is rendered
    return message


SUBJECTS = {
    "shipped_partial": _l("Part of your order %(number)s has shipped"),
    "shipped": _l("Your order %(number)s has shipped"),
    "out_for_delivery": _l("Your order %(number)s is out for delivery"),
    "delivered": _l("Your order %(number)s has been delivered"),
    "attempted": _l("We missed you: order %(number)s could not be delivered"),
    "exception": _l("A problem with the delivery of order %(number)s"),
    "late": _l("Your order %(number)s is taking longer than expected"),
    "not_registered": _l("Order %(number)s: tracking is not available yet"),
    "follow_up": _l("How is your order %(number)s?"),
    "warranty": _l("The warranty for order %(number)s ends on %(day)s"),
}
HEADINGS = {
    "shipped_partial": _l("Part of your order is on its way"),
    "shipped": _l("Your order is on its way"),
    "out_for_delivery": _l("Your parcel arrives today"),
    "delivered": _l("Your order has been delivered"),
    "attempted": _l("The carrier tried to deliver your parcel"),
    "exception": _l("There is a problem with your delivery"),
    "late": _l("Your order is running late"),
    "not_registered": _l("The carrier has no scan of your parcel yet"),
    "follow_up": _l("Did everything arrive in good condition?"),
    "warranty": _l("Your warranty ends soon"),
}
BODIES = {
    "shipped_partial": _l(
        "Some of the items of your order have left our warehouse. We will write again when "
        "the rest ships."
    ),
    "shipped": _l("Thank you for your order. You can follow your parcel at any time."),
    "out_for_delivery": _l("The carrier has your parcel on the delivery vehicle today."),
    "delivered": _l(
        "The carrier reports your parcel as delivered. Thank you for shopping with us."
    ),
    "attempted": _l(
        "Nobody was there to receive it. Please book a redelivery with the carrier at a time "
        "that suits you."
    ),
    "exception": _l(
        "The carrier reported a problem. We are looking into it; you can see the latest news "
        "on your tracking page or reply to this mail."
    ),
    "late": _l(
        "Your parcel is later than we estimated. We are sorry for the wait; the tracking page "
        "shows the newest information from the carrier."
    ),
    "not_registered": _l(
        "We handed your parcel to the carrier, but it does not show in their system yet. This "
        "usually resolves itself; we are keeping an eye on it."
    ),
    "follow_up": _l(
        "A few days have passed since your order arrived. If anything is damaged or not as "
        "expected, please reply to this mail and we will help."
    ),
    "warranty": _l(
        "If an item of this order has a fault, we can still repair or replace it under "
        "warranty. Start from your order page."
    ),
}


def _brands() -> dict[str, Brand]:
    return current_app.extensions["todoku_brands"]


def tracking_url(order: Order) -> str:
    token = order_token(order.brand, order.public_id)
    return f"{current_app.config['BASE_URL']}/{order.brand}/o/{token}"


# --- scheduling -----------------------------------------------------------------------------


def after_quiet_hours(brand: Brand, when: datetime) -> datetime:
    """``when``, or the end of the brand's quiet hours if it falls inside them (shop-local)."""
    quiet = brand.mail.quiet_hours
    if quiet is None:
        return when
    local = as_utc(when).astimezone(brand.tz)
    t = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= t < quiet.end
    else:  # across midnight, e.g. 21:00–08:00
        inside = t >= quiet.start or t < quiet.end
    if not inside:
        return when
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(as_utc(when).tzinfo)


def send_time(brand: Brand, kind: str, base: datetime) -> datetime:
    when = base + timedelta(minutes=brand.mail.trigger(kind).delay_minutes)
    return after_quiet_hours(brand, when) if brand.mail.holds_in_quiet_hours(kind) else when


def unsubscribed(session: Session, brand: str, email: str) -> bool:
    return (
        session.exec(
            select(Unsubscribe.id).where(Unsubscribe.brand == brand, Unsubscribe.email == email)
        ).first()
        is not None
    )


# --- what an order looks like ------------------------------------------------------------------


def outbound_parcels(session: Session, order: Order) -> list[Shipment]:
    """The order's parcels to the customer (return parcels left out), oldest first."""
    return list(
        session.exec(
            select(Shipment)
            .where(Shipment.order_id == order.id, Shipment.direction == "outbound")
            .order_by(Shipment.id)
        ).all()
    )


def _all_items_shipped(session: Session, order: Order, parcels: list[Shipment]) -> bool:
    """True when every item's quantity is in a parcel (or the shop records no items per parcel)."""
    ids = [p.id for p in parcels]
    lines = session.exec(select(ShipmentItem).where(col(ShipmentItem.shipment_id).in_(ids))).all()
    if not lines:
        return True
    shipped: dict[int, int] = {}
    for line in lines:
        shipped[line.order_item_id] = shipped.get(line.order_item_id, 0) + line.qty
    items = session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    return all(shipped.get(i.id, 0) >= i.qty for i in items)


@dataclass
class Facts:
    """What the triggers read about a batch of orders, loaded in three queries for the whole
    batch (the worker's hook) instead of several per order: the outbound parcels, the items in
    them and the orders' items. ``queued``: dedupe keys found in the outbox (``look_up``)."""

    parcels: dict[int, list[Shipment]]
    lines: dict[int, list[tuple[int, int, str | None]]]  # parcel id → (item id, qty, name)
    items: dict[int, list[OrderItem]]
    queued: set[str] = field(default_factory=set)
    unsubscribed: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, session: Session, order_ids: list[int]) -> Facts:
        parcels: dict[int, list[Shipment]] = {i: [] for i in order_ids}
        for p in session.exec(
            select(Shipment)
            .where(col(Shipment.order_id).in_(order_ids), Shipment.direction == "outbound")
            .order_by(Shipment.id)
        ).all():
            parcels[p.order_id].append(p)
        ids = [p.id for ps in parcels.values() for p in ps]
        lines: dict[int, list[tuple[int, int, str | None]]] = defaultdict(list)
        if ids:
            for shipment_id, item_id, qty, name in session.exec(
                select(
                    ShipmentItem.shipment_id,
                    ShipmentItem.order_item_id,
                    ShipmentItem.qty,
                    OrderItem.name,
                )
                .outerjoin(OrderItem, col(OrderItem.id) == ShipmentItem.order_item_id)
                .where(col(ShipmentItem.shipment_id).in_(ids))
                .order_by(ShipmentItem.id)
            ).all():
                lines[shipment_id].append((item_id, qty, name))
        items: dict[int, list[OrderItem]] = defaultdict(list)
        for item in session.exec(
            select(OrderItem).where(col(OrderItem.order_id).in_(order_ids)).order_by(OrderItem.id)
        ).all():
            items[item.order_id].append(item)
        return cls(parcels, lines, items)

    def complete(self, order_id: int) -> bool:
        """``_all_items_shipped`` from the loaded rows."""
        shipped: dict[int, int] = {}
        for p in self.parcels[order_id]:
            for item_id, qty, _ in self.lines.get(p.id, ()):
                shipped[item_id] = shipped.get(item_id, 0) + qty
        if not shipped:
            return True
        return all(shipped.get(i.id, 0) >= i.qty for i in self.items.get(order_id, ()))

    def look_up(self, session: Session, mails: list[tuple[Brand, Order, str]]) -> None:
        """Which of these (brand, order, kind) mails are in the outbox already, and which
        follow-up recipients unsubscribed: two queries for the batch."""
        keys = [f"order:{o.id}:{kind}" for _, o, kind in mails]
        if keys:
            self.queued |= set(
                session.exec(
                    select(Notification.dedupe_key).where(col(Notification.dedupe_key).in_(keys))
                ).all()
            )
        emails = {o.email for _, o, kind in mails if kind in FOLLOW_UP_TRIGGERS and o.email}
        if emails:
            self.unsubscribed |= set(
                session.exec(
                    select(Unsubscribe.brand, Unsubscribe.email).where(
                        col(Unsubscribe.email).in_(emails)
                    )
                ).all()
            )


def milestone(session: Session, order: Order, parcels: list[Shipment]) -> str | None:
    """The order's current shipping milestone (None: nothing to say yet)."""
    return _milestone(parcels, _all_items_shipped(session, order, parcels))


def _milestone(parcels: list[Shipment], complete: bool) -> str | None:
    statuses = {p.status for p in parcels}
    if parcels and statuses == {Status.DELIVERED.value} and complete:
        return "delivered"
    live = [p for p in parcels if p.status != Status.DELIVERED.value]
    live_statuses = {p.status for p in live}
    if (
        Status.ATTEMPT_FAILED.value in live_statuses
        or Status.AVAILABLE_FOR_PICKUP.value in live_statuses
    ):
        return "attempted"
    if live_statuses & {
        Status.EXCEPTION.value,
        Status.RETURNING_TO_SENDER.value,
        Status.RETURNED_TO_SENDER.value,
    }:
        return "exception"
    if Status.OUT_FOR_DELIVERY.value in live_statuses:
        return "out_for_delivery"
    if any(p.late for p in live):
        return "late"
    if live_statuses & {Status.INFO_RECEIVED.value, Status.IN_TRANSIT.value, Status.DELAYED.value}:
        return "shipped" if complete else "shipped_partial"
    return None


# --- content --------------------------------------------------------------------------------


def _parcel_blocks(
    session: Session, parcels: list[Shipment], facts: Facts | None = None
) -> list[render.ParcelBlock]:
    blocks = []
    for p in parcels:
        if facts is not None:
            names = [(name, qty) for _, qty, name in facts.lines.get(p.id, ()) if name is not None]
        else:
            names = session.exec(
                select(OrderItem.name, ShipmentItem.qty)
                .join(ShipmentItem, col(ShipmentItem.order_item_id) == OrderItem.id)
                .where(ShipmentItem.shipment_id == p.id)
                .order_by(ShipmentItem.id)
            ).all()
        estimate = ""
        if p.status != Status.DELIVERED.value and p.edd_start:
            start, end = format_day(p.edd_start), format_day(p.edd_end or p.edd_start)
            estimate = start if start == end else f"{start} – {end}"
        try:
            url = carriers.get(p.carrier).tracking_url(p.tracking_number)
        except (carriers.UnknownCarrier, NotImplementedError):
            url = None
        blocks.append(
            render.ParcelBlock(
                carrier=carrier_name(p.carrier),
                number=p.tracking_number,
                status=status_label(p.status),
                estimate=estimate,
                items=[f"{name} × {qty}" for name, qty in names],
                carrier_url=url,
            )
        )
    return blocks


def _json_ld(
    brand: Brand, order: Order, parcels: list[Shipment], locale: str, url: str | None = None
) -> list[dict]:
    """schema.org ParcelDelivery, one per parcel (mail clients show it as a tracking card)."""
    out = []
    url = url or tracking_url(order)
    for p in parcels:
        data = {
            "@context": "https://schema.org",
            "@type": "ParcelDelivery",
            "carrier": {"@type": "Organization", "name": carrier_name(p.carrier)},
            "trackingNumber": p.tracking_number,
            "trackingUrl": url,
            "partOfOrder": {
                "@type": "Order",
                "orderNumber": order.number,
                "merchant": {"@type": "Organization", "name": brand.display_name(locale)},
            },
        }
        if p.edd_end:
            data["expectedArrivalUntil"] = p.edd_end.isoformat()
        if p.delivered_at:
            data["deliveryStatus"] = {"@type": "DeliveryEvent"}
        out.append(data)
    return out


def _redelivery(parcels: list[Shipment]) -> render.Button | None:
    for p in parcels:
        if p.status in (Status.ATTEMPT_FAILED.value, Status.AVAILABLE_FOR_PICKUP.value):
            try:
                url = carriers.get(p.carrier).redelivery_url(p.tracking_number)
            except carriers.UnknownCarrier:
                url = None
            if url:
                return render.Button(gettext("Book a redelivery with the carrier"), url)
    return None


def content(
    session: Session,
    brand: Brand,
    order: Order,
    kind: str,
    locale: str,
    *,
    parcels: list[Shipment] | None = None,
    coupon_code: str | None = None,
    day: str = "",
    blocks: list[render.ParcelBlock] | None = None,
    facts: Facts | None = None,
) -> render.Content:
    """The mail for ``kind`` about ``order``; call inside ``force_locale(locale)``.

    ``blocks``: the parcels as shown, when they are not rows to read (the staff preview);
    ``facts``: the batch's loaded rows, to read the parcels' items from."""
    parcels = outbound_parcels(session, order) if parcels is None else parcels
    shown = [p for p in parcels if kind != "shipped_partial" or p.status != Status.PENDING.value]
    link = tracking_url(order)  # signed (and compressed) once per mail
    c = render.Content(
        subject=gettext(SUBJECTS[kind], number=order.number, day=day),
        heading=gettext(HEADINGS[kind]),
        greeting=render.greeting(order.name, locale),
        paragraphs=[gettext(BODIES[kind])],
        facts=[(gettext("Order number"), order.number)],
        button=render.Button(gettext("Check delivery status"), link),
    )
    if kind in PARCEL_MAIL or kind in ("exception", "late", "not_registered"):
        c.parcels = _parcel_blocks(session, shown, facts) if blocks is None else blocks
    if kind in PARCEL_MAIL:
        c.json_ld = _json_ld(brand, order, shown, locale, link)
    if kind == "attempted":
        c.secondary = _redelivery(parcels)
    if kind == "follow_up":
        c.tips = [t.get(locale, brand.default_locale) for t in brand.mail.tips]
        c.review_url = brand.mail.review_url
        c.button = render.Button(gettext("Open your order"), link)
    if kind == "warranty":
        c.button = render.Button(gettext("Open your order"), link)
    if coupon_code and brand.mail.coupon and not brand.mail.rakuten:
        c.coupon = (brand.mail.coupon.text.get(locale, brand.default_locale), coupon_code)
    if kind in FOLLOW_UP_TRIGGERS:
        c.unsubscribe_url = outbox.unsubscribe_url(brand.slug, order.public_id)
    return c


# --- queueing -------------------------------------------------------------------------------


def queue(
    session: Session,
    brand: Brand,
    order: Order,
    kind: str,
    *,
    base: datetime,
    parcels: list[Shipment] | None = None,
    day: str = "",
) -> Notification | None:
    """Queue ``kind`` for ``order`` (once), rendered now, due after its delay and quiet hours."""
    if not _wanted(brand, order, kind):
        return None
    if kind in FOLLOW_UP_TRIGGERS and unsubscribed(session, brand.slug, order.email):
        return None
    key = f"order:{order.id}:{kind}"
    if session.exec(select(Notification.id).where(Notification.dedupe_key == key)).first():
        return None
    return outbox.enqueue(session, **mail_args(session, brand, order, kind, base, parcels, day))


def _wanted(brand: Brand, order: Order, kind: str) -> bool:
    cfg = brand.mail
    return bool(cfg.enabled and cfg.trigger(kind).enabled and order.email)


def mail_args(
    session: Session,
    brand: Brand,
    order: Order,
    kind: str,
    base: datetime,
    parcels: list[Shipment] | None,
    day: str = "",
    facts: Facts | None = None,
) -> dict:
    """``outbox.enqueue``'s arguments for ``kind`` about ``order``, rendered now."""
    cfg = brand.mail
    follow_up = kind in FOLLOW_UP_TRIGGERS
    key = f"order:{order.id}:{kind}"
    locale = render.locale_for(brand, order)
    code = None
    if kind in ("delivered", "follow_up") and cfg.coupon and not cfg.rakuten:
        code = coupons.issue(session, brand, order)
    subject, text, html = render.render_in(
        brand,
        locale,
        lambda: content(
            session,
            brand,
            order,
            kind,
            locale,
            parcels=parcels,
            coupon_code=code,
            day=day,
            facts=facts,
        ),
    )
    return dict(
        brand=brand.slug,
        kind=kind,
        dedupe_key=key,
        to=order.email,
        subject=subject,
        body=text,
        html=html,
        locale=locale,
        order_id=order.id,
        category="follow_up" if follow_up else "transactional",
        send_after=send_time(brand, kind, base),
    )


def _supersede(session: Session, order: Order, kind: str) -> None:
    """An unsent mail for an earlier milestone is stale once a later one is queued."""
    _supersede_many(session, [order.id], kind)


def _supersede_many(session: Session, order_ids: list[int], kind: str) -> None:
    earlier = MILESTONES[: MILESTONES.index(kind)] if kind in MILESTONES else MILESTONES
    session.execute(
        update(Notification)
        .where(
            col(Notification.order_id).in_(order_ids),
            Notification.status == "queued",
            col(Notification.kind).in_(earlier),
        )
        .values(status="superseded", last_error="a later delivery step was mailed instead")
    )


def order_changed(session: Session, brand: Brand, order: Order, now: datetime | None = None):
    """Queue the mail for the order's current milestone, if not sent before. Does not commit."""
    return orders_changed(session, [(brand, order)], now)[order.id]


def warranty_days(session: Session, brand: Brand, order: Order, facts: Facts | None = None) -> int:
    """The longest warranty of the order's items (brand default, extended by item tags)."""
    policy = brand.returns
    best = policy.warranty_days
    items = (
        facts.items.get(order.id, [])
        if facts is not None
        else session.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    )
    for item in items:
        for tag in item.tags or []:
            rule = policy.tags.get(tag)
            if rule and rule.warranty_days:
                best = max(best, rule.warranty_days)
    return best


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
    # (brand, order, kind, base, day): the milestone mail first, then what a delivery schedules
    planned: list[tuple[Brand, Order, str, datetime, str]] = []
    for brand, order in pairs:
        parcels = facts.parcels[order.id]
        kind = _milestone(parcels, facts.complete(order.id))
        if kind is None:
            continue
        planned.append((brand, order, kind, now, ""))
        if kind == "delivered":
            planned.extend(_after_delivery(session, brand, order, parcels, now, facts))
    facts.look_up(session, [(b, o, k) for b, o, k, _, _ in planned])
    mails = []
    for brand, order, kind, base, day in planned:
        if f"order:{order.id}:{kind}" in facts.queued or not _wanted(brand, order, kind):
            continue
        if kind in FOLLOW_UP_TRIGGERS and (brand.slug, order.email) in facts.unsubscribed:
            continue
        parcels = facts.parcels[order.id]
        mails.append(mail_args(session, brand, order, kind, base, parcels, day, facts))
    notes = outbox.enqueue_many(session, mails)
    out: dict[int, Notification | None] = {o.id: None for _, o in pairs}
    superseding: dict[str, list[int]] = defaultdict(list)
    milestone_of = {o.id: k for _, o, k, _, _ in planned if k not in FOLLOW_UP_TRIGGERS}
    for note in notes:
        if note.order_id is not None and milestone_of.get(note.order_id) == note.kind:
            out[note.order_id] = note
            superseding[note.kind].append(note.order_id)
    for kind, ids in superseding.items():
        _supersede_many(session, ids, kind)
    return out


def _after_delivery(
    session: Session,
    brand: Brand,
    order: Order,
    parcels: list[Shipment],
    now: datetime,
    facts: Facts,
) -> list[tuple[Brand, Order, str, datetime, str]]:
    """The follow-up and warranty mail a delivery schedules (``_schedule_after_delivery``)."""
    out = []
    delivered = max((as_utc(p.delivered_at) for p in parcels if p.delivered_at), default=now)
    shipped = min((as_utc(p.shipped_at) for p in parcels if p.shipped_at), default=delivered)
    follow = brand.mail.triggers.follow_up
    due = delivered + timedelta(days=follow.days)
    if not brand.mail.rakuten or due <= shipped + timedelta(days=RAKUTEN_FOLLOW_UP_DAYS):
        out.append((brand, order, "follow_up", due, ""))
    days = warranty_days(session, brand, order, facts)
    warranty = brand.mail.triggers.warranty
    if days and warranty.enabled and not brand.mail.rakuten:
        ends = delivered + timedelta(days=days)
        with force_locale(render.locale_for(brand, order)):
            day = format_day(ends.astimezone(brand.tz).date())
        base = max(ends - timedelta(days=warranty.days), now)
        out.append((brand, order, "warranty", base, day))
    return out


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
        for kind, rows in (
            ("not_registered", _not_registered(session, brand, now)),
            ("late", _late(session, brand, now)),
        ):
            for order in rows:
                note = queue(session, brand, order, kind, base=now)
                if note is not None:
                    queued += 1
                    _supersede(session, order, kind)
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
