"""Getting orders in: every intake path (demo, API, imports, webhooks) stores orders through here,
so numbers, emails and postcodes are always stored in the form lookups compare against."""

from __future__ import annotations

from sqlmodel import Session

from tracking import normalize
from tracking.orders.models import Order


def create_order(session: Session, *, brand: str, number: str, email: str, **fields) -> Order:
    """Add an order, storing number, email and postcode in the normalized form lookups
    compare against. Does not commit."""
    fields["postcode"] = normalize.postcode(fields.get("postcode", ""))
    order = Order(
        brand=brand, number=normalize.order_number(number), email=normalize.email(email), **fields
    )
    session.add(order)
    session.flush()
    return order
