"""The outbox: mail is queued in the transaction of the change it reports, and a worker sends it.

Guarantees (docs/mail.md):

* ``enqueue`` never sends and never commits: a change that rolls back leaves no mail, and the
  ``dedupe_key`` makes one mail per event however often the event is reported.
* ``deliver_pending`` *claims* due rows first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a
  conditional update with a fresh claim token, so two workers never own the same row, on SQLite
  too), commits the claim, sends, and marks each row sent right after its own send.
* A worker that dies after claiming leaves rows ``sending`` until ``claimed_until``; the next
  worker claims them again. So a crash before the send loses nothing, and a crash between the
  send and "marked sent" resends that one mail once, with the same Message-ID.
* 4xx answers and connection errors are retried with capped exponential backoff and jitter;
  a 5xx answer fails the mail at once; both keep the server's words in ``last_error``.

Without a transport (no ``SMTP_URL`` and no brand ``[mail.smtp]``, ``tracking.mail.transport``)
mail stays in the outbox, where staff read it in the admin mail page.
"""

from __future__ import annotations

import logging
import random
import smtplib
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tracking import normalize
from tracking.brands.brand import Brand
from tracking.db import savepoint, take_claim
from tracking.mail import coalesce, hours, modes, render
from tracking.mail.models import Notification, Unsubscribe
from tracking.mail.transport import (
    Transport,
    build_message,
    domain,
    smtp_error,
    smtp_kind,
    transport_for,
)
from tracking.mail.unsubscribe import unsubscribe_url
from tracking.orders.models import Order
from tracking.timeutil import utcnow

log = logging.getLogger(__name__)

# A claimed row is reclaimed after this long (worker died); WORKER_LEASE_SECONDS overrides it.
LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)
BATCH = 50  # mails claimed at once and sent over one SMTP connection


