"""Store credit: the code a ``credit`` step issues, exactly once per return.

The code comes from the shop's pool of store-credit codes (``[returns] store_credit_codes =
"pool"``: codes the shop created on its platform, imported with ``flask coupons import
--purpose store_credit``) or is made here: 60 random bits in the RMA alphabet, which nobody
guesses. Exactly once is the database's job, not a read-then-write: ``store_credits`` has one
row per return (``uq_credit_return``), so of two staff issuing at once the second insert fails
and its whole step rolls back (``transitions.transition`` reports it as ``stale``); a pool row is
claimed with ``FOR UPDATE SKIP LOCKED`` and a conditional UPDATE, so two returns never draw the
same code. Nothing here commits."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.mail.models import CouponCode
from tracking.returns.models import ReturnRequest, StoreCredit
from tracking.returns.submission import RMA_ALPHABET

CODE_LENGTH = 12  # 32 ** 12 = 2 ** 60 codes


class NoCodes(Exception):
    """The shop's pool of store-credit codes is empty."""


def new_code(prefix: str) -> str:
    body = "".join(secrets.choice(RMA_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{prefix}-CR-{body[:4]}-{body[4:8]}-{body[8:]}"


def _draw(session: Session, brand: Brand, now: datetime) -> str:
    for _ in range(5):  # another return may claim the row between our read and our write
        row_id = session.exec(
            select(CouponCode.id)
            .where(
                CouponCode.brand == brand.slug,
                CouponCode.purpose == "store_credit",
                col(CouponCode.issued_at).is_(None),
            )
            .order_by(CouponCode.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row_id is None:
            raise NoCodes(brand.slug)
        claimed = session.execute(
            update(CouponCode)
            .where(col(CouponCode.id) == row_id, col(CouponCode.issued_at).is_(None))
            .values(issued_at=now)
        )
        if claimed.rowcount == 1:
            return session.exec(select(CouponCode.code).where(CouponCode.id == row_id)).one()
    raise NoCodes(brand.slug)


def issue(
    session: Session, brand: Brand, rr: ReturnRequest, currency: str, now: datetime
) -> StoreCredit:
    """Add the return's credit (flushed, so a second one fails here with IntegrityError)."""
    pooled = brand.returns.store_credit_codes == "pool"
    code = _draw(session, brand, now) if pooled else new_code(brand.returns.rma_prefix)
    credit = StoreCredit(
        return_id=rr.id,
        brand=brand.slug,
        code=code,
        amount=rr.credit_amount,
        currency=currency,
        source="pool" if pooled else "generated",
        created_at=now,
    )
    session.add(credit)
    session.flush()
    return credit


def credit_of(session: Session, return_id: int) -> StoreCredit | None:
    return session.exec(select(StoreCredit).where(StoreCredit.return_id == return_id)).first()
