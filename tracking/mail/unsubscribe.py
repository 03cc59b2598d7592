"""Unsubscribing from follow-up mail: the signed link names the brand and an order's public id
(never the address); stopping is idempotent and honoured by every later trigger and send."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking.mail.models import Unsubscribe
from tracking.orders.models import Order
from tracking.security import read_link, sign_link

UNSUBSCRIBE_LINK = "todoku.unsubscribe.v1"


def unsubscribe_url(brand_slug: str, public_id: str) -> str:
    """The link in a follow-up mail (and its ``List-Unsubscribe`` header)."""
    token = sign_link(UNSUBSCRIBE_LINK, brand_slug, public_id)
    return f"{current_app.config['BASE_URL']}/{brand_slug}/unsubscribe/{token}"


def order_for(session: Session, brand: str, token: str) -> Order | None:
    public_id = read_link(UNSUBSCRIBE_LINK, brand, token[:300])
    if public_id is None:
        return None
    return session.exec(
        select(Order).where(Order.public_id == public_id, Order.brand == brand)
    ).first()


def stop(session: Session, brand: str, email: str) -> None:
    """Record the wish (once). Commits."""
    email = email.lower()
    exists = session.exec(
        select(Unsubscribe.id).where(Unsubscribe.brand == brand, Unsubscribe.email == email)
    ).first()
    if exists is None:
        try:
            session.add(Unsubscribe(brand=brand, email=email))
            session.commit()
        except IntegrityError:  # a second click at the same moment
            session.rollback()
