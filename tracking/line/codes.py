"""One-time link codes: the tracking page's LINE button types one into the shop's chat; the
webhook finds it in the customer's message and links the order to their LINE user.

* ``issue``: the order's unused, unexpired code, or a new one. One unused code per order at a
  time, enforced by the database (a partial unique index), so two taps at once give one code.
* ``redeem``: a code of *this* brand, unused and unexpired, marked used in a conditional update
  (two messages with one code: one wins). The link is written in the same transaction.

Codes are 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), upper-case; what
the customer sends is NFKC-normalised and upper-cased first (a full-width ``ＡＢＣ`` matches)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tracking.db import savepoint
from tracking.line.models import LineCode, LineLink
from tracking.timeutil import as_utc, utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6
_CANDIDATE = re.compile(rf"(?<![A-Z0-9])[{ALPHABET}]{{{LENGTH}}}(?![A-Z0-9])")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def issue(
    session: Session,
    brand: str,
    order_id: int,
    locale: str,
    minutes: int,
    now: datetime | None = None,
) -> LineCode:
    """The order's live code (issued before, still valid) or a new one. Commits."""
    now = now or utcnow()
    for _ in range(5):
        live = session.exec(
            select(LineCode).where(LineCode.order_id == order_id, col(LineCode.used_at).is_(None))
        ).first()
        if live is not None and as_utc(live.expires_at) > as_utc(now):
            return live
        if live is not None:  # expired: retire it so a new one can be issued
            session.execute(
                update(LineCode)
                .where(col(LineCode.id) == live.id, col(LineCode.used_at).is_(None))
                .values(used_at=now)
            )
        code = LineCode(
            brand=brand,
            order_id=order_id,
            code=new_code(),
            locale=locale,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        try:
            with savepoint(session):
                session.add(code)
        except IntegrityError:  # another tap issued one first (or the code exists): look again
            continue
        session.commit()
        return code
    raise RuntimeError("could not issue a LINE link code")


def candidates(text: str) -> list[str]:
    """The code-shaped words of a customer's message, in order."""
    clean = unicodedata.normalize("NFKC", text or "").upper()
    return _CANDIDATE.findall(clean)[:5]


@dataclass
class Redeemed:
    outcome: str  # "linked", "already" (this user was linked to the order), "unknown", "expired"
    link: LineLink | None = None
    locale: str = "ja"


def redeem(
    session: Session, brand: str, text: str, user_id: str, now: datetime | None = None
) -> Redeemed:
    """Link ``user_id`` to the order whose code ``text`` holds. Does not commit."""
    now = now or utcnow()
    words = candidates(text)
    if not words:
        return Redeemed("unknown")
    rows = session.exec(
        select(LineCode).where(LineCode.brand == brand, col(LineCode.code).in_(words))
    ).all()
    if not rows:
        return Redeemed("unknown")
    code = rows[0]
    if code.used_at is not None or as_utc(code.expires_at) <= as_utc(now):
        return Redeemed("expired", locale=code.locale)
    won = session.execute(
        update(LineCode)
        .where(col(LineCode.id) == code.id, col(LineCode.used_at).is_(None))
        .values(used_at=now)
    ).rowcount
    if not won:
        return Redeemed("expired", locale=code.locale)
    link = session.exec(
        select(LineLink).where(LineLink.order_id == code.order_id, LineLink.user_id == user_id)
    ).first()
    outcome = "linked"
    if link is None:
        link = LineLink(brand=brand, order_id=code.order_id, user_id=user_id, locale=code.locale)
    elif link.stopped_at is None:
        outcome = "already"
    link.stopped_at, link.stop_reason, link.locale = None, "", code.locale
    link.linked_at = now
    session.add(link)
    session.flush()
    return Redeemed(outcome, link, code.locale)


def stop(session: Session, brand: str, user_id: str, reason: str, now=None) -> list[LineLink]:
    """Stop every live link of ``user_id`` with ``brand``; returns them. Does not commit."""
    links = session.exec(
        select(LineLink).where(
            LineLink.brand == brand, LineLink.user_id == user_id, col(LineLink.stopped_at).is_(None)
        )
    ).all()
    for link in links:  # through the ORM: each order's page version is bumped
        link.stopped_at, link.stop_reason = now or utcnow(), reason
        session.add(link)
    session.flush()
    return list(links)


def live_links(session: Session, order_ids: list[int]) -> dict[int, list[LineLink]]:
    """Order id → its live links (one query for the batch)."""
    out: dict[int, list[LineLink]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    for link in session.exec(
        select(LineLink)
        .where(col(LineLink.order_id).in_(order_ids), col(LineLink.stopped_at).is_(None))
        .order_by(LineLink.id)
    ).all():
        out[link.order_id].append(link)
    return out
