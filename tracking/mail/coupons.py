"""Next-purchase coupons (クーポン配信): a brand's fixed code, or one code per order drawn from a
pool imported from CSV. A pool code is issued once and never to two customers: the draw locks
the row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and a unique constraint on ``order_id``
backs it up."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking.brands.brand import Brand
from tracking.db import savepoint
from tracking.mail.models import CouponCode
from tracking.orders.models import Order
from tracking.timeutil import utcnow

CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")


def issue(session: Session, brand: Brand, order: Order) -> str | None:
    """The order's coupon code (the same one every time), or None when the pool is empty."""
    coupon = brand.mail.coupon
    if coupon is None:
        return None
    if coupon.code:
        return coupon.code
    mine = session.exec(select(CouponCode.code).where(CouponCode.order_id == order.id)).first()
    if mine:
        return mine
    for _ in range(5):  # another delivery may take the same row between our read and write
        row_id = session.exec(
            select(CouponCode.id)
            .where(
                CouponCode.brand == brand.slug,
                CouponCode.purpose == "coupon",  # never a store-credit code (returns' pool)
                col(CouponCode.order_id).is_(None),
            )
            .order_by(CouponCode.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row_id is None:
            return None
        try:
            with savepoint(session):
                done = session.execute(
                    update(CouponCode)
                    .where(CouponCode.id == row_id, col(CouponCode.order_id).is_(None))
                    .values(order_id=order.id, issued_at=utcnow())
                )
        except IntegrityError:  # this order got one concurrently
            return session.exec(
                select(CouponCode.code).where(CouponCode.order_id == order.id)
            ).first()
        if done.rowcount == 1:
            return session.exec(select(CouponCode.code).where(CouponCode.id == row_id)).one()
    return None


PURPOSES = ("coupon", "store_credit")


def import_csv(
    session: Session, brand: str, text: str, purpose: str = "coupon"
) -> tuple[int, int, list[str]]:
    """Add the codes of a CSV (first column; a header row "code" is skipped) to ``brand``'s pool
    of ``purpose`` (next-purchase coupons, or store-credit codes for returns).

    Returns (added, already there, problems). Commits."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose: one of {PURPOSES}")
    existing = set(session.exec(select(CouponCode.code).where(CouponCode.brand == brand)).all())
    added, dupes, problems = 0, 0, []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip():
            continue
        code = row[0].strip()
        if n == 1 and code.lower() == "code":
            continue
        if not CODE.match(code):
            problems.append(f"line {n}: {code[:40]!r} is not a code (3-64 letters, digits, - or _)")
            continue
        if code in existing:
            dupes += 1
            continue
        existing.add(code)
        session.add(CouponCode(brand=brand, code=code, purpose=purpose))
        added += 1
    session.commit()
    return added, dupes, problems


def remaining(session: Session, brand: str, purpose: str = "coupon") -> tuple[int, int]:
    """(codes left, codes issued) of ``brand``'s pool of ``purpose``. A coupon is issued to an
    order; a store-credit code (to a return) carries its ``issued_at``."""
    issued_col = CouponCode.order_id if purpose == "coupon" else CouponCode.issued_at
    mine = (CouponCode.brand == brand, CouponCode.purpose == purpose)
    left = session.exec(
        select(func.count()).select_from(CouponCode).where(*mine, col(issued_col).is_(None))
    ).one()
    issued = session.exec(
        select(func.count()).select_from(CouponCode).where(*mine, col(issued_col).is_not(None))
    ).one()
    return left, issued
