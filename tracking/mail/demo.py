"""Demo data for mail: the outdoor shop's coupon pool (so its delivered mail draws a unique code
and the staff mail page shows what is left)."""

from __future__ import annotations

from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.mail import coupons

DEMO_POOL_SIZE = 25


def load_demo(session: Session, brands: dict[str, Brand]) -> None:
    """Fill each demo brand's empty pool (idempotent: codes already there are kept)."""
    for slug, brand in brands.items():
        coupon = brand.mail.coupon
        if coupon is None or not coupon.pool:
            continue
        left, issued = coupons.remaining(session, slug)
        if left + issued:
            continue
        prefix = slug.upper().replace("-", "")[:8]
        codes = "\n".join(f"{prefix}-{n:04d}" for n in range(1, DEMO_POOL_SIZE + 1))
        coupons.import_csv(session, slug, codes)
