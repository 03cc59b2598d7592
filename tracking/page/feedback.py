""" "How was your delivery?": a 1–5 rating with an optional comment, once per order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking.orders.models import Order
from tracking.page.models import Feedback

MAX_COMMENT = 1000


def parse(rating: str | None, comment: str | None) -> tuple[int | None, str, str | None]:
    """(rating, comment, error message) from the posted form."""
    comment = (comment or "").strip()[:MAX_COMMENT]
    try:
        value = int((rating or "").strip())
    except ValueError:
        value = None
    if value is None or not 1 <= value <= 5:
        return None, comment, str(_l("Please choose a rating from 1 to 5."))
    return value, comment, None


def submit(session: Session, order: Order, rating: int, comment: str, locale: str) -> bool:
    """Store the order's feedback; False when the order already has some (the first stays)."""
    session.add(
        Feedback(
            brand=order.brand, order_id=order.id, rating=rating, comment=comment, locale=locale
        )
    )
    try:
        session.commit()
    except IntegrityError:  # one per order: the unique key decides, also under a double post
        session.rollback()
        return False
    return True


def for_brand(session: Session, brand: str, limit: int = 50) -> list[tuple[Feedback, str]]:
    """The brand's latest feedback with each order's number, newest first (for staff pages)."""
    rows = session.exec(
        select(Feedback, Order.number)
        .join(Order, Order.id == Feedback.order_id)
        .where(Feedback.brand == brand)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    ).all()
    return [(fb, number) for fb, number in rows]
