"""API keys of a brand: made once (only a hash is kept), found again by their prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from tracking.staff.models import ApiKey
from tracking.timeutil import utcnow


def create_api_key(session: Session, brand: str, name: str) -> str:
    """Returns the key once; only its hash is stored."""
    prefix = secrets.token_hex(4)
    key = f"tdk_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(brand=brand, name=name[:100], prefix=prefix, key_hash=_digest(key)))
    session.commit()
    return key


def _digest(key: str) -> str:
    # 256 random bits: a plain SHA-256 is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_brand(session: Session, key: str) -> ApiKey | None:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "tdk":
        return None
    row = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.key_hash, _digest(key)) else None


def record_use(session: Session, row: ApiKey) -> None:
    """Note when a key was last used (at most one write a minute per key)."""
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        session.add(row)
        session.commit()


def revoke_api_key(session: Session, brand: str, prefix: str) -> ApiKey | None:
    """Revoke ``brand``'s key with ``prefix`` (the part after ``tdk_``); None if none."""
    row = session.exec(select(ApiKey).where(ApiKey.brand == brand, ApiKey.prefix == prefix)).first()
    return _revoke(session, row) if row is not None else None


def revoke_key_by_id(session: Session, brand: str, key_id: int) -> ApiKey | None:
    """Revoke ``brand``'s key with this id (the owner's settings page); None if none."""
    row = session.get(ApiKey, key_id)
    return _revoke(session, row) if row is not None and row.brand == brand else None


def _revoke(session: Session, row: ApiKey) -> ApiKey:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
    return row


def list_api_keys(session: Session, brand: str, *, newest_first: bool = False) -> list[ApiKey]:
    order = col(ApiKey.id).desc() if newest_first else col(ApiKey.id)
    return list(session.exec(select(ApiKey).where(ApiKey.brand == brand).order_by(order)))
