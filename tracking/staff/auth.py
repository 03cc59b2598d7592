"""Staff accounts of a brand: creation, password check and the login session.

Sessions are Flask's signed cookie holding the staff id and a ``session_version``; logout bumps
the version so the old cookie stops working even if someone kept a copy. Sessions end after
``STAFF_IDLE_MINUTES`` without activity and ``STAFF_MAX_HOURS`` after login.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, session
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from tracking import normalize
from tracking.db import get_session
from tracking.staff.models import StaffUser
from tracking.timeutil import utcnow

MIN_PASSWORD = 12
SESSION_KEY = "staff"
# A real hash to compare against when the email is unknown: same work, no timing hint.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class StaffError(ValueError):
    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field  # "email" when the address itself is refused


ROLES = ("owner", "staff")


def create_staff(
    session: Session, brand: str, email: str, password: str, role: str = "staff"
) -> StaffUser:
    if role not in ROLES:
        raise StaffError(f"role must be one of {ROLES}")
    try:
        email = normalize.email_address(email)
    except normalize.NotOneAddress as exc:
        raise StaffError(f"not an email address (exactly one): {exc}", "email") from None
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise StaffError(f"{email} already has an account")
    user = StaffUser(
        brand=brand, email=email, password_hash=generate_password_hash(password), role=role
    )
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    user = session.exec(select(StaffUser).where(StaffUser.email == normalize.email(email))).first()
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def log_in(db: Session, user: StaffUser) -> None:
    session.clear()  # a fresh session on login: nothing from before carries over
    now = utcnow().timestamp()
    session[SESSION_KEY] = {"id": user.id, "v": user.session_version, "at": now, "seen": now}
    session.permanent = False
    user.last_login_at = utcnow()
    db.add(user)
    db.commit()


def log_out(db: Session) -> None:
    user = current_staff()
    if user is not None:
        user.session_version += 1  # every copy of the old cookie is now worthless
        db.add(user)
        db.commit()
    session.clear()


def current_staff() -> StaffUser | None:
    """The logged-in staff member, or None (also when the session has expired)."""
    if "staff_user" in g:
        return g.staff_user
    g.staff_user = None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    now = utcnow().timestamp()
    cfg = current_app.config
    idle = timedelta(minutes=cfg["STAFF_IDLE_MINUTES"]).total_seconds()
    lifetime = timedelta(hours=cfg["STAFF_MAX_HOURS"]).total_seconds()
    if now - data.get("seen", 0) > idle or now - data.get("at", 0) > lifetime:
        session.pop(SESSION_KEY, None)
        return None
    user = get_session().get(StaffUser, data.get("id"))
    if user is None or not user.active or user.session_version != data.get("v"):
        session.pop(SESSION_KEY, None)
        return None
    if now - data["seen"] > 60:  # refresh the idle clock, at most once a minute
        session[SESSION_KEY] = {**data, "seen": now}
    g.staff_user = user
    return user
