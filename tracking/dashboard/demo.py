"""Demo history for the dashboard: four weeks of page views, banner impressions and clicks,
delivery feedback and a few inquiries (one overdue, one answered), so every chart and list of
the demo shops shows something. Idempotent: a second load adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from tracking.orders.models import Order, Shipment
from tracking.page.events import shown_status
from tracking.page.inquiry import reply_by
from tracking.page.models import Feedback, Inquiry, PageEvent
from tracking.timeutil import as_utc

DAYS = 28
RATINGS = (5, 4, 5, 3, 5, 2, 4, 5)
# By rating: what a customer giving it might write (empty: no comment).
COMMENTS = {
    "ja": {
        5: "丁寧な梱包でした。",
        4: "",
        3: "予定より一日遅れました。",
        2: "箱がへこんでいました。",
    },
    "en": {
        5: "Arrived early, thanks!",
        4: "",
        3: "A day later than shown.",
        2: "The box was dented.",
    },
}
QUESTIONS = {
    "ja": (
        "配達日を変更できますか？",
        "ギフト包装をお願いできますか？",
        "不在票が入っていましたが、再配達はどうすればよいですか？",
    ),
    "en": (
        "Can I change the delivery address?",
        "Is this parcel insured?",
        "The tracking has not moved for days. Is it lost?",
    ),
}
ANSWER = {
    "ja": "お問い合わせありがとうございます。配送業者に確認し、明日お届け予定です。",
    "en": "Thank you for asking. We checked with the carrier: it arrives tomorrow.",
}


def load_demo(session: Session, brands: dict, now: datetime, showcase=frozenset()) -> None:
    """``showcase``: order numbers whose page visitors try out: they get no feedback, so the
    "how was your delivery?" form stays open on them."""
    for slug, brand in brands.items():
        orders = session.exec(select(Order).where(Order.brand == slug).order_by(Order.id)).all()
        if not orders:
            continue
        seeded = session.exec(
            select(PageEvent.id).where(
                PageEvent.brand == slug, PageEvent.view_id.startswith("demo")
            )
        ).first()
        if seeded is None:
            _page_events(session, brand, orders, now)
        _feedback(session, slug, [o for o in orders if o.number not in showcase])
        _inquiries(session, brand, orders, now)
    session.flush()


def _within_life(order: Order, now: datetime, at: datetime) -> datetime:
    """``at`` (somewhere in the last DAYS days) moved into the order's own life, so nobody
    views an order before it was placed and the status a view records is one it had."""
    start = now - timedelta(days=DAYS)
    placed = as_utc(order.placed_at)
    if placed <= start:
        return at
    return placed + (at - start) * ((now - placed) / (now - start))


def _status_at(parcels: list[Shipment], at: datetime) -> str:
    """What the order's page showed at ``at``, from the demo parcels' own dates (the demo's
    journeys are laid out from ``shipped_at``; page.events.shown_status is the live rule)."""
    shown = []
    for p in parcels:
        if p.shipped_at is None or at < as_utc(p.shipped_at):
            continue
        if p.delivered_at is not None:
            shown.append("delivered" if at >= as_utc(p.delivered_at) else "in_transit")
        else:
            shown.append(p.status)
    return shown_status(shown)


def _page_events(session: Session, brand, orders, now: datetime) -> None:
    banner_ids = [b.id for b in brand.page.banners]
    impressions = 0
    parcels: dict[int, list[Shipment]] = {}
    for p in session.exec(
        select(Shipment)
        .where(col(Shipment.order_id).in_([o.id for o in orders]), Shipment.direction == "outbound")
        .order_by(Shipment.id)
    ).all():
        parcels.setdefault(p.order_id, []).append(p)
    for i, order in enumerate(orders):
        for day in range(DAYS):
            # Busier on some days than others (a sale, a weekend), so the chart has a shape.
            for k in range((i * 3 + day * day) % 5 // 2 + (day % 7 == 2)):
                at = _within_life(order, now, now - timedelta(days=day, hours=(i * 5 + k * 7) % 24))
                view = f"demo{order.id}d{day}k{k}"
                session.add(
                    PageEvent(
                        brand=brand.slug,
                        order_id=order.id,
                        kind="view",
                        view_id=view,
                        dedupe_key=f"{view}:view:",
                        locale=order.locale,
                        status=_status_at(parcels.get(order.id, []), at),
                        # Most customers come back through the mail's link; some type the number.
                        source="lookup" if (i + day + k) % 3 == 0 else "link",
                        created_at=at,
                    )
                )
                # The first banner is shown on every view, the others on every other one.
                for j, banner in enumerate(banner_ids[:2]):
                    if j and (day + k) % 2:
                        continue
                    impressions += 1
                    session.add(
                        PageEvent(
                            brand=brand.slug,
                            order_id=order.id,
                            kind="impression",
                            banner=banner,
                            view_id=view,
                            dedupe_key=f"{view}:impression:{banner}",
                            locale=order.locale,
                            created_at=at,
                        )
                    )
                    if impressions % (7 + 4 * j) == 0:
                        session.add(
                            PageEvent(
                                brand=brand.slug,
                                order_id=order.id,
                                kind="click",
                                banner=banner,
                                view_id=view,
                                locale=order.locale,
                                created_at=at + timedelta(seconds=20),
                            )
                        )


def _feedback(session: Session, brand: str, orders) -> None:
    delivered = session.exec(
        select(Shipment)
        .where(
            Shipment.order_id.in_([o.id for o in orders]),
            Shipment.status == "delivered",
            Shipment.direction == "outbound",
        )
        .order_by(Shipment.id)
    ).all()
    have = set(session.exec(select(Feedback.order_id).where(Feedback.brand == brand)).all())
    by_id = {o.id: o for o in orders}
    for n, shipment in enumerate(delivered):
        order = by_id[shipment.order_id]
        if order.id in have:
            continue
        have.add(order.id)
        rating = RATINGS[n % len(RATINGS)]
        session.add(
            Feedback(
                brand=brand,
                order_id=order.id,
                rating=rating,
                comment=COMMENTS.get(order.locale, COMMENTS["en"])[rating],
                locale=order.locale,
                created_at=as_utc(shipment.delivered_at) + timedelta(hours=3),
            )
        )


def _inquiries(session: Session, brand, orders, now: datetime) -> None:
    if session.exec(select(Inquiry.id).where(Inquiry.brand == brand.slug)).first() is not None:
        return
    picks = [orders[1 % len(orders)], orders[2 % len(orders)], orders[0]]
    asked_days_ago = (6, 0, 3)  # overdue, fresh, answered
    for n, (order, days) in enumerate(zip(picks, asked_days_ago, strict=True)):
        locale = order.locale if order.locale in brand.locales else brand.default_locale
        asked = now - timedelta(days=days, hours=2)
        inquiry = Inquiry(
            brand=brand.slug,
            order_id=order.id,
            message=QUESTIONS.get(locale, QUESTIONS["en"])[n],
            locale=locale,
            reply_by=reply_by(brand, asked),
            created_at=asked,
        )
        if n == 2:
            inquiry.status = "answered"
            inquiry.reply = ANSWER.get(locale, ANSWER["en"])
            inquiry.replied_at = asked + timedelta(hours=5)
            inquiry.replied_by = f"staff@{brand.slug}.example"
        session.add(inquiry)
