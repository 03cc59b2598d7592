"""The staff returns queue beyond the search: one photo of a brand's return, and approving many
checked returns at once (each only at the version staff saw)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.orders.models import Order
from tracking.orders.sheets import Text
from tracking.returns import queries, transitions
from tracking.returns.models import ReturnPhoto, ReturnRequest


def photo_of(
    session: Session, brand: str, photo_id: int
) -> tuple[ReturnPhoto, ReturnRequest] | None:
    """The photo with this id and its return, if the return is ``brand``'s; else None."""
    pic = session.get(ReturnPhoto, photo_id)
    rr = session.get(ReturnRequest, pic.return_id) if pic else None
    if pic is None or rr is None or rr.brand != brand:
        return None
    return pic, rr


def approve_many(
    session: Session, brand: Brand, picks: list[tuple[str, int | None]], *, actor: str, reason: str
) -> tuple[int, int]:
    """Approve each (RMA, version seen) of ``brand``; (approved, skipped). A return that is
    unknown, has no version, changed meanwhile or cannot be approved is skipped, not forced."""
    done, skipped = 0, 0
    for rma, version in picks:
        rr = queries.by_rma(session, brand.slug, rma)
        if rr is None or version is None:
            skipped += 1
            continue
        try:
            transitions.transition(
                session, brand, rr, "approve", actor=actor, reason=reason, expected_version=version
            )
            done += 1
        except transitions.TransitionError:
            skipped += 1
    return done, skipped


REFUND_HEADER = [
    "rma",
    "status",
    "order",
    "name",
    "email",
    "payment_method",
    "currency",
    "refund_amount",
    "paid_amount",
    "paid_at",
    "bank_name",
    "branch_name",
    "account_type",
    "account_number",
    "account_holder",
]


def major_units(amount: int | None, currency: str) -> str:
    """``1620`` for ¥1,620, ``42.50`` for $42.50: what a bank or a platform's refund form takes."""
    if amount is None:
        return ""
    digits = get_currency_precision(currency)
    return str(Decimal(amount).scaleb(-digits)) if digits else str(amount)


def refund_rows(session: Session, brand: str) -> list[list]:
    """The refunds CSV: every return with money to pay back (declined and cancelled ones left
    out), newest first, with the amount, whether and when it was paid and, for cash-on-delivery
    orders, the customer's bank details."""
    rows = session.exec(
        select(ReturnRequest, Order)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(
            ReturnRequest.brand == brand,
            ReturnRequest.refund_amount > 0,
            col(ReturnRequest.status).not_in(("rejected", "cancelled")),
        )
        .order_by(col(ReturnRequest.created_at).desc(), col(ReturnRequest.id).desc())
    ).all()
    out = []
    for rr, order in rows:
        bank = rr.bank_details or {}
        out.append(
            [
                rr.rma,
                rr.status,
                order.number,
                order.name,
                rr.email,
                order.payment_method,
                order.currency,
                major_units(rr.refund_amount, order.currency),
                major_units(rr.paid_amount, order.currency),
                rr.paid_at,
                bank.get("bank_name", ""),
                bank.get("branch_name", ""),
                bank.get("account_type", ""),
                Text(bank.get("account_number", "")),  # seven digits, leading zeros kept
                bank.get("account_holder", ""),
            ]
        )
    return out
