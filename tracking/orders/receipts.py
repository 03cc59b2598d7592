"""Remembering what was already taken in (``IntakeReceipt``): API idempotency keys with the
answer given, Shopify event ids, and the newest ``updated_at`` seen per Shopify object."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking.orders.models import IntakeReceipt


def get(session: Session, brand: str, scope: str, key: str) -> IntakeReceipt | None:
    return session.exec(
        select(IntakeReceipt).where(
            IntakeReceipt.brand == brand, IntakeReceipt.scope == scope, IntakeReceipt.key == key
        )
    ).first()


def remember(
    session: Session,
    brand: str,
    scope: str,
    key: str,
    *,
    fingerprint: str = "",
    status: int = 0,
    body: dict | None = None,
) -> bool:
    """Store a receipt and commit; False when a concurrent request stored the same key first."""
    session.add(
        IntakeReceipt(
            brand=brand,
            scope=scope,
            key=key[:255],
            fingerprint=fingerprint,
            status=status,
            body=body or {},
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def is_stale(session: Session, brand: str, scope: str, key: str, stamp: datetime | None) -> bool:
    """True when a newer version of object ``key`` was already applied than ``stamp``."""
    if stamp is None:
        return False
    row = get(session, brand, scope, key)
    seen = row.body.get("updated_at") if row else None
    return bool(seen) and datetime.fromisoformat(seen) > stamp


def mark_applied(session: Session, brand: str, scope: str, key: str, stamp: datetime | None):
    """Record ``stamp`` as the newest version of ``key`` applied (no commit)."""
    if stamp is None:
        return
    row = get(session, brand, scope, key)
    if row is None:
        row = IntakeReceipt(brand=brand, scope=scope, key=key[:255])
    if not row.body.get("updated_at") or datetime.fromisoformat(row.body["updated_at"]) < stamp:
        row.body = {"updated_at": stamp.isoformat()}
        session.add(row)
