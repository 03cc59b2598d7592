"""Remembering what was already taken in (``IntakeReceipt``): API idempotency keys with the
answer given, Shopify event ids, and the newest ``updated_at`` seen per Shopify object.

An idempotency key is *reserved* before its work starts: a receipt with status ``PENDING`` is
committed first, and the unique key (brand, scope, key) lets one caller in; the others see the
pending receipt and wait for, or are told to come back for, the answer stored by ``finish``.
A caller that fails ``release``s its key; one that died leaves a pending receipt that another
caller may take over once it is older than the caller's ``stale_after``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from tracking.db import savepoint
from tracking.orders.models import IntakeReceipt
from tracking.timeutil import utcnow

PENDING = 0  # a reserved key whose answer is not stored yet


def get(
    session: Session, brand: str, scope: str, key: str, *, fresh: bool = False
) -> IntakeReceipt | None:
    """The receipt; ``fresh`` reads it again from the database (another caller's commit)
    instead of the copy this session already holds."""
    stmt = select(IntakeReceipt).where(
        IntakeReceipt.brand == brand, IntakeReceipt.scope == scope, IntakeReceipt.key == key[:255]
    )
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return session.exec(stmt).first()


def reserve(
    session: Session,
    brand: str,
    scope: str,
    key: str,
    *,
    fingerprint: str,
    stale_after: timedelta,
    now: datetime | None = None,
) -> tuple[IntakeReceipt, bool]:
    """Claim ``key`` before doing its work; commits. (receipt, True): the caller holds the key
    now and must ``finish`` or ``release`` it. (receipt, False): another caller reserved it
    first; its status is ``PENDING`` while that caller is still at work."""
    now = now or utcnow()
    for _ in range(3):
        row = IntakeReceipt(
            brand=brand, scope=scope, key=key[:255], fingerprint=fingerprint, created_at=now
        )
        if remember_row(session, row):
            return row, True
        seen = get(session, brand, scope, key, fresh=True)
        if seen is None:  # released between our insert and our read: try again
            continue
        if seen.status != PENDING or seen.fingerprint != fingerprint:
            return seen, False
        if not _take_over_stale(session, seen, now - stale_after):
            return seen, False
    raise RuntimeError(f"idempotency key {key!r} kept changing hands")


def _take_over_stale(session: Session, seen: IntakeReceipt, cutoff: datetime) -> bool:
    """Remove a pending receipt left by a caller that never finished; True when this caller
    removed it (of two callers seeing the same stale receipt, one does)."""
    gone = session.exec(
        delete(IntakeReceipt).where(
            col(IntakeReceipt.id) == seen.id,
            col(IntakeReceipt.status) == PENDING,
            col(IntakeReceipt.created_at) < cutoff,
        )
    ).rowcount
    session.commit()
    return gone == 1


def finish(session: Session, receipt: IntakeReceipt, status: int, body: dict) -> None:
    """Store the answer of a reserved key; commits."""
    receipt_id = receipt.id
    session.rollback()  # whatever the work left open is not part of the answer
    session.exec(
        update(IntakeReceipt)
        .where(col(IntakeReceipt.id) == receipt_id, col(IntakeReceipt.status) == PENDING)
        .values(status=status, body=body)
    )
    session.commit()


def release(session: Session, receipt: IntakeReceipt) -> None:
    """Give a reserved key back (its work failed), so a retry can do the work; commits."""
    receipt_id = receipt.id
    session.rollback()
    session.exec(
        delete(IntakeReceipt).where(
            col(IntakeReceipt.id) == receipt_id, col(IntakeReceipt.status) == PENDING
        )
    )
    session.commit()


def remember_row(session: Session, row: IntakeReceipt) -> bool:
    """Store ``row`` and commit; False when a concurrent request stored the same key first."""
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


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
    return remember_row(
        session,
        IntakeReceipt(
            brand=brand,
            scope=scope,
            key=key[:255],
            fingerprint=fingerprint,
            status=status,
            body=body or {},
        ),
    )


def is_stale(session: Session, brand: str, scope: str, key: str, stamp: datetime | None) -> bool:
    """True when a newer version of object ``key`` was already applied than ``stamp``."""
    if stamp is None:
        return False
    row = get(session, brand, scope, key)
    seen = row.body.get("updated_at") if row else None
    return bool(seen) and datetime.fromisoformat(seen) > stamp


def mark_applied(session: Session, brand: str, scope: str, key: str, stamp: datetime | None):
    """Record ``stamp`` as the newest version of ``key`` applied (no commit). Two copies of one
    delivery at once: the first inserts the receipt, the other updates it."""
    if stamp is None:
        return
    row = get(session, brand, scope, key, fresh=True)
    if row is None:
        try:
            with savepoint(session):
                session.add(
                    IntakeReceipt(
                        brand=brand,
                        scope=scope,
                        key=key[:255],
                        body={"updated_at": stamp.isoformat()},
                    )
                )
            return
        except IntegrityError:
            row = get(session, brand, scope, key, fresh=True)
    if row is None:
        return
    if not row.body.get("updated_at") or datetime.fromisoformat(row.body["updated_at"]) < stamp:
        row.body = {"updated_at": stamp.isoformat()}
        session.add(row)