def enqueue(
    session: Session, *, dedupe_key: str, window: timedelta = timedelta(0), **mail
) -> Notification:
    """Add a mail to the outbox unless one with ``dedupe_key`` exists; returns the row.
    ``mail``: the rest of ``_row``'s keyword arguments (brand, kind, to, subject, body, …);
    with a ``coalesce_key``, at most one mail per ``window`` for that key.

    Does not commit: the caller's transaction decides whether the mail exists at all.
    """
    existing = session.exec(
        select(Notification).where(Notification.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return existing
    note = _row(dedupe_key=dedupe_key, **mail)
    if note.coalesce_key:  # one pending mail per key, saying the latest (tracking.mail.coalesce)
        return coalesce.add(session, note, window)
    try:
        with savepoint(session):
            session.add(note)
    except IntegrityError:  # a concurrent writer queued the same event first
        return session.exec(select(Notification).where(Notification.dedupe_key == dedupe_key)).one()
    return note


def enqueue_rendered(
    session: Session,
    brand: Brand,
    order: Order,
    *,
    kind: str,
    dedupe_key: str,
    build: Callable[[str], render.Content],
    locale: str | None = None,
    **when,
) -> Notification:
    """``enqueue`` a mail to the order's customer: ``build(locale)`` gives its content, rendered
    in ``locale`` (by default the order's language, when the brand offers it). ``when``:
    ``send_after``, ``coalesce_key`` and ``window``, as ``enqueue`` takes them. Does not
    commit."""
    locale = locale or render.locale_for(brand, order)
    subject, body, html = render.render_in(brand, locale, lambda: build(locale))
    return enqueue(
        session,
        brand=brand.slug,
        kind=kind,
        dedupe_key=dedupe_key,
        to=order.email,
        subject=subject,
        body=body,
        html=html,
        locale=locale,
        order_id=order.id,
        mail_mode=modes.mode_for(brand, order),
        **when,
    )


def enqueue_many(session: Session, mails: list[dict]) -> list[Notification]:
    """``enqueue`` for a batch (each dict holds ``enqueue``'s keyword arguments) whose dedupe
    keys the caller has found absent from the outbox: one savepoint and one insert for the
    batch instead of a look-up, a savepoint and an insert per mail. Should a concurrent writer
    have queued one of the keys since, the batch is rolled back to the savepoint and queued
    one by one through ``enqueue``. Does not commit."""
    if not mails:
        return []
    notes = [_row(**mail) for mail in mails]
    try:
        with savepoint(session):
            session.add_all(notes)
    except IntegrityError:
        return [enqueue(session, **mail) for mail in mails]
    return notes


def _row(
    *,
    brand: str,
    kind: str,
    dedupe_key: str,
    to: str,
    subject: str,
    body: str,
    html: str = "",
    locale: str = "ja",
    order_id: int | None = None,
    category: str = "transactional",
    send_after: datetime | None = None,
    mail_mode: str = modes.NORMAL,
    status: str = "queued",
    last_error: str = "",
    send_before: datetime | None = None,
    coalesce_key: str = "",
    channel: str = "mail",
) -> Notification:
    return Notification(
        brand=brand,
        kind=kind,
        category=category,
        dedupe_key=dedupe_key,
        to_address=to,
        subject=subject,
        body_text=body,
        body_html=html,
        locale=locale,
        order_id=order_id,
        message_id=make_msgid("todoku", domain=domain()),
        send_after=send_after or utcnow(),
        mail_mode=mail_mode,
        status=status,  # "stale": recorded, never sent (tracking.mail.freshness)
        last_error=last_error,
        send_before=send_before,  # skipped, never sent late, after this (tracking.mail.hours)
        coalesce_key=coalesce_key,
        channel=channel,  # "line": a LINE push (tracking.mail.line_outbox)
        retry_key=str(uuid.uuid4()) if channel == "line" else "",
    )


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: 1, 2, 4 … minutes, at most 6 h,
    plus up to 10 % jitter so a recovering server is not hit by every worker at once."""
    delay = min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)
    return delay * (1 + random.random() / 10)


# --- delivery -----------------------------------------------------------------------------


def _due(now: datetime):
    return or_(
        and_(Notification.status == "queued", Notification.send_after <= now),
        and_(Notification.status == "sending", Notification.claimed_until < now),
    )


def claim(
    session: Session,
    brands: Iterable[str] | dict[str, list[str]],
    now: datetime,
    limit: int,
    channel: str = "mail",
) -> list[Notification]:
    """Take up to ``limit`` due rows of ``brands`` (slugs: every mode; else mode → slugs, a
    route of ``modes.routes``) on ``channel`` for this worker and commit the claim."""
    route = brands if isinstance(brands, dict) else {m: list(brands) for m in modes.MODES}
    if not any(route.values()):
        return []
    ids = session.exec(
        select(Notification.id)
        .where(_due(now), modes.owned(route), Notification.channel == channel)
        .order_by(Notification.send_after, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    return take_claim(session, Notification, ids, _due(now), now + lease())


def lease() -> timedelta:
    """How long a claim holds (``WORKER_LEASE_SECONDS``, default ``LEASE``)."""
    seconds = current_app.config.get("WORKER_LEASE_SECONDS")
    return timedelta(seconds=seconds) if seconds else LEASE


def _unsubscribed(session: Session, note: Notification) -> bool:
    return (
        session.exec(
            select(Unsubscribe.id).where(
                Unsubscribe.brand == note.brand, Unsubscribe.email == note.to_address.lower()
            )
        ).first()
        is not None
    )


def _finish(session: Session, note: Notification, status: str, error: str = "", when=None):
    if status == "queued" and coalesce.replaced(session, note):
        status, error = "superseded", coalesce.SUPERSEDED
    note.status = status
    note.last_error = error[:500]
    note.claim_token = ""
    note.claimed_until = None
    if status == "sent":
        note.sent_at = when
    session.add(note)
    session.commit()


def _retry(session: Session, note: Notification, error: str, now: datetime) -> None:
    if note.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _finish(session, note, "failed", f"gave up after {note.attempts} tries: {error}")
        return
    note.send_after = now + backoff(note.attempts)
    _finish(session, note, "queued", error)


def _release(session: Session, notes: list[Notification]) -> None:
    """Give back rows this worker claimed but did not try (the connection dropped)."""
    for note in notes:
        note.attempts = max(note.attempts - 1, 0)
        _finish(session, note, "queued", note.last_error)


def _before_send(note: Notification) -> None:
    return None


def _after_send(note: Notification) -> None:
    return None


def deliver_pending(
    session: Session,
    brands: dict[str, Brand] | None = None,
    *,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Claim due mail and send it; returns how many were sent. Runs inside an app."""
    brands = brands if brands is not None else current_app.extensions["todoku_brands"]
    now = now or utcnow()
    sent = 0
    # One connection per server: each brand's mail in each mode goes through that mode's server.
    for transport, route in modes.routes(brands, transport_for).items():
        notes = claim(session, route, now, limit)
        if notes:
            sent += _send_all(session, transport, notes, brands, now)
    return sent


def _send_all(
    session: Session,
    transport: Transport,
    notes: list[Notification],
    brands: dict[str, Brand],
    now: datetime,
) -> int:
    try:
        conn = transport.connect()
    except (OSError, smtplib.SMTPException) as exc:
        permanent, words = smtp_error(exc)
        # The server's words stay on the rows (staff read them): they can quote the account.
        log.warning("mail: cannot reach %s:%s: %s", transport.host, transport.port, smtp_kind(exc))
        for note in notes:
            _retry(session, note, f"connect: {words}", now)
        return 0
    sent = 0
    with conn:
        for i, note in enumerate(notes):
            brand = brands.get(note.brand)
            if note.category == "follow_up" and _unsubscribed(session, note):
                _finish(session, note, "suppressed", "the customer unsubscribed")
                continue
            if hours.too_late(note, now):
                _finish(session, note, hours.SKIPPED, hours.TOO_LATE)
                continue
            if not normalize.is_one_address(note.to_address):
                # Rows queued before the one email rule: never two recipients in To:.
                _finish(session, note, "failed", "not exactly one email address")
                continue
            msg = build_message(note, brand, utcnow(), _unsubscribe_for(session, note))
            _before_send(note)
            try:
                conn.send_message(msg)
            except smtplib.SMTPResponseException as exc:  # the server answered 4xx or 5xx
                permanent, words = smtp_error(exc)
                # Not the server's words: a refusal quotes the recipient's address.
                log.warning("mail %s not sent: %s", note.id, smtp_kind(exc))
                if permanent:
                    _finish(session, note, "failed", words)
                else:
                    _retry(session, note, words, now)
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                permanent, words = smtp_error(exc)
                log.warning("mail %s not sent: %s", note.id, smtp_kind(exc))
                if permanent:
                    _finish(session, note, "failed", words)
                else:
                    _retry(session, note, words, now)
                continue
            except OSError as exc:  # dropped connection (SMTPServerDisconnected, timeouts)
                _retry(session, note, smtp_error(exc)[1], now)
                _release(session, notes[i + 1 :])
                return sent
            _after_send(note)
            _finish(session, note, "sent", when=utcnow())
            sent += 1
    return sent


def _unsubscribe_for(session: Session, note: Notification) -> str | None:
    if note.category != "follow_up" or note.order_id is None:
        return None
    order = session.get(Order, note.order_id)
    return unsubscribe_url(note.brand, order.public_id) if order else None


def requeue(session: Session, note: Notification, now: datetime | None = None) -> None:
    """Staff "send again": the row goes back to the queue, due now, with fresh tries and a fresh
    Message-ID: mailboxes (Gmail among them) silently drop a message whose Message-ID they
    already hold, so a resend with the first one's would never show."""
    note.status, note.attempts, note.last_error = "queued", 0, ""
    note.message_id = make_msgid("todoku", domain=domain())
    note.send_after = now or utcnow()
    note.claim_token, note.claimed_until = "", None
    note.coalesce_key = ""  # a deliberate resend goes on its own, beside a pending update
    if note.channel == "line":  # LINE would take the old key for a retry and send nothing
        note.retry_key = str(uuid.uuid4())
    session.add(note)
    session.commit()
