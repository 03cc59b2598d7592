"""Wrong passwords counted per staff account, from whatever address they come.

After ``STAFF_LOCKOUT_LIMIT`` wrong passwords (default 10 in 15 minutes, the window starting at
the first) the account signs in with nothing, not even its right password, until the window
ends. The page says what it says for a wrong password, so the lockout tells a guesser nothing;
the account's owner is told by mail instead (``tracking.mail.notices``), once per lockout.
The count lives in the rate limiter's storage, shared by every worker through Redis."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlmodel import Session, select

from tracking import extensions, normalize
from tracking.staff.auth import authenticate
from tracking.staff.models import StaffUser


@dataclass(frozen=True)
class SignIn:
    """``user`` when the password was right and the account is not locked. ``locked_now``: the
    account this attempt has just locked (active accounts only), for the notice."""

    user: StaffUser | None
    locked_now: StaffUser | None = None


def _limit() -> str:
    return current_app.config["STAFF_LOCKOUT_LIMIT"]


def _key(email: str) -> str:
    return f"staff-login:{normalize.email(email)}"


def threshold() -> int:
    """Wrong passwords that lock an account."""
    return extensions.limit_amount(_limit())


def is_locked(email: str) -> bool:
    return extensions.failures(_key(email), _limit()) >= threshold()


def sign_in(session: Session, email: str, password: str) -> SignIn:
    """Check the password, counting a wrong one against the account."""
    # The password is checked even when locked: a locked account answers as slowly as any.
    user = authenticate(session, email, password)
    if is_locked(email):
        return SignIn(None)
    if user is not None:
        extensions.clear_failures(_key(email), _limit())
        return SignIn(user)
    count = extensions.count_failure(_key(email), _limit())
    if count != threshold():
        return SignIn(None)
    account = session.exec(
        select(StaffUser).where(StaffUser.email == normalize.email(email), StaffUser.active)
    ).first()
    return SignIn(None, locked_now=account)


def lockout_minutes() -> int:
    """The longest a lockout lasts, for the notice."""
    return max(1, extensions.window_seconds(_limit()) // 60)
