"""Finding an order: by number and contact (the lookup form) or by its random public id (a
signed link)."""

from __future__ import annotations

import hmac

from sqlmodel import Session, select

from tracking import normalize
from tracking.orders.models import Order


def find_order(session: Session, brand: str, number: str, contact: str) -> Order | None:
    """The order when ``contact`` matches its email or postcode; None otherwise.

    Callers must answer "no such order" and "wrong contact" identically.
    """
    number = normalize.order_number(number)
    contact_clean = normalize.clean(contact)
    if not number or not contact_clean:
        return None
    order = session.exec(select(Order).where(Order.brand == brand, Order.number == number)).first()
    if order is None:
        return None
    if "@" in contact_clean:
        given, stored = normalize.email(contact_clean), order.email
    else:
        given, stored = normalize.postcode(contact_clean), order.postcode
    # Constant-time compare: no timing hint about how much of the contact matched.
    if stored and hmac.compare_digest(given.encode(), stored.encode()):
        return order
    return None


def order_by_public_id(session: Session, brand: str, public_id: str) -> Order | None:
    return session.exec(
        select(Order).where(Order.brand == brand, Order.public_id == public_id)
    ).first()
