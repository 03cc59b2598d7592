"""API keys of a brand: made once (only a hash is kept), found again by their prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from tracking.staff.models import ApiKey


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
