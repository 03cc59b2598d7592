"""Staff accounts of a brand: creation (CLI), password check, the login session and API keys.

Sessions are Flask's signed cookie holding the staff id and a ``session_version``; logout bumps
the version so the old cookie stops working even if someone kept a copy. Sessions end after
``STAFF_IDLE_MINUTES`` without activity and ``STAFF_MAX_HOURS`` after login.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import click
from flask import current_app, g, session
from flask.cli import AppGroup
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import normalize
from .db import get_session
from .returns_models import ApiKey, StaffUser
from .timeutil import utcnow

MIN_PASSWORD = 12
SESSION_KEY = "staff"
# A real hash to compare against when the email is unknown: same work, no timing hint.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class StaffError(ValueError):
    pass


def create_staff(session: Session, brand: str, email: str, password: str) -> StaffUser:
    email = normalize.email(email)
    if "@" not in email:
        raise StaffError("not an email address")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password needs at least {MIN_PASSWORD} characters")
    if session.exec(select(StaffUser).where(StaffUser.email == email)).first():
        raise StaffError(f"{email} already has an account")
    user = StaffUser(brand=brand, email=email, password_hash=generate_password_hash(password))
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
    idle = timedelta(minutes=cfg.get("STAFF_IDLE_MINUTES", 120)).total_seconds()
    lifetime = timedelta(hours=cfg.get("STAFF_MAX_HOURS", 12)).total_seconds()
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


staff_cli = AppGroup("staff", help="Staff accounts and API keys.")


def _check_brand(slug: str) -> str:
    if slug not in current_app.extensions["todoku_brands"]:
        raise click.BadParameter(f"no brand {slug!r}", param_hint="--brand")
    return slug


@staff_cli.command("create")
@click.option("--brand", required=True)
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=f"At least {MIN_PASSWORD} characters; asked for when not given.",
)
def create_command(brand: str, email: str, password: str) -> None:
    """Create a staff account for BRAND."""
    try:
        user = create_staff(get_session(), _check_brand(brand), email, password)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"staff account {user.email} created for {brand}")


@staff_cli.command("api-key")
@click.option("--brand", required=True)
@click.option("--name", required=True, help="What uses the key, e.g. 'warehouse'.")
def api_key_command(brand: str, name: str) -> None:
    """Create an API key for BRAND (printed once)."""
    click.echo(create_api_key(get_session(), _check_brand(brand), name))
