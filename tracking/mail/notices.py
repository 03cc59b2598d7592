"""Mail to a shop's staff about their own account (not about an order): the sign-in lockout.
Written in the shop's default language, as the other staff mail is."""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, gettext
from sqlmodel import Session

from tracking.brands.brand import Brand
from tracking.mail import outbox
from tracking.mail.models import Notification
from tracking.timeutil import as_utc


def lockout_notice(
    session: Session,
    brand: Brand,
    *,
    account_id: int,
    to: str,
    failures: int,
    minutes: int,
    address: str,
    now: datetime,
) -> Notification:
    """Queue the notice that ``to``'s account was locked after ``failures`` wrong passwords,
    the last from ``address`` at ``now``. Commits: the lockout itself is already counted."""
    when = as_utc(now).strftime("%Y-%m-%d %H:%M")
    with force_locale(brand.default_locale):
        subject = gettext(
            "Sign-in to %(shop)s locked after wrong passwords",
            shop=brand.display_name(brand.default_locale),
        )
        body = "\n".join(
            [
                gettext(
                    "A wrong password was entered %(count)s times for your staff account "
                    "%(email)s.",
                    count=failures,
                    email=to,
                ),
                gettext(
                    "Signing in to it is blocked for up to %(minutes)s minutes, even with the "
                    "right password.",
                    minutes=minutes,
                ),
                gettext(
                    "The last attempt came from the address %(address)s at %(time)s (UTC).",
                    address=address,
                    time=when,
                ),
                "",
                gettext(
                    "If this was you, wait and sign in again. If it was not, tell the shop's "
                    "owner: they can switch the account off on the staff page."
                ),
            ]
        )
    note = outbox.enqueue(
        session,
        brand=brand.slug,
        kind="staff_lockout",
        dedupe_key=f"staff-lockout:{account_id}:{as_utc(now):%Y%m%dT%H%M%S}",
        to=to,
        subject=subject,
        body=body,
        locale=brand.default_locale,
    )
    session.commit()
    return note
