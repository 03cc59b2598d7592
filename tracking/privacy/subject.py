"""Whose data a request is about: a brand and an address (compared as orders store it)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, or_, select

from tracking import normalize
from tracking.orders.models import Order
from tracking.returns.models import ReturnRequest


@dataclass(frozen=True)
class Subject:
    brand: str
    email: str

    @classmethod
    def of(cls, brand: str, email: str) -> Subject:
        return cls(brand=brand, email=normalize.email(email))


def orders_of(session: Session, subject: Subject) -> list[Order]:
    """Every order of the brand placed with the address, or with a return filed from it."""
    via_returns = select(ReturnRequest.order_id).where(
        ReturnRequest.brand == subject.brand, ReturnRequest.email == subject.email
    )
    return list(
        session.exec(
            select(Order)
            .where(
                Order.brand == subject.brand,
                or_(Order.email == subject.email, Order.id.in_(via_returns)),
            )
            .order_by(Order.id)
        )
    )
