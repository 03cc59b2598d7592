"""Alerts: a daily digest of new watchlist entries to the brand's staff, and optionally one mail
per new exception, through the outbox. Run daily with ``flask dashboard digest`` (cron).

An entry is "new" once: ``WatchAlert`` remembers what was reported, so tomorrow's digest lists
only what appeared since. Each mail's dedupe key names the brand and the shop-local day.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.dashboard import watchlist
from tracking.dashboard.models import AlertSettings, WatchAlert
from tracking.mail import outbox
from tracking.staff.models import StaffUser
from tracking.timeutil import as_utc, utcnow

MAX_RECIPIENTS = 20


def settings_for(session: Session, brand: str) -> AlertSettings:
    row = session.exec(select(AlertSettings).where(AlertSettings.brand == brand)).first()
    return row or AlertSettings(brand=brand)


def save_settings(
    session: Session, brand: str, *, digest: bool, immediate_exceptions: bool, recipients: list[str]
) -> AlertSettings:
    """Store the owner's alert settings for ``brand`` (``recipients`` already parsed); commits."""
    row = settings_for(session, brand)
    row.digest = digest
    row.immediate_exceptions = immediate_exceptions
    row.recipients = recipients
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return row


def parse_recipients(text: str) -> tuple[list[str], str | None]:
    parts = [p.strip() for p in text.replace(",", "\n").splitlines() if p.strip()]
    if len(parts) > MAX_RECIPIENTS:
        return [], str(_l("At most %(n)s recipients.", n=MAX_RECIPIENTS))
    out = []
    for part in parts:
        try:
            out.append(normalize.email_address(part[:254]))
        except normalize.NotOneAddress:
            return [], str(_l("%(value)s is not an email address.", value=part[:254]))
    return out, None


def recipients(session: Session, brand: str, row: AlertSettings) -> list[str]:
    if row.recipients:
        return list(row.recipients)
    return list(
        session.exec(
            select(StaffUser.email)
            .where(StaffUser.brand == brand, col(StaffUser.active).is_(True))
            .order_by(StaffUser.email)
        ).all()
    )


REASON_LABELS = {
    "exception": _l("Exception"),
    "attempt_failed": _l("Delivery attempted"),
    "late": _l("Past the estimate"),
    "returning": _l("Returning to the shop"),
    "pickup": _l("Waiting at a pickup point"),
    "stalled": _l("No scan for days"),
    "not_registered": _l("Not registered with the carrier"),
    "failing_checks": _l("Carrier checks failing"),
}


def _new_entries(session: Session, brand: str, now: datetime) -> list[watchlist.Entry]:
    entries = watchlist.entries(session, brand, now)
    ids = [e.shipment.id for e in entries]
    seen = (
        set(
            session.exec(
                select(WatchAlert.shipment_id, WatchAlert.reason).where(
                    col(WatchAlert.shipment_id).in_(ids)
                )
            ).all()
        )
        if ids
        else set()
    )
    new = [e for e in entries if (e.shipment.id, e.reason) not in seen]
    for e in new:
        session.add(
            WatchAlert(brand=brand, shipment_id=e.shipment.id, reason=e.reason, first_seen_at=now)
        )
    return new


def _body(brand: Brand, entries, now: datetime, base_url: str) -> str:
    lines = [
        gettext("New on the watchlist of %(shop)s:", shop=brand.display_name(brand.default_locale)),
        "",
    ]
    for e in entries:
        lines.append(
            f"- {REASON_LABELS[e.reason]} · {e.order_number} · {e.shipment.carrier} "
            f"{e.shipment.tracking_number}"
        )
    lines += ["", gettext("Open the watchlist:"), f"{base_url}/admin/{brand.slug}/watchlist"]
    return "\n".join(lines)


def run(session: Session, brand: Brand, base_url: str, now: datetime | None = None) -> int:
    """Queue today's digest (and the immediate exception mails); returns mails queued. Commits."""
    now = now or utcnow()
    row = settings_for(session, brand.slug)
    new = _new_entries(session, brand.slug, now)
    to = recipients(session, brand.slug, row)
    day = as_utc(now).astimezone(brand.tz).date().isoformat()
    queued = 0
    with force_locale(brand.default_locale):
        if row.immediate_exceptions:
            for e in (e for e in new if e.reason == "exception"):
                for address in to:
                    outbox.enqueue(
                        session,
                        brand=brand.slug,
                        kind="watch_exception",
                        dedupe_key=f"watch-exception:{e.shipment.id}:{address}",
                        to=address,
                        subject=gettext("Exception on order %(number)s", number=e.order_number),
                        body=_body(brand, [e], now, base_url),
                        locale=brand.default_locale,
                    )
                    queued += 1
        if row.digest and new:
            subject = gettext(
                "Watchlist: %(n)s new parcels to look at (%(day)s)", n=len(new), day=day
            )
            for address in to:
                outbox.enqueue(
                    session,
                    brand=brand.slug,
                    kind="watch_digest",
                    dedupe_key=f"watch-digest:{brand.slug}:{day}:{address}",
                    to=address,
                    subject=subject,
                    body=_body(brand, new, now, base_url),
                    locale=brand.default_locale,
                )
                queued += 1
    session.commit()
    return queued
